"""Periodic audit jobs: sign the chain head every 15 minutes, verify the whole chain every night."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from yijianshi.audit.services import checkpoint_create, verification_run


@db_periodic_task(crontab(minute="*/15"))
def audit_checkpoint_job():
    checkpoint_create()


@db_periodic_task(crontab(hour="2", minute="30"))
def audit_verification_job():
    verification_run()
