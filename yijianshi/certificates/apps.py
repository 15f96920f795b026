from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "yijianshi.certificates"
    verbose_name = "电子证照"
