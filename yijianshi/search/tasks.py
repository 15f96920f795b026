"""Background jobs of the search app, run by the Huey consumer (`manage.py run_huey`)."""

from huey.contrib.djhuey import db_task

from yijianshi.search.services import search_index_rebuild


@db_task(retries=3, retry_delay=10)
def rebuild_search_index_job():
    # Idempotent: the service compares a fingerprint of the catalog and skips an up-to-date index, so a
    # retry or a duplicate job costs one cheap check.
    search_index_rebuild()
