from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "yijianshi.search"
    verbose_name = "搜索"

    def ready(self):
        from yijianshi.catalog.signals import catalog_changed
        from yijianshi.search.receivers import rebuild_index_on_catalog_change

        # dispatch_uid: connect once even if ready() runs twice (tests, autoreload).
        catalog_changed.connect(rebuild_index_on_catalog_change, dispatch_uid="search_rebuild_on_catalog_change")
