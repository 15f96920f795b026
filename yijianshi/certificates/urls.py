from django.urls import path

from yijianshi.certificates import views

app_name = "certificates"

urlpatterns = [
    # Public: verification, and what offline verifiers download
    path("certificates/verify/", views.verify, name="verify"),
    path("certificates/status/<str:purpose>.json", views.status_list, name="status-list"),
    path("certificates/keys.json", views.trust_list, name="keys"),
    # The holder (or whoever acts for them)
    path("me/certificates/", views.mine, name="mine"),
    path("me/certificates/<int:pk>/", views.detail, name="detail"),
    path("me/certificates/<int:pk>.pdf", views.pdf, name="pdf"),
    # The issuing department
    path("certificates/issued/", views.issued, name="issued"),
    path("certificates/issued/<int:pk>/", views.issued_detail, name="issued-detail"),
    path("certificates/issued/<int:pk>/suspend/", views.issued_suspend, name="suspend"),
    path("certificates/issued/<int:pk>/reinstate/", views.issued_reinstate, name="reinstate"),
    path("certificates/issued/<int:pk>/revoke/", views.issued_revoke, name="revoke"),
]
