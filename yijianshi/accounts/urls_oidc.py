"""Single sign-on routes, included at /oidc/. Always routed, so the OIDC_ENABLED check happens per request:
with single sign-on off every one of them answers 404."""

from functools import wraps

from django.conf import settings
from django.http import Http404
from django.urls import path

from yijianshi.accounts.oidc import ProvinceAuthenticationRequestView, ProvinceCallbackView, ProvinceLogoutView

app_name = "oidc"


def _only_when_enabled(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not settings.OIDC_ENABLED:
            raise Http404("未启用省统一身份认证登录")
        return view(request, *args, **kwargs)

    return wrapped


# "callback" is what settings.OIDC_AUTHENTICATION_CALLBACK_URL ("oidc:callback") names for the library.
urlpatterns = [
    path("authenticate/", _only_when_enabled(ProvinceAuthenticationRequestView.as_view()), name="authenticate"),
    path("callback/", _only_when_enabled(ProvinceCallbackView.as_view()), name="callback"),
    path("logout/", _only_when_enabled(ProvinceLogoutView.as_view()), name="logout"),
]
