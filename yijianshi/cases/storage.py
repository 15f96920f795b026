"""Uploaded materials: checked by content (not by the name or the browser's claim), stored once under their
SHA-256 in UPLOAD_ROOT, outside the web root, and served only through a permission-checking view."""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from yijianshi.cases.models import FileUpload, StoredFile

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# Only formats a scanner or phone produces and that cannot carry macros; sniffed from the first bytes.
_SIGNATURES = [(b"%PDF-", "application/pdf"), (b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png")]
# Active content in a PDF (scripts, launch actions, embedded files) is refused rather than scanned for intent.
_PDF_ACTIVE = (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/OpenAction")


class UploadRejected(Exception):
    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def sniff(data: bytes) -> str:
    for signature, content_type in _SIGNATURES:
        if data.startswith(signature):
            return content_type
    raise UploadRejected("只接受 PDF、JPG、PNG 格式的文件")


def path_for(sha256: str) -> Path:
    return Path(settings.UPLOAD_ROOT) / sha256[:2] / sha256[2:4] / sha256


def store(data: bytes, *, owner) -> StoredFile:
    """Check and store; the same bytes uploaded twice (or for two items) are one file. ``owner`` (the user who
    uploaded) is recorded: only files one uploaded oneself can be attached to one's applications."""
    stored = _store(data)
    FileUpload.objects.get_or_create(user=owner, file=stored)
    return stored


def owned_file_ids(user, file_ids) -> set[int]:
    return set(FileUpload.objects.filter(user=user, file_id__in=[i for i in file_ids if isinstance(i, int)])
               .values_list("file_id", flat=True))


def _store(data: bytes) -> StoredFile:
    if not data:
        raise UploadRejected("文件是空的")
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadRejected(f"文件不能超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB")
    content_type = sniff(data)
    if content_type == "application/pdf" and any(marker in data for marker in _PDF_ACTIVE):
        raise UploadRejected("PDF 文件含有脚本或嵌入内容，请重新扫描或导出为普通 PDF")
    digest = hashlib.sha256(data).hexdigest()
    existing = StoredFile.objects.filter(sha256=digest).first()
    if existing is not None:
        return existing
    target = path_for(digest)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        temporary = target.with_suffix(".part")
        temporary.write_bytes(data)
        temporary.replace(target)  # atomic: a reader never sees half a file
    try:
        with transaction.atomic():
            return StoredFile.objects.create(sha256=digest, size=len(data), content_type=content_type)
    except IntegrityError:  # the same file uploaded at the same moment by someone else
        return StoredFile.objects.get(sha256=digest)


def read(stored: StoredFile) -> bytes:
    return path_for(stored.sha256).read_bytes()
