from django.urls import path

from yijianshi.catalog import views

app_name = "catalog"

urlpatterns = [
    path("bundles/", views.bundle_list, name="bundle-list"),
    path("bundles/<slug:code>/", views.bundle_guide, name="bundle-guide"),
    path("bundles/<slug:code>/guide.pdf", views.bundle_guide_pdf, name="bundle-guide-pdf"),
    path("items/<str:code>/", views.item_guide, name="item-guide"),
    path("items/<str:code>/guide.pdf", views.item_guide_pdf, name="item-guide-pdf"),
]
