from django.contrib import admin
from django.urls import include, path

from yijianshi.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("open311/v2/", include("yijianshi.hotline.urls_open311")),
    path("hotline/", include("yijianshi.hotline.urls")),
    path("hall/", include("yijianshi.hall.urls")),
    path("oidc/", include("yijianshi.accounts.urls_oidc")),
    path("staff/", include("yijianshi.accounts.staff_urls")),
    path("supervision/audit/", include("yijianshi.audit.urls")),
    path("", include("yijianshi.cases.urls")),
    path("", include("yijianshi.certificates.urls")),
    path("", include("yijianshi.accounts.urls")),
    path("", include("yijianshi.profiles.urls")),
    path("", include("yijianshi.space.urls")),
    path("", include("yijianshi.policies.urls")),
    path("", include("yijianshi.catalog.urls")),
    path("", include("yijianshi.portal.urls")),
]
