from django.urls import path

from yijianshi.policies import views

app_name = "policies"

urlpatterns = [
    # 群众、企业：惠企利民政策（免申即享 / 即申即享）
    path("me/policies/", views.me_policies, name="me"),
    path("me/policies/matching/", views.matching_preference, name="matching"),
    path("me/policies/<int:pk>/", views.match_detail, name="match"),
    path("me/policies/<int:pk>/confirm/", views.match_confirm, name="confirm"),
    path("me/policies/<int:pk>/decline/", views.match_decline, name="decline"),
    path("me/policies/<int:pk>/reconsider/", views.match_reconsider, name="reconsider"),
    path("me/policies/<int:pk>/apply/", views.match_apply, name="apply"),
    # 部门：政策兑现（发放队列）
    path("policies/grants/", views.grants, name="grants"),
    path("policies/grants/<int:pk>/<slug:action>/", views.grant_action, name="grant-action"),
    # 事项库管理员：政策管理
    path("policies/editor/", views.editor, name="editor"),
    path("policies/editor/edit/", views.editor_edit, name="editor-edit"),
    path("policies/editor/preview/", views.editor_preview, name="editor-preview"),
    path("policies/editor/versions/<int:pk>/publish/", views.editor_publish, name="editor-publish"),
]
