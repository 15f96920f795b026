from django.urls import path

from yijianshi.profiles import views

app_name = "profiles"

urlpatterns = [
    # 工作人员：档案查询、数据共享导入
    path("profiles/lookup/", views.lookup, name="lookup"),
    path("profiles/feeds/", views.feeds, name="feeds"),
    path("profiles/feeds/<int:pk>/", views.feed_detail, name="feed"),
    path("profiles/feeds/<int:pk>/status/", views.feed_status, name="feed-status"),
    path("profiles/feeds/<int:pk>/errors.csv", views.feed_errors_csv, name="feed-errors"),
    # 群众、企业：我的档案、数据使用记录
    path("me/profile/", views.me_profile, name="me-profile"),
    path("me/data-access/", views.me_data_access, name="me-data-access"),
]
