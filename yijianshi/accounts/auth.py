"""How the JSON API knows who is calling: the browser's session (with CSRF on writes) for our own pages, a
bearer token for other systems. Both are declared in the OpenAPI schema."""

from __future__ import annotations

from ninja.security import HttpBearer, django_auth

from yijianshi.accounts.services import api_token_authenticate


class BearerToken(HttpBearer):
    """`Authorization: Bearer qjt_…`, issued by a system administrator on the staff page of an account."""

    openapi_description = "对接系统使用的访问令牌（由系统管理员签发，仅显示一次）"

    def authenticate(self, request, token):
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user  # services read request.user, whichever way the caller authenticated
        return user


API_AUTH = [BearerToken(), django_auth]
