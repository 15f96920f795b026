"""Appending to the audit chain and signing checkpoints of it."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from yijianshi.audit.chain import event_hash
from yijianshi.audit.models import AuditEvent, ChainHead, Checkpoint, VerificationRun
from yijianshi.db import lock_or_create

SYSTEM_LABEL = "系统"


def _jsonable(value: Any) -> Any:
    """Dates, decimals and UUIDs as strings, so the stored JSON hashes the same after a database round trip."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def _party_label(party) -> str:
    if party is None:
        return ""
    masked = getattr(party, "masked_display_name", None)
    return masked if masked is not None else str(party)


def audit_record(*, action: str, object_type: str, object_id: Any = "", actor=None, principal=None,
                 subject=None, reason: str = "", before: Any = None, after: Any = None) -> AuditEvent:
    """Append one event, in the caller's transaction, so the record exists exactly when the change does.

    ``actor`` is the user who acted (None for the system), ``principal`` the person or enterprise acted for,
    ``subject`` the person or enterprise whose data was written or read (for the data-subject view).
    Personal values must already be masked or omitted in ``before``/``after``.
    """
    with transaction.atomic():
        # Locking the head serialises appenders on PostgreSQL; SQLite runs writers one at a time anyway
        # (transactions begin IMMEDIATE, see settings), so the chain can never fork.
        head = lock_or_create(ChainHead, pk=1)
        is_user = actor is not None and getattr(actor, "is_authenticated", False)
        fields = {
            "seq": head.seq + 1,
            "occurred_at": timezone.now(),
            "actor_user_id": actor.pk if is_user else None,
            "actor_label": (actor.get_username() if is_user else SYSTEM_LABEL)[:100],
            "principal_party_id": getattr(principal, "pk", None),
            "principal_label": _party_label(principal)[:200],
            "subject_party_id": getattr(subject, "pk", None),
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id)[:64],
            "reason": reason,
            "before": _jsonable(before),
            "after": _jsonable(after),
            "prev_hash": head.hash,
        }
        event = AuditEvent.objects.create(**fields, hash=event_hash(fields))
        ChainHead.objects.filter(pk=1).update(seq=event.seq, hash=event.hash)
        return event


def audit_read(*, actor, subject, fields: list[str], purpose: str, principal=None, object_type: str = "",
               object_id: Any = "") -> AuditEvent:
    """Record that ``actor`` saw ``fields`` of another person's or enterprise's personal data, and why."""
    return audit_record(
        action="personal_data.read", object_type=object_type or subject._meta.label_lower,
        object_id=object_id or subject.pk, actor=actor, principal=principal, subject=subject,
        reason=purpose, after={"fields": sorted(fields)},
    )


# --- Signed checkpoints -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SigningKey:
    key_id: str
    private: Ed25519PrivateKey


def signing_key() -> SigningKey:
    seed = base64.b64decode(settings.AUDIT_SIGNING_KEY)
    return SigningKey(settings.AUDIT_SIGNING_KEY_ID, Ed25519PrivateKey.from_private_bytes(seed))


def verify_keys() -> dict[str, Ed25519PublicKey]:
    """The current public key plus earlier ones kept after a rotation (AUDIT_VERIFY_KEYS: 'id:BASE64,...')."""
    keys = {}
    for part in filter(None, (p.strip() for p in settings.AUDIT_VERIFY_KEYS.split(","))):
        key_id, _, encoded = part.partition(":")
        keys[key_id] = Ed25519PublicKey.from_public_bytes(base64.b64decode(encoded))
    current = signing_key()
    keys[current.key_id] = current.private.public_key()
    return keys


def checkpoint_create() -> Checkpoint | None:
    """Sign the current chain head; nothing new since the last checkpoint means nothing to sign."""
    with transaction.atomic():
        head = ChainHead.objects.select_for_update().filter(pk=1).first()
        if head is None or head.seq == 0:
            return None
        last = Checkpoint.objects.order_by("-seq").first()
        if last and last.seq == head.seq:
            return None
        key = signing_key()
        checkpoint = Checkpoint(seq=head.seq, head_hash=head.hash, signed_at=timezone.now().replace(microsecond=0),
                                key_id=key.key_id, signature="")
        checkpoint.signature = base64.b64encode(key.private.sign(checkpoint.statement())).decode("ascii")
        checkpoint.save()
        return checkpoint


def verification_run(*, actor=None) -> VerificationRun:
    """Verify the whole chain now and keep the result (the head as it was when the run started)."""
    from yijianshi.audit.selectors import chain_verify  # the selector module imports this one

    head = ChainHead.objects.filter(pk=1).first()
    result = chain_verify()
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return VerificationRun.objects.create(
        ran_at=timezone.now(), ran_by=actor.get_username() if is_user else SYSTEM_LABEL, ok=result.ok,
        head_seq=head.seq if head else 0, events_checked=result.events_checked,
        checkpoints_checked=result.checkpoints_checked, broken_seq=result.broken.seq if result.broken else None,
        broken_reason=result.broken.reason if result.broken else "", problems=list(result.problems))
