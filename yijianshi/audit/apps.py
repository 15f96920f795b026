from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "yijianshi.audit"
    verbose_name = "审计"
