"""Periodic hotline jobs."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from yijianshi.hotline.services import ticket_deadline_sweep


@db_periodic_task(crontab(minute="*/10"))
def ticket_deadline_sweep_job():
    """Every 10 minutes (urgent tickets have 2 hours): yellow / red flags and reminders, once per change."""
    ticket_deadline_sweep()


@db_periodic_task(crontab(hour="3", minute="10"))
def retrain_dispatcher_job():
    """Nightly: operators' dispatch decisions since the last training become training data (退单 ones excluded)."""
    from yijianshi.hotline.dispatch.training import train_and_save

    train_and_save()
