"""Signal receivers: keep the index in step with the published catalog."""

from yijianshi.search.tasks import rebuild_search_index_job


def rebuild_index_on_catalog_change(sender, **kwargs):
    # catalog_changed is sent on commit; the rebuild goes on the queue so the request that published
    # (an admin publish, an Excel import) does not wait for it, and a failure is retried by the consumer.
    rebuild_search_index_job()
