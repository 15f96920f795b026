"""Residents' and enterprises' own pages: sign-up, log-in, 我的空间, 授权代办, enterprise registration."""

from django.urls import path

from yijianshi.accounts import views

app_name = "accounts"

urlpatterns = [
    path("accounts/signup/", views.sign_up, name="signup"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.log_out, name="logout"),
    path("accounts/logout-everywhere/", views.log_out_everywhere, name="logout-everywhere"),
    path("me/", views.me, name="me"),
    path("me/acting/", views.acting_switch, name="acting"),
    path("me/contact/", views.contact_update, name="contact"),
    path("me/mandates/", views.mandates, name="mandates"),
    path("me/mandates/grant/", views.mandate_grant, name="mandate-grant"),
    path("me/mandates/<int:pk>/revoke/", views.mandate_revoke, name="mandate-revoke"),
    path("me/enterprises/register/", views.enterprise_register, name="enterprise-register"),
    path("me/enterprises/<int:pk>/", views.enterprise_detail, name="enterprise-detail"),
    path("me/enterprises/<int:pk>/administrators/", views.enterprise_administrators,
         name="enterprise-administrators"),
]
