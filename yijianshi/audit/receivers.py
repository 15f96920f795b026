"""Writes made in the Django admin reach the audit chain through the admin's own log entry, which Django
writes in the same transaction as the change, for every model and every admin action."""

from django.contrib.admin.models import LogEntry
from django.db.models.signals import post_save
from django.dispatch import receiver

from yijianshi.audit.services import audit_record

_ACTIONS = {1: "admin.add", 2: "admin.change", 3: "admin.delete"}


@receiver(post_save, sender=LogEntry, dispatch_uid="audit_admin_log_entry")
def audit_admin_write(sender, instance: LogEntry, created: bool, **kwargs):
    if not created:
        return
    content_type = instance.content_type
    audit_record(
        action=_ACTIONS.get(instance.action_flag, "admin.write"),
        object_type=f"{content_type.app_label}.{content_type.model}" if content_type else "",
        object_id=instance.object_id or "", actor=instance.user,
        after={"object": instance.object_repr[:200], "change": instance.get_change_message()},
    )
