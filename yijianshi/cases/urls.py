from django.urls import path

from yijianshi.cases import views

app_name = "cases"

urlpatterns = [
    # Applying (the wizard; the token is the submission's idempotency key)
    path("apply/<slug:code>/", views.apply_start, name="apply"),
    path("apply/<slug:code>/<slug:token>/applicant/", views.apply_applicant, name="apply-applicant"),
    path("apply/<slug:code>/<slug:token>/situation/", views.apply_situation, name="apply-situation"),
    path("apply/<slug:code>/<slug:token>/form/", views.apply_form, name="apply-form"),
    path("apply/<slug:code>/<slug:token>/materials/", views.apply_materials, name="apply-materials"),
    path("apply/<slug:code>/<slug:token>/confirm/", views.apply_confirm, name="apply-confirm"),
    # The applicant's cases
    path("cases/", views.my_cases, name="mine"),
    path("cases/<str:number>/", views.case_detail, name="detail"),
    path("cases/<str:number>/receipt/", views.receipt, name="receipt"),
    path("cases/<str:number>/correct/", views.case_correct, name="correct"),
    path("cases/<str:number>/rate/", views.case_rate, name="rate"),
    path("cases/<str:number>/withdraw/", views.case_withdraw, name="withdraw"),
    path("cases/<str:number>/commitments/<int:commitment_id>/fulfil/", views.commitment_fulfil, name="fulfil"),
    # Documents and materials (the applicant, or staff who may see the case)
    path("cases/<str:number>/receipt.pdf", views.receipt_pdf, name="receipt-pdf"),
    path("cases/<str:number>/notices/<int:notice_id>.pdf", views.notice_pdf, name="notice-pdf"),
    path("cases/<str:number>/commitments/<int:commitment_id>.pdf", views.commitment_pdf, name="commitment-pdf"),
    path("cases/<str:number>/materials/<int:material_id>/", views.material_download, name="material"),
    # 综合窗口
    path("window/", views.window_queue, name="window"),
    path("window/apply/", views.window_apply, name="window-apply"),
    path("window/cases/<str:number>/", views.window_case, name="window-case"),
    path("window/cases/<str:number>/accept/", views.window_accept, name="window-accept"),
    path("window/cases/<str:number>/notice/", views.window_notice, name="window-notice"),
    path("window/cases/<str:number>/refuse/", views.window_refuse, name="window-refuse"),
    path("window/cases/<str:number>/deliver/", views.window_deliver, name="window-deliver"),
    # 部门待办
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/rectifications/<int:pk>/close/", views.rectification_close, name="rectification-close"),
    path("tasks/rectifications/<int:pk>/appeal/", views.rating_appeal, name="rating-appeal"),
    path("tasks/<int:task_id>/", views.task_detail, name="task"),
    path("tasks/<int:task_id>/claim/", views.task_claim, name="task-claim"),
    path("tasks/<int:task_id>/note/", views.task_note, name="task-note"),
    path("tasks/<int:task_id>/approve/", views.task_approve, name="task-approve"),
    path("tasks/<int:task_id>/return/", views.task_return, name="task-return"),
    path("tasks/<int:task_id>/refuse/", views.task_refuse, name="task-refuse"),
    path("tasks/<int:task_id>/extend/", views.task_extend, name="task-extend"),
    path("tasks/<int:task_id>/commitments/<int:commitment_id>/verify/", views.commitment_verify,
         name="commitment-verify"),
    # 评价申诉复核 (ratings of cases and of window services)
    path("supervision/rating-appeals/", views.rating_appeals, name="rating-appeals"),
    path("supervision/rating-appeals/<int:pk>/decide/", views.rating_appeal_decide, name="rating-appeal-decide"),
]
