"""The process-wide analyzer, built once from settings.SEARCH_DATA_DIR (jieba's start-up costs ~0.5 s)."""

import logging
from functools import lru_cache

from django.conf import settings

from yijianshi.search.domain.analyzer import Analyzer
from yijianshi.search.domain.resources import load_analyzer, resources_fingerprint


@lru_cache(maxsize=1)
def get_analyzer() -> Analyzer:
    # jieba announces its dictionary loading at DEBUG level on its own handler; keep that out of the logs.
    logging.getLogger("jieba").setLevel(logging.WARNING)
    return load_analyzer(settings.SEARCH_DATA_DIR)


def analyzer_fingerprint() -> str:
    return resources_fingerprint(settings.SEARCH_DATA_DIR)
