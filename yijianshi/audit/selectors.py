"""Reading the audit log: the verifier and the supervisors' viewer."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from django.db.models import Q, QuerySet

from yijianshi.audit.chain import Break, first_break
from yijianshi.audit.models import AuditEvent, ChainHead, Checkpoint
from yijianshi.audit.services import verify_keys


@dataclass
class Verification:
    events_checked: int
    broken: Break | None = None
    checkpoints_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.broken is None and not self.problems


def _stream():
    names = [f.name for f in AuditEvent._meta.fields if f.name != "id"]
    for row in AuditEvent.objects.order_by("seq").values(*names).iterator(chunk_size=2000):
        yield row


def chain_verify() -> Verification:
    """Check every link, the head, and every signed checkpoint; name the first thing that is wrong."""
    broken, count, last_hash = first_break(_stream())
    result = Verification(events_checked=count, broken=broken)
    if broken is None:
        head = ChainHead.objects.filter(pk=1).first()
        if head and (head.seq != count or head.hash != last_hash):
            result.broken = Break(count + 1 if head.seq > count else head.seq,
                                  f"链头记录第 {head.seq} 号，但链上只有 {count} 条可验证事件（末尾事件被删除）")
    keys = verify_keys()
    hashes_by_seq = dict(AuditEvent.objects.filter(seq__in=Checkpoint.objects.values("seq")).values_list("seq", "hash"))
    for checkpoint in Checkpoint.objects.order_by("seq"):
        result.checkpoints_checked += 1
        key = keys.get(checkpoint.key_id)
        if key is None:
            result.problems.append(f"检查点 #{checkpoint.seq}：未知签名密钥 {checkpoint.key_id}")
            continue
        try:
            key.verify(base64.b64decode(checkpoint.signature), checkpoint.statement())
        except InvalidSignature:
            result.problems.append(f"检查点 #{checkpoint.seq}：签名无效，检查点被篡改")
            continue
        if hashes_by_seq.get(checkpoint.seq) != checkpoint.head_hash:
            result.problems.append(f"检查点 #{checkpoint.seq}：已签名的链头哈希与链上第 {checkpoint.seq} 号事件不符，链被重写")
    return result


def events_filter(*, subject_party_id: int | None = None, actor_user_id: int | None = None,
                  actor_label: str = "", object_type: str = "", object_id: str = "", action: str = "") -> QuerySet:
    events = AuditEvent.objects.order_by("-seq")
    if subject_party_id is not None:
        events = events.filter(Q(subject_party_id=subject_party_id) | Q(principal_party_id=subject_party_id))
    if actor_user_id is not None:
        events = events.filter(actor_user_id=actor_user_id)
    if actor_label:
        events = events.filter(actor_label=actor_label)
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(object_id=object_id)
    if action:
        events = events.filter(action__startswith=action)
    return events
