from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "yijianshi.cases"
    verbose_name = "办件"
