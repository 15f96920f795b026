"""Background jobs of the profiles app, run by the Huey consumer (`manage.py run_huey`)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from yijianshi.profiles.services import feed_process, feed_stale_sweep


@db_task()
def feed_process_job(run_id: int):
    # No automatic retry: a failed feed is marked failed with a message and the officer submits again, which
    # the replay check makes safe. Running twice is harmless anyway (a finished run is left alone).
    feed_process(run_id)


@db_periodic_task(crontab(minute="20"))
def feed_stale_sweep_job():
    """Hourly: a feed left "processing" by a consumer that died is marked failed, so the officer resubmits."""
    feed_stale_sweep()
