from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "yijianshi.portal"
    verbose_name = "门户"
