"""Key rotation: re-encrypt stored personal data with the active key."""

from __future__ import annotations

from django.apps import apps
from django.db import models, transaction
from django.db.models.functions import Cast

from yijianshi.audit.services import audit_record
from yijianshi.privacy.crypto import key_id_of
from yijianshi.privacy.fields import EncryptedTextField
from yijianshi.privacy.keys import key_ring


def encrypted_fields() -> list[tuple[type[models.Model], list[str]]]:
    found = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            found.append((model, names))
    return found


def personal_data_reencrypt(*, batch_size: int = 500, actor=None) -> dict[str, int]:
    """Re-encrypt every value not under the active key; safe to stop and re-run (each batch commits)."""
    active = key_ring().active_key_id
    counts: dict[str, int] = {}
    for model, names in encrypted_fields():
        raw = {f"raw_{n}": Cast(n, output_field=models.TextField()) for n in names}
        stale = [pk for pk, *values in model.objects.annotate(**raw).values_list("pk", *raw.keys())
                 if any(v and key_id_of(v) != active for v in values)]
        for start in range(0, len(stale), batch_size):
            with transaction.atomic():
                for obj in model.objects.select_for_update().filter(pk__in=stale[start:start + batch_size]):
                    obj.save(update_fields=names)  # decrypted on load, encrypted with the active key on save
        counts[model._meta.label] = len(stale)
    with transaction.atomic():
        audit_record(action="privacy.reencrypt", object_type="privacy.keys", object_id=active, actor=actor,
                     after=counts)
    return counts
