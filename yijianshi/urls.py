from django.contrib import admin
from django.urls import include, path

from yijianshi.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("yijianshi.catalog.urls")),
    path("", include("yijianshi.portal.urls")),
]
