"""Signal receivers: keep the index in step with the published catalog."""

import logging

from yijianshi.search.services import search_index_rebuild

logger = logging.getLogger(__name__)


def rebuild_index_on_catalog_change(sender, **kwargs):
    # A catalog load sends one signal per published item plus one for the load; the fingerprint check in
    # the service turns all but the first into a cheap no-op.
    try:
        search_index_rebuild()
    except Exception:  # the catalog change is already committed; a stale index must not undo the request
        logger.exception("搜索索引重建失败；可运行 manage.py rebuild_search_index 手动重建")
