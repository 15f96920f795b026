"""Single sign-on with the province's unified identity platform (OpenID Connect, authorization code flow).

mozilla-django-oidc does the protocol: state, nonce, the code exchange and the RS256 signature check against the
provider's JWKS. This module adds what it leaves out (audience, issuer, expiry present, userinfo ``sub`` equal to
the ID token's) and decides who the person is: by the ID number claim through the blind index, like every other
look-up. Staff accounts never log in this way; they use their own credentials.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib import auth, messages
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError
from django.http import HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
    OIDCLogoutView,
)

from yijianshi.accounts.identity import IdentityError, parse_id_number, parse_mobile, parse_person_name
from yijianshi.accounts.models import Person, User
from yijianshi.accounts.services import InvalidInput, person_find
from yijianshi.accounts.sso_services import resident_sign_up_from_sso, sso_login_record
from yijianshi.privacy.masking import mask_id_number, mask_text

logger = logging.getLogger(__name__)

BACKEND_PATH = "yijianshi.accounts.oidc.ProvinceOIDCBackend"

MESSAGE_FAILED = "省统一身份认证登录未成功，请重试或使用本平台账号登录。"
MESSAGE_NO_ID_NUMBER = "省统一身份认证平台未提供有效的身份证号码，无法登录本平台，请使用本平台账号登录。"
MESSAGE_NAME_MISMATCH = "省统一身份认证平台的姓名与本平台登记的不一致，请携带身份证到政务服务中心核实。"
MESSAGE_STAFF = "工作人员账号不能通过省统一身份认证登录，请使用工作人员登录名和密码登录。"
MESSAGE_INACTIVE = "该账号已停用，请联系政务服务中心。"


def callback_uri() -> str:
    """The redirect URI registered with the province. Built from PUBLIC_BASE_URL, not the request's Host, because
    it must match the registration byte for byte whatever the proxies in front of us rewrite."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("oidc:callback")


def _refuse(request, log_message: str, *args, user_message: str = MESSAGE_FAILED) -> None:
    # mask_text as well: a provider's error body or exception text may quote a personal number.
    logger.warning("SSO log-in refused: " + mask_text(log_message % args if args else log_message))
    if request is not None and not getattr(request, "sso_refusal_shown", False):
        request.sso_refusal_shown = True  # one message per attempt, the most specific (the first) one
        messages.error(request, user_message)


@dataclass(frozen=True)
class SsoIdentity:
    name: str
    id_number: str
    mobile: str  # "" when the province gave none, or none we can use


class ProvinceOIDCBackend(OIDCAuthenticationBackend):
    """Authenticates the callback of the province's identity platform; returns None (no log-in) on any doubt."""

    def authenticate(self, request, **kwargs):
        # Only the library's callback calls authenticate with a nonce; a password form that happens to carry
        # ?code=&state= in its URL must not start a token exchange.
        if request is None or "nonce" not in kwargs or "username" in kwargs or "password" in kwargs:
            return None
        try:
            return super().authenticate(request, **kwargs)
        except (SuspiciousOperation, jwt.PyJWTError) as exc:
            _refuse(request, "token rejected: %s: %s", type(exc).__name__, exc)
        except (requests.RequestException, KeyError, ValueError) as exc:
            _refuse(request, "identity platform unreachable or answered badly: %s: %s", type(exc).__name__, exc)
        return None

    # --- Token checks on top of the library's (signature, algorithm, nonce, exp when present) ------------------

    def get_token(self, payload):
        payload["redirect_uri"] = callback_uri()  # the same URI the authorization request sent
        return super().get_token(payload)

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        if "nonce" in kwargs:  # the ID token; a signed userinfo response is checked by its sub instead
            self._check_id_token_claims(payload)
        return payload

    def _check_id_token_claims(self, payload: dict) -> None:
        # OpenID Connect Core 3.1.3.7: the client must be an audience (the library skips this check).
        audience = payload.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID token audience is not this client")
        if len(audiences) > 1 and payload.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("ID token authorized party is not this client")
        issuer = self.get_settings("OIDC_OP_ISSUER", "")
        if issuer and payload.get("iss") != issuer:
            raise SuspiciousOperation("ID token issuer is not the configured provider")
        # PyJWT checks exp only when present; an ID token must carry it, or it would be valid forever.
        for claim in ("sub", "exp", "iat"):
            if claim not in payload:
                raise SuspiciousOperation(f"ID token lacks {claim}")

    # --- Who the person is -------------------------------------------------------------------------------------

    def identity_from_claims(self, claims: dict) -> SsoIdentity | None:
        raw_id = str(claims.get(self.get_settings("OIDC_CLAIM_ID_NUMBER", "id_number")) or "")
        try:
            id_number = parse_id_number(raw_id).value
        except IdentityError as exc:
            _refuse(self.request, "no valid ID number claim (%s): %s", mask_id_number(raw_id.strip()) or "absent",
                    exc.message, user_message=MESSAGE_NO_ID_NUMBER)
            return None
        try:
            name = parse_person_name(str(claims.get(self.get_settings("OIDC_CLAIM_NAME", "name")) or ""))
        except IdentityError as exc:
            _refuse(self.request, "no valid name claim for %s: %s", mask_id_number(id_number), exc.message)
            return None
        try:
            mobile = parse_mobile(str(claims.get(self.get_settings("OIDC_CLAIM_MOBILE", "phone_number")) or ""))
        except IdentityError:
            mobile = ""  # a contact number is welcome, not required
        return SsoIdentity(name=name, id_number=id_number, mobile=mobile)

    def get_or_create_user(self, access_token, id_token, payload):
        userinfo = self.get_userinfo(access_token, id_token, payload)
        # OpenID Connect Core 5.3.2: userinfo must be about the subject of the ID token.
        if not isinstance(userinfo, dict) or userinfo.get("sub") != payload.get("sub"):
            _refuse(self.request, "userinfo subject differs from the ID token's")
            return None
        identity = self.identity_from_claims({**payload, **userinfo})
        if identity is None:
            return None
        person = person_find(identity.id_number)
        if person is None or person.user_id is None:
            try:
                user = resident_sign_up_from_sso(name=identity.name, id_number=identity.id_number,
                                                 mobile=identity.mobile)
            except InvalidInput as exc:
                if exc.field == "name":  # person_ensure: a wrong name for a known ID number
                    _refuse(self.request, "name does not match the person registered with %s",
                            mask_id_number(identity.id_number), user_message=MESSAGE_NAME_MISMATCH)
                    return None
                if exc.field != "id_number":
                    _refuse(self.request, "sign-up of %s refused: %s", mask_id_number(identity.id_number),
                            exc.message)
                    return None
                # A simultaneous first log-in of the same person won: use the account it created.
                person = person_find(identity.id_number)
            except IntegrityError:  # the same race, lost while creating the person
                person = person_find(identity.id_number)
            else:
                person = Person.objects.select_related("user").get(user=user)
        return self._log_in_existing(person, identity)

    def _log_in_existing(self, person: Person | None, identity: SsoIdentity) -> User | None:
        masked = mask_id_number(identity.id_number)
        if person is None or person.user is None:
            _refuse(self.request, "no account could be created for %s", masked)
            return None
        if person.name != identity.name:
            _refuse(self.request, "name does not match the person registered with %s", masked,
                    user_message=MESSAGE_NAME_MISMATCH)
            return None
        user = person.user
        if user.kind != User.Kind.PUBLIC or user.is_staff or user.is_superuser:
            # Staff sign in with their own credentials (and lock-out, and role checks); a provincial identity
            # must not open a back-office session.
            _refuse(self.request, "account %s of %s is a %s account", user.pk, masked, user.kind,
                    user_message=MESSAGE_STAFF)
            return None
        if not user.is_active:
            _refuse(self.request, "account %s of %s is deactivated", user.pk, masked, user_message=MESSAGE_INACTIVE)
            return None
        sso_login_record(user=user, person=person)
        return user


# --- Views (routed in urls_oidc.py, behind the OIDC_ENABLED check) ----------------------------------------------

class ProvinceAuthenticationRequestView(OIDCAuthenticationRequestView):
    """Sends the browser to the province with state and nonce (kept in the session by the library)."""

    def get_extra_params(self, request):
        return {**super().get_extra_params(request), "redirect_uri": callback_uri()}


class ProvinceCallbackView(OIDCAuthenticationCallbackView):
    """The province sends the browser back here with a code; failures go to our log-in page with a message."""

    @property
    def failure_url(self):
        return resolve_url(settings.LOGIN_URL)

    def get(self, request):
        try:
            return super().get(request)
        except SuspiciousOperation as exc:
            # A replayed or foreign state: the library would answer 400; the resident gets a way forward instead.
            _refuse(request, "%s", exc)
            return self.login_failure()

    def login_failure(self):
        # Refusals by the backend have said why already; this covers the rest (the resident cancelled at the
        # province, or the browser came back without the session that started the log-in).
        if not getattr(self.request, "sso_refusal_shown", False):
            error = self.request.GET.get("error", "")[:100]
            _refuse(self.request, "the identity platform answered error=%s" % error if error
                    else "callback without a matching log-in in this session")
        return super().login_failure()


class ProvinceLogoutView(OIDCLogoutView):
    """Ends our session (POST only, CSRF-protected); a session opened by SSO then ends at the province too."""

    def post(self, request):
        logout_url = self.redirect_url
        if request.user.is_authenticated:
            via_sso = request.session.get(auth.BACKEND_SESSION_KEY) == BACKEND_PATH
            auth.logout(request)
            endpoint = getattr(settings, "OIDC_OP_LOGOUT_ENDPOINT", "")
            if via_sso and endpoint:
                back = logout_url if "://" in logout_url else settings.PUBLIC_BASE_URL.rstrip("/") + logout_url
                query = urlencode({"client_id": settings.OIDC_RP_CLIENT_ID, "post_logout_redirect_uri": back})
                logout_url = f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
        return HttpResponseRedirect(logout_url)


def axes_exempt_sso_callback(request, credentials) -> bool:
    """django-axes whitelist (AXES_WHITELIST_CALLABLE): the SSO callback is not a password attempt. It carries no
    identifier, so axes would count every failed callback in one shared bucket and five failures anywhere would
    lock SSO for everyone; guessing is the province's concern (state, nonce and code are single-use here)."""
    credentials = credentials or {}
    return (not credentials.get("username") and "nonce" in credentials
            and request is not None and request.path == reverse("oidc:callback"))
