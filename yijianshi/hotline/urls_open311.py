from django.urls import re_path

from yijianshi.hotline import open311

app_name = "open311"
FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(r"^services" + FMT, open311.services, name="services"),
    re_path(r"^requests" + FMT, open311.requests_, name="requests"),
    re_path(r"^requests/(?P<number>RX\d+)" + FMT, open311.request_detail, name="request"),
]
