from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "yijianshi.audit"
    verbose_name = "审计"

    def ready(self):
        from yijianshi.audit import receivers  # noqa: F401  (connects the admin-write receiver)
