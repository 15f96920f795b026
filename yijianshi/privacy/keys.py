"""The key ring for personal data, read from settings (which read the environment), never the Django secret.

PII_ENCRYPTION_KEYS maps a key id to 32 random bytes (base64); PII_ACTIVE_KEY_ID names the key new values are
encrypted with; old ids stay in the ring so values written before a rotation still decrypt. PII_INDEX_KEY is a
separate secret for the blind index, so the index alone reveals nothing and rotating the cipher key does not
invalidate look-ups.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class KeyRing:
    keys: dict[str, bytes]
    active_key_id: str
    index_key: bytes

    @property
    def active_key(self) -> bytes:
        return self.keys[self.active_key_id]


def decode_key(value: str, name: str) -> bytes:
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured(f"{name} is not valid base64") from exc
    if len(raw) != 32:
        raise ImproperlyConfigured(f"{name} must be 32 bytes (base64 of 32 random bytes), got {len(raw)}")
    return raw


def parse_key_list(value: str) -> dict[str, bytes]:
    """'k2026:BASE64,k2025:BASE64' -> {id: key}."""
    keys = {}
    for part in filter(None, (p.strip() for p in value.split(","))):
        key_id, sep, encoded = part.partition(":")
        if not sep or not key_id:
            raise ImproperlyConfigured("PII_ENCRYPTION_KEYS entries look like key_id:BASE64")
        keys[key_id] = decode_key(encoded, f"PII_ENCRYPTION_KEYS[{key_id}]")
    return keys


@lru_cache(maxsize=1)
def _ring(keys_setting: str, active: str, index_key: str) -> KeyRing:
    keys = parse_key_list(keys_setting)
    if not keys:
        raise ImproperlyConfigured("PII_ENCRYPTION_KEYS is empty: personal data cannot be stored")
    if active not in keys:
        raise ImproperlyConfigured(f"PII_ACTIVE_KEY_ID {active!r} is not in PII_ENCRYPTION_KEYS")
    return KeyRing(keys=keys, active_key_id=active, index_key=decode_key(index_key, "PII_INDEX_KEY"))


def key_ring() -> KeyRing:
    # Cached on the setting values, so tests that override settings get a matching ring.
    return _ring(settings.PII_ENCRYPTION_KEYS, settings.PII_ACTIVE_KEY_ID, settings.PII_INDEX_KEY)
