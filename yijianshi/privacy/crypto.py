"""Encryption at rest (AES-256-GCM with a key id) and the keyed blind index for exact look-up.

Stored form: ``v1:<key id>:<base64(nonce || ciphertext+tag)>``. The associated data binds a value to its column
(``accounts.person.id_number``), so a ciphertext copied into another column or row kind fails to decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from yijianshi.privacy.keys import key_ring

PREFIX = "v1"
NONCE_BYTES = 12


class DecryptionError(Exception):
    pass


def encrypt(plaintext: str, context: str) -> str:
    ring = key_ring()
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(ring.active_key).encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
    return f"{PREFIX}:{ring.active_key_id}:{base64.b64encode(nonce + sealed).decode('ascii')}"


def decrypt(stored: str, context: str) -> str:
    try:
        prefix, key_id, payload = stored.split(":", 2)
    except ValueError as exc:
        raise DecryptionError("not an encrypted value") from exc
    ring = key_ring()
    if prefix != PREFIX or key_id not in ring.keys:
        raise DecryptionError(f"unknown key id {key_id!r}")
    raw = base64.b64decode(payload)
    try:
        plain = AESGCM(ring.keys[key_id]).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode("utf-8"))
    except InvalidTag as exc:
        raise DecryptionError("ciphertext does not authenticate (wrong key, column or tampered)") from exc
    return plain.decode("utf-8")


def key_id_of(stored: str) -> str:
    return stored.split(":", 2)[1]


def blind_index(value: str, purpose: str) -> str:
    """A keyed HMAC of the normalised value: equal inputs give equal indexes, nothing else can be learned."""
    message = f"{purpose}\x00{value}".encode("utf-8")
    return hmac.new(key_ring().index_key, message, hashlib.sha256).hexdigest()
