from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "yijianshi.profiles"
    verbose_name = "一人一档与数据共享"
