from django.urls import path

from yijianshi.accounts import staff_views as views

app_name = "staff"

urlpatterns = [
    path("", views.staff_list, name="list"),
    path("new/", views.staff_create, name="create"),
    path("systems/new/", views.system_account_new, name="system-create"),
    path("<int:user_id>/", views.staff_detail, name="detail"),
    path("<int:user_id>/roles/", views.staff_roles, name="roles"),
    path("<int:user_id>/active/", views.staff_set_active, name="set-active"),
    path("<int:user_id>/tokens/", views.token_issue, name="token-issue"),
    path("<int:user_id>/tokens/<int:token_id>/revoke/", views.token_revoke, name="token-revoke"),
    path("enterprises/", views.enterprise_search, name="enterprise-search"),
    path("enterprises/<int:enterprise_id>/", views.enterprise_detail, name="enterprise-detail"),
    path("persons/", views.person_lookup, name="person-lookup"),
    path("persons/<int:person_id>/reveal/", views.person_reveal, name="person-reveal"),
]
