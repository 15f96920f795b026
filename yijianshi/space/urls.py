from django.urls import path

from yijianshi.space import views

app_name = "space"

urlpatterns = [
    path("me/space/", views.home, name="home"),
]
