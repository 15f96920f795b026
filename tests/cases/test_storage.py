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


def test_the_same_bytes_are_stored_once(upload_root, resident, relative):
    first, second = storage.store(PDF, owner=resident), storage.store(PDF, owner=relative)
    assert first.pk == second.pk and first.content_type == "application/pdf"
    assert storage.read(first) == PDF
    assert storage.path_for(first.sha256).is_relative_to(upload_root)
    # the bytes are shared, the right to attach them is each uploader's own
    assert storage.owned_file_ids(resident, [first.pk]) == storage.owned_file_ids(relative, [first.pk]) == {first.pk}


def test_a_file_someone_else_uploaded_cannot_be_attached(resident, relative, settings):
    from tests.cases.factories import key, submission_for
    from yijianshi.accounts.services import InvalidInput, acting_context
    from yijianshi.cases.services import case_submit

    theirs = storage.store(PNG, owner=relative)
    submission = submission_for("newborn", owner=resident)
    code = next(iter(submission.materials))
    submission.materials[code] = theirs.pk
    with pytest.raises(InvalidInput) as error:
        case_submit(context=acting_context(resident), submission=submission, idempotency_key=key())
    assert error.value.field == f"materials.{code}" and "不存在" in error.value.message


@pytest.mark.parametrize("data, message", [
    (b"MZ\x90\x00 an executable", "只接受 PDF、JPG、PNG"),
    (b"<html><script>alert(1)</script></html>", "只接受 PDF、JPG、PNG"),
    (b"%PDF-1.4 /OpenAction << /S /JavaScript /JS (app.alert(1)) >>", "含有脚本"),
    (b"", "空的"),
])
def test_anything_but_plain_pdf_jpg_png_is_refused(data, message, resident):
    with pytest.raises(storage.UploadRejected, match=message):
        storage.store(data, owner=resident)


def test_oversized_files_are_refused(monkeypatch, resident):
    monkeypatch.setattr(storage, "MAX_UPLOAD_BYTES", 100)
    with pytest.raises(storage.UploadRejected, match="不能超过"):
        storage.store(PNG + b"\x00" * 100, owner=resident)
