"""Puts on each request whom the logged-in person is acting for (chosen in the session, re-checked every time)."""

from __future__ import annotations

from yijianshi.accounts.permissions import NotAllowed

SESSION_KEY = "acting_principal_id"


class ActingPrincipalMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.acting = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "person", None) is not None:
            from yijianshi.accounts.services import acting_context

            try:
                request.acting = acting_context(user, request.session.get(SESSION_KEY))
            except NotAllowed:
                # The mandate was revoked or expired since it was chosen: fall back to acting for oneself.
                request.session.pop(SESSION_KEY, None)
                request.acting = acting_context(user, None)
        return self.get_response(request)
