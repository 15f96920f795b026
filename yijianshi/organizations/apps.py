from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "yijianshi.organizations"
    verbose_name = "机构与服务网点"
