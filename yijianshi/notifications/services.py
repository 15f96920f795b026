"""Notifying people: a site message always, SMS and e-mail where we have the address. Sending happens on the
job queue after the transaction commits, so a rolled-back change never sends anything."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from yijianshi.notifications.models import Notification


def notify(users, *, subject: str, body: str, link: str = "", dedupe_key: str = "") -> list[Notification]:
    """Queue a message to each user. With ``dedupe_key``, a user already notified with that key is skipped, so
    a sweep that runs twice notifies once."""
    created = []
    for user in {u.pk: u for u in users if u is not None}.values():
        if dedupe_key and Notification.objects.filter(recipient=user, dedupe_key=dedupe_key).exists():
            continue
        person = getattr(user, "person", None)
        channels = [Notification.Channel.SITE]
        if person is not None and person.mobile:
            channels.append(Notification.Channel.SMS)
        if user.email:
            channels.append(Notification.Channel.EMAIL)
        for channel in channels:
            created.append(Notification.objects.create(recipient=user, channel=channel, subject=subject[:200],
                                                       body=body, link=link[:200], dedupe_key=dedupe_key[:120]))
    ids = [n.pk for n in created if n.channel != Notification.Channel.SITE]
    if ids:
        from yijianshi.notifications.tasks import send_notifications_job

        transaction.on_commit(lambda: send_notifications_job(ids))
    return created


def notify_mobile(mobile: str, *, subject: str, body: str, dedupe_key: str = "") -> Notification:
    """An SMS to someone who has no account (a caller of 12345), sent after commit."""
    from yijianshi.notifications.tasks import send_notifications_job

    notification = Notification.objects.create(mobile=mobile, channel=Notification.Channel.SMS, subject=subject[:200],
                                               body=body, dedupe_key=dedupe_key[:120])
    transaction.on_commit(lambda: send_notifications_job([notification.pk]))
    return notification


def notification_send(notification: Notification) -> None:
    from yijianshi.notifications import gateways

    if notification.status == Notification.Status.SENT:
        return  # a retried job must not send twice
    try:
        if notification.channel == Notification.Channel.SMS:
            mobile = notification.mobile or notification.recipient.person.mobile
            gateways.send_sms(mobile, f"【清涧政务】{notification.body}")
        elif notification.channel == Notification.Channel.EMAIL:
            gateways.send_email(notification.recipient.email, notification.subject, notification.body)
    except gateways.GatewayError as exc:
        Notification.objects.filter(pk=notification.pk).update(status=Notification.Status.FAILED, error=str(exc)[:300])
        raise
    Notification.objects.filter(pk=notification.pk).update(status=Notification.Status.SENT, sent_at=timezone.now())
