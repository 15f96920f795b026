"""Reading notifications: a user's own site messages, newest first."""

from yijianshi.notifications.models import Notification


def site_messages(user, limit: int = 10):
    return Notification.objects.filter(recipient=user, channel=Notification.Channel.SITE)[:limit]
