from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    name = "yijianshi.workdays"
    verbose_name = "工作日历"
