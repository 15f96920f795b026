from django.apps import AppConfig


class SpaceConfig(AppConfig):
    name = "yijianshi.space"
    verbose_name = "专属服务空间"
