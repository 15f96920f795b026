"""Uploads: judged by their bytes, stored once by SHA-256 outside the web root."""

import pytest

from yijianshi.cases import storage

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def upload_root(settings, tmp_path):
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    return settings.UPLOAD_ROOT


def test_the_same_bytes_are_stored_once(upload_root):
    first, second = storage.store(PDF), storage.store(PDF)
    assert first.pk == second.pk and first.content_type == "application/pdf"
    assert storage.read(first) == PDF
    assert storage.path_for(first.sha256).is_relative_to(upload_root)


@pytest.mark.parametrize("data, message", [
    (b"MZ\x90\x00 an executable", "只接受 PDF、JPG、PNG"),
    (b"<html><script>alert(1)</script></html>", "只接受 PDF、JPG、PNG"),
    (b"%PDF-1.4 /OpenAction << /S /JavaScript /JS (app.alert(1)) >>", "含有脚本"),
    (b"", "空的"),
])
def test_anything_but_plain_pdf_jpg_png_is_refused(data, message):
    with pytest.raises(storage.UploadRejected, match=message):
        storage.store(data)


def test_oversized_files_are_refused(monkeypatch):
    monkeypatch.setattr(storage, "MAX_UPLOAD_BYTES", 100)
    with pytest.raises(storage.UploadRejected, match="不能超过"):
        storage.store(PNG + b"\x00" * 100)
