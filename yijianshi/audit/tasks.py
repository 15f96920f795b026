"""Periodic signing of the audit chain head."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from yijianshi.audit.services import checkpoint_create


@db_periodic_task(crontab(minute="*/15"))
def audit_checkpoint_job():
    checkpoint_create()
