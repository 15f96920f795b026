"""Seal keys (电子印章密钥). The private half of each key is a file under settings.SEAL_KEY_DIR, readable only by
the service account (mode 0600), never a database row: a copy of the database cannot seal anything. The public
half is a SealKey row, kept after the key is retired so every certificate it signed still verifies.

Key file: <SEAL_KEY_DIR>/<key_id>.json = {"key_id", "algorithm", "department", "created_at", "private_key"
(Base64 of the raw key bytes)}. Generated and rotated with `manage.py seal_keys`; a retired key's file is deleted
once the rotation commits (nothing may sign with it again).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from yijianshi.audit.services import audit_record
from yijianshi.cases.services import Conflict
from yijianshi.certificates.crypto import signers
from yijianshi.certificates.models import SealKey

logger = logging.getLogger(__name__)


class SealKeyUnavailable(Conflict):
    """No usable key for a department: the operator must generate one (the message says how)."""


def key_dir() -> Path:
    return Path(settings.SEAL_KEY_DIR)


def _key_path(key_id: str) -> Path:
    return key_dir() / f"{key_id}.json"


def auto_create_allowed() -> bool:
    """Development and tests make a department's first key when it is first needed; production never does
    (a key appearing unannounced on a server is not how a county's seal comes into being)."""
    return bool(settings.DEBUG or getattr(settings, "SEAL_KEY_AUTO_CREATE", False))


def _command_hint(department, algorithm: str) -> str:
    return f"manage.py seal_keys --department {department.code} --algorithm {algorithm}"


def _write_private_key(key_id: str, algorithm: str, department, private: bytes, created_at) -> Path:
    directory = key_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = _key_path(key_id)
    document = {"key_id": key_id, "algorithm": algorithm, "department": department.code,
                "created_at": created_at.isoformat(), "private_key": base64.b64encode(private).decode("ascii")}
    # O_EXCL: never overwrite a key; 0600 from the first byte, not chmod'ed afterwards.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(document, handle)
    return path


def _read_private_key(seal_key: SealKey) -> bytes:
    path = _key_path(seal_key.key_id)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        private = base64.b64decode(document["private_key"], validate=True)
    except FileNotFoundError:
        raise SealKeyUnavailable(
            f"电子印章密钥 {seal_key.key_id} 的私钥文件不在 {key_dir()} 中，暂不能签发。请系统运维人员恢复该文件，"
            f"或运行 {_command_hint(seal_key.department, seal_key.algorithm)} --rotate 生成新密钥") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise SealKeyUnavailable(f"电子印章密钥文件 {path.name} 已损坏，请系统运维人员处理") from exc
    if document.get("algorithm") != seal_key.algorithm or document.get("key_id") != seal_key.key_id:
        raise SealKeyUnavailable(f"电子印章密钥文件 {path.name} 与登记的密钥不符，请系统运维人员处理")
    return private


def seal_key_create(*, department, algorithm: str, actor=None) -> SealKey:
    """A new active key for the department and algorithm; the current one, if any, is retired (kept for
    verification, its private file deleted after commit)."""
    if algorithm not in signers.ALGORITHMS:
        raise signers.UnknownAlgorithm(algorithm)
    private = signers.generate_private_key(algorithm)
    public = signers.public_key_from_private(algorithm, private)
    now = timezone.now()
    key_id = f"{department.code}-{algorithm.lower()}-{timezone.localtime(now):%Y%m%d}-{secrets.token_hex(3)}"
    path = _write_private_key(key_id, algorithm, department, private, now)
    try:
        with transaction.atomic():
            current = list(SealKey.objects.select_for_update().filter(
                department=department, algorithm=algorithm, status=SealKey.Status.ACTIVE))
            for old in current:
                SealKey.objects.filter(pk=old.pk).update(status=SealKey.Status.RETIRED, retired_at=now)
                transaction.on_commit(lambda k=old.key_id: _key_path(k).unlink(missing_ok=True))
            seal_key = SealKey.objects.create(department=department, key_id=key_id, algorithm=algorithm,
                                              public_key=public, created_at=now)
            audit_record(action="seal_key.rotate" if current else "seal_key.create",
                         object_type="certificates.sealkey", object_id=key_id, actor=actor,
                         after={"department": department.code, "algorithm": algorithm,
                                "retired": [k.key_id for k in current]})
    except BaseException:
        path.unlink(missing_ok=True)  # the row never existed: neither may its private key
        raise
    return seal_key


def _first_key(department, algorithm: str) -> SealKey:
    """Development and tests: the department's first key, made now. Two issuers racing both try; the loser's
    insert fails on the one-active-key constraint and it uses the winner's key."""
    try:
        with transaction.atomic():
            return seal_key_create(department=department, algorithm=algorithm)
    except IntegrityError:
        return SealKey.objects.get(department=department, algorithm=algorithm, status=SealKey.Status.ACTIVE)


def active_signer(department, algorithm: str) -> signers.Signer:
    """The signer of the department's active key for the algorithm."""
    seal_key = SealKey.objects.filter(department=department, algorithm=algorithm,
                                      status=SealKey.Status.ACTIVE).first()
    if seal_key is None:
        if not auto_create_allowed():
            raise SealKeyUnavailable(
                f"{department.name}还没有可用的 {algorithm} 电子印章密钥，暂不能签发电子证照。"
                f"请系统运维人员运行 {_command_hint(department, algorithm)} 生成密钥后重试")
        logger.warning("No %s seal key for %s: creating one (development/test only)", algorithm, department.code)
        seal_key = _first_key(department, algorithm)
    return signers.signer_from_private_bytes(seal_key.algorithm, seal_key.key_id, _read_private_key(seal_key))


def public_key_lookup(key_id: str) -> tuple[str, bytes] | None:
    """(algorithm, public key) of any key ever registered, active or retired; None for an unknown key id."""
    row = SealKey.objects.filter(key_id=key_id).values_list("algorithm", "public_key").first()
    if row is None:
        return None
    return row[0], bytes(row[1])
