"""The nightly matching batch (免申即享 / 即申即享). Idempotent: a retry or a second run matches nobody twice."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from yijianshi.policies.services import match_run


@db_periodic_task(crontab(hour="3", minute="10"))
def match_policies_job():
    match_run(trigger="periodic")


@db_task()
def match_policies_now():
    """On demand, e.g. after an editor publishes a version."""
    match_run(trigger="on_demand")
