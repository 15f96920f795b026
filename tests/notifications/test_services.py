"""Notifications: queued on commit, sent through the configured gateway, never twice."""

import pytest

from yijianshi.notifications.models import Notification
from yijianshi.notifications.services import notify

pytestmark = pytest.mark.django_db


def test_a_resident_gets_a_site_message_and_an_sms_sent_after_commit(resident, django_capture_on_commit_callbacks,
                                                                      caplog):
    with django_capture_on_commit_callbacks(execute=True):
        created = notify([resident], subject="申请已受理", body="您的申请已受理。", link="/cases/QJ1/")
    assert {n.channel for n in created} == {"site", "sms"}
    sms = Notification.objects.get(channel="sms")
    assert sms.status == "sent" and sms.sent_at is not None
    assert "138****0001" in caplog.text and "13800000001" not in caplog.text  # the console gateway masks


def test_the_same_dedupe_key_notifies_once(resident):
    notify([resident], subject="任务已超期", body="…", dedupe_key="task:1:red")
    notify([resident], subject="任务已超期", body="…", dedupe_key="task:1:red")
    assert Notification.objects.filter(channel="site").count() == 1


def test_a_failing_sms_gateway_marks_the_message_failed(resident, settings, django_capture_on_commit_callbacks):
    settings.NOTIFICATION_SMS_GATEWAY = "http"
    settings.NOTIFICATION_SMS_URL = "http://127.0.0.1:9/sms"  # nothing listens on the discard port
    with django_capture_on_commit_callbacks(execute=True):
        notify([resident], subject="测试", body="测试")
    sms = Notification.objects.get(channel="sms")
    assert sms.status == "failed" and "unreachable" in sms.error


def test_a_resident_sees_her_own_site_messages_on_her_space(resident, relative):
    from django.test import Client

    notify([resident], subject="申请已受理", body="您的申请（QJ1）已受理。", link="/cases/QJ1/")
    notify([relative], subject="别人的消息", body="不应出现")
    client = Client()
    client.force_login(resident)
    page = client.get("/me/").content.decode()
    assert "申请已受理" in page and "别人的消息" not in page
