"""Valid applications built from the catalog itself, so tests follow the catalog when it changes."""

from __future__ import annotations

import uuid

from yijianshi.cases.demo import SAMPLE_PDF as PDF  # noqa: F401  (tests upload it as a material)
from yijianshi.cases.demo import sample_submission as submission_for  # noqa: F401
from yijianshi.cases.demo import sample_value  # noqa: F401


def key() -> str:
    return uuid.uuid4().hex
