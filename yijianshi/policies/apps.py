from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "yijianshi.policies"
    verbose_name = "免申即享 / 即申即享"
