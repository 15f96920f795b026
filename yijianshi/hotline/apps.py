from django.apps import AppConfig


class HotlineConfig(AppConfig):
    name = "yijianshi.hotline"
    verbose_name = "12345 热线"
