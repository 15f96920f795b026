from django.urls import path

from yijianshi.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search_page, name="search"),
    path("service-points/", views.service_points, name="service-points"),
]
