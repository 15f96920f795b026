"""Periodic hall jobs."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from yijianshi.hall.services import day_close


@db_periodic_task(crontab(hour="0", minute="20"))
def day_close_job():
    """Nightly: numbers of earlier days still open are ended (waiting ones void, ones left in service closed)."""
    day_close()
