"""Periodic case jobs."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from yijianshi.cases.services import deadline_sweep


@db_periodic_task(crontab(minute="5"))
def deadline_sweep_job():
    """Hourly: yellow / red flags on tasks and cases, reminders, breached 容缺 commitments. Idempotent."""
    deadline_sweep()
