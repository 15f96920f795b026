"""Where messages leave the platform. Chosen by settings so development prints them and production sends them:
NOTIFICATION_SMS_GATEWAY = "console" | "http" (NOTIFICATION_SMS_URL, NOTIFICATION_SMS_TOKEN, the province's
SMS platform, JSON {"mobile", "content"}); e-mail goes through Django's EMAIL_BACKEND."""

from __future__ import annotations

import json
import logging
import urllib.request

from django.conf import settings
from django.core.mail import send_mail

from yijianshi.privacy.masking import mask_mobile

logger = logging.getLogger("yijianshi.notifications")


class GatewayError(Exception):
    pass


def send_sms(mobile: str, content: str) -> None:
    kind = getattr(settings, "NOTIFICATION_SMS_GATEWAY", "console")
    if kind == "console":
        logger.info("短信 → %s：%s", mask_mobile(mobile), content)
        return
    if kind == "http":
        request = urllib.request.Request(
            settings.NOTIFICATION_SMS_URL, data=json.dumps({"mobile": mobile, "content": content}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {settings.NOTIFICATION_SMS_TOKEN}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                if response.status >= 300:
                    raise GatewayError(f"SMS gateway answered {response.status}")
        except OSError as exc:
            raise GatewayError(f"SMS gateway unreachable: {exc}") from exc
        return
    raise GatewayError(f"unknown NOTIFICATION_SMS_GATEWAY {kind!r}")


def send_email(address: str, subject: str, body: str) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
