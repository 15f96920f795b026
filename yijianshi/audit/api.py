"""The audit log for supervisors and their systems, and the public key anyone can check checkpoints with."""

from __future__ import annotations

import base64
from datetime import datetime

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from ninja import Field, Query, Router, Schema

from yijianshi.accounts.auth import API_AUTH
from yijianshi.accounts.permissions import require_permission
from yijianshi.audit.models import Checkpoint
from yijianshi.audit.selectors import chain_verify, events_filter
from yijianshi.audit.services import verify_keys

router = Router(tags=["审计"])


class EventOut(Schema):
    seq: int
    occurred_at: datetime
    actor_user_id: int | None
    actor_label: str
    principal_party_id: int | None
    principal_label: str
    subject_party_id: int | None
    action: str
    object_type: str
    object_id: str
    reason: str
    before: dict | list | None
    after: dict | list | None
    hash: str


class EventFilter(Schema):
    subject_party_id: int | None = Field(None, description="信息主体（人或企业）")
    actor_user_id: int | None = None
    object_type: str = Field("", max_length=60)
    object_id: str = Field("", max_length=64)
    action: str = Field("", max_length=60, description="动作前缀，如 mandate.")
    before_seq: int | None = Field(None, ge=1, description="翻页：返回序号小于此值的事件")
    limit: int = Field(50, ge=1, le=500)


class VerificationOut(Schema):
    ok: bool
    events_checked: int
    checkpoints_checked: int
    first_broken_seq: int | None
    problems: list[str]


class CheckpointOut(Schema):
    seq: int
    head_hash: str
    signed_at: datetime
    key_id: str
    signature: str = Field(description="Ed25519 签名（Base64），签名内容见 statement")
    statement: str


class KeyOut(Schema):
    key_id: str
    algorithm: str
    public_key: str = Field(description="原始 32 字节公钥的 Base64")


@router.get("/events", response=list[EventOut], auth=API_AUTH, summary="审计事件（效能监督员、系统管理员）")
def events(request, filters: Query[EventFilter]):
    require_permission(request.user, "audit.view")
    found = events_filter(subject_party_id=filters.subject_party_id, actor_user_id=filters.actor_user_id,
                          object_type=filters.object_type, object_id=filters.object_id, action=filters.action)
    if filters.before_seq:
        found = found.filter(seq__lt=filters.before_seq)
    return list(found[: filters.limit])


@router.get("/verification", response=VerificationOut, auth=API_AUTH, summary="校验整条审计链")
def verification(request):
    require_permission(request.user, "audit.view")
    result = chain_verify()
    return {"ok": result.ok, "events_checked": result.events_checked,
            "checkpoints_checked": result.checkpoints_checked,
            "first_broken_seq": result.broken.seq if result.broken else None,
            "problems": ([str(result.broken)] if result.broken else []) + result.problems}


@router.get("/checkpoints", response=list[CheckpointOut], auth=API_AUTH, summary="已签名的链头检查点")
def checkpoints(request, limit: int = Query(20, ge=1, le=200)):
    require_permission(request.user, "audit.view")
    return [{"seq": c.seq, "head_hash": c.head_hash, "signed_at": c.signed_at, "key_id": c.key_id,
             "signature": c.signature, "statement": c.statement().decode()} for c in Checkpoint.objects.all()[:limit]]


@router.get("/checkpoint-keys", response=list[KeyOut], auth=None, summary="检查点验签公钥（公开）")
def checkpoint_keys(request):
    return [{"key_id": key_id, "algorithm": "Ed25519",
             "public_key": base64.b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()}
            for key_id, key in verify_keys().items()]
