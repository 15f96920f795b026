from django.urls import path

from yijianshi.hall import views

app_name = "hall"

urlpatterns = [
    # Public: the kiosk, the ticket's holder, the call screen, rating (no log-in; the token is the right)
    path("", views.index, name="index"),
    path("<slug:point>/take/", views.take, name="take"),
    path("<slug:point>/screen/", views.screen, name="screen"),
    path("tickets/<str:token>/", views.ticket_page, name="ticket"),
    path("tickets/<str:token>/cancel/", views.ticket_cancel, name="cancel"),
    path("rate/<str:token>/", views.rate, name="rate"),
    # Window staff of the service point
    path("windows/", views.windows, name="windows"),
    path("windows/<int:pk>/", views.window, name="window"),
    path("windows/<int:pk>/call/", views.call_next, name="call"),
    path("windows/<int:pk>/no-show/", views.no_show, name="no-show"),
    path("windows/<int:pk>/start/", views.start, name="start"),
    path("windows/<int:pk>/finish/", views.finish, name="finish"),
    path("windows/<int:pk>/transfer/", views.transfer, name="transfer"),
    path("windows/<int:pk>/pad/", views.pad, name="pad"),
    path("queue/<int:pk>/priority/", views.mark_priority, name="priority"),
    # 帮办代办员
    path("help/", views.help_list, name="help"),
    path("help/<int:pk>/accompany/", views.help_accompany, name="help-accompany"),
    path("help/<int:pk>/record/", views.help_record, name="help-record"),
    # 效能监督
    path("supervision/", views.supervision, name="supervision"),
]
