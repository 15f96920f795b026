from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "yijianshi.notifications"
    verbose_name = "消息通知"
