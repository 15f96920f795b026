from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "yijianshi.catalog"
    verbose_name = "事项库与一件事"
