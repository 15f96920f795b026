from huey.contrib.djhuey import db_task

from yijianshi.notifications.models import Notification
from yijianshi.notifications.services import notification_send


@db_task(retries=3, retry_delay=60)
def send_notifications_job(notification_ids: list[int]):
    for notification in Notification.objects.filter(pk__in=notification_ids).select_related("recipient__person"):
        notification_send(notification)
