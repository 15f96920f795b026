"""The hash chain, as plain Python: how an event is serialised and hashed, and how a sequence is checked.

Each event's hash is SM3 over the canonical JSON of its fields and the previous event's hash, so editing,
deleting or reordering any stored event changes a hash that a later event (or the chain head) vouches for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from cryptography.hazmat.primitives import hashes

GENESIS_HASH = "0" * 64

# The fields that are hashed, in a fixed list so adding a column later is a deliberate, versioned change.
HASHED_FIELDS = (
    "seq", "occurred_at", "actor_user_id", "actor_label", "principal_party_id", "principal_label",
    "subject_party_id", "action", "object_type", "object_id", "reason", "before", "after", "prev_hash",
)


def sm3_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def _normalise(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def canonical_bytes(fields: Mapping[str, Any]) -> bytes:
    payload = {name: _normalise(fields.get(name)) for name in HASHED_FIELDS}
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def event_hash(fields: Mapping[str, Any]) -> str:
    return sm3_hex(canonical_bytes(fields))


@dataclass(frozen=True)
class Break:
    seq: int | None
    reason: str

    def __str__(self) -> str:
        where = f"第 {self.seq} 号事件" if self.seq is not None else "链头"
        return f"{where}：{self.reason}"


def first_break(events: Iterable[Mapping[str, Any]]) -> tuple[Break | None, int, str]:
    """Walk events in seq order; return (first broken link or None, events checked, last good hash)."""
    expected_seq, prev_hash, count = 1, GENESIS_HASH, 0
    for event in events:
        seq = event["seq"]
        if seq != expected_seq:
            if seq > expected_seq:
                return Break(expected_seq, f"缺失（下一条是第 {seq} 号），事件被删除或序号被改"), count, prev_hash
            return Break(seq, f"序号重复或乱序（应为第 {expected_seq} 号）"), count, prev_hash
        if event["prev_hash"] != prev_hash:
            return Break(seq, "前一哈希与上一条事件不符，事件被删除、插入或调换了顺序"), count, prev_hash
        if event_hash(event) != event["hash"]:
            return Break(seq, "内容与其哈希不符，事件被修改"), count, prev_hash
        prev_hash, expected_seq, count = event["hash"], seq + 1, count + 1
    return None, count, prev_hash
