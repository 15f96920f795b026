from django.urls import path

from yijianshi.hotline import views

app_name = "hotline"

urlpatterns = [
    # 话务员工作台
    path("console/", views.console, name="console"),
    path("console/caller/", views.caller_lookup, name="caller-lookup"),
    # 工单 and its actions
    path("<int:pk>/", views.ticket_detail, name="ticket"),
    path("<int:pk>/dispatch/", views.ticket_dispatch, name="dispatch"),
    path("<int:pk>/merge/", views.ticket_merge, name="merge"),
    path("<int:pk>/answer/", views.ticket_answer, name="answer"),
    path("<int:pk>/accept/", views.ticket_accept, name="accept"),
    path("<int:pk>/return/", views.ticket_return, name="return"),
    path("<int:pk>/reply/", views.ticket_reply, name="reply"),
    path("<int:pk>/extend/", views.ticket_extend, name="extend"),
    path("<int:pk>/rate/", views.ticket_rate, name="rate"),
    path("<int:pk>/supervise/", views.ticket_supervise, name="supervise"),
    path("<int:pk>/review/", views.ticket_review, name="review"),
    path("<int:pk>/assign/", views.ticket_assign, name="assign"),
    path("<int:pk>/co-handle/", views.ticket_co_handle, name="co-handle"),
    path("<int:pk>/co-handle/waive/", views.ticket_co_waive, name="co-waive"),
    path("<int:pk>/rating-appeal/", views.ticket_appeal, name="appeal"),
    path("<int:pk>/rating-appeal/decide/", views.ticket_appeal_decide, name="appeal-decide"),
    path("<int:pk>/caller-mobile/", views.caller_reveal, name="caller-reveal"),
    path("<int:pk>/photos/<int:photo_id>/", views.ticket_photo, name="photo"),
    # 部门工单, 督办
    path("department/", views.department, name="department"),
    path("overdue/", views.overdue, name="overdue"),
    # 群众
    path("new/", views.web_new, name="new"),
    path("mine/", views.mine, name="mine"),
    path("mine/<str:number>/", views.mine_detail, name="mine-detail"),
    path("mine/<str:number>/rate/", views.mine_rate, name="mine-rate"),
]
