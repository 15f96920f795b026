"""Seal keys outside the database (files, generation, rotation, production refusing to improvise one) and the
certificate types and issuers as data."""

import io
import json
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.certificates.conftest import EMPLOYMENT_CARD
from yijianshi.audit.models import AuditEvent
from yijianshi.catalog.models import Material, ServiceItem
from yijianshi.certificates.keys import SealKeyUnavailable, active_signer
from yijianshi.certificates.models import CertificateType, Issuer, SealKey
from yijianshi.organizations.models import Department

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parents[2] / "data" / "certificates"


def _run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


# --- keys ----------------------------------------------------------------------------------------------------------

def test_production_never_makes_a_key_on_the_fly_and_says_which_command_to_run(settings, issue, resident):
    settings.DEBUG, settings.SEAL_KEY_AUTO_CREATE = False, False
    with pytest.raises(SealKeyUnavailable) as error:
        issue("employment-card", resident.person, **EMPLOYMENT_CARD)
    assert "manage.py seal_keys --department rsj --algorithm SM2" in error.value.message
    assert not SealKey.objects.exists() and not resident.person.certificates.exists()


def test_the_command_generates_a_key_file_readable_only_by_its_owner(certificate_types, seal_key_dir):
    output = _run("seal_keys", "--department", "spj", "--algorithm", "SM2")
    key = SealKey.objects.get()
    path = seal_key_dir / f"{key.key_id}.json"
    assert key.key_id in output and key.status == SealKey.Status.ACTIVE and key.department.code == "spj"
    assert path.stat().st_mode & 0o777 == 0o600 and seal_key_dir.stat().st_mode & 0o777 == 0o700
    document = json.loads(path.read_text())
    assert document["algorithm"] == "SM2" and document["key_id"] == key.key_id and document["department"] == "spj"
    assert AuditEvent.objects.filter(action="seal_key.create", object_id=key.key_id).exists()
    with pytest.raises(CommandError, match="--rotate"):
        _run("seal_keys", "--department", "spj", "--algorithm", "SM2")


def test_rotation_retires_the_old_key_and_deletes_its_private_file_after_commit(
        certificate_types, seal_key_dir, django_capture_on_commit_callbacks):
    _run("seal_keys", "--department", "spj")
    old = SealKey.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        output = _run("seal_keys", "--department", "spj", "--rotate")
    old.refresh_from_db()
    new = SealKey.objects.get(status=SealKey.Status.ACTIVE)
    assert old.status == SealKey.Status.RETIRED and old.retired_at is not None and "已停用" in output
    assert not (seal_key_dir / f"{old.key_id}.json").exists() and (seal_key_dir / f"{new.key_id}.json").exists()
    listing = _run("seal_keys", "--list")
    assert old.key_id in listing and "已停用" in listing and "无私钥文件" in listing
    assert AuditEvent.objects.filter(action="seal_key.rotate", object_id=new.key_id).exists()


def test_each_department_and_algorithm_has_its_own_active_key(certificate_types):
    _run("seal_keys", "--department", "spj", "--algorithm", "SM2")
    _run("seal_keys", "--department", "spj", "--algorithm", "Ed25519")
    _run("seal_keys", "--department", "rsj")
    assert SealKey.objects.filter(status=SealKey.Status.ACTIVE).count() == 3
    with pytest.raises(CommandError, match="没有编码为"):
        _run("seal_keys", "--department", "nowhere")


def test_a_missing_or_mismatched_key_file_stops_issuing_with_a_clear_message(certificate_types, seal_key_dir):
    _run("seal_keys", "--department", "rsj")
    key = SealKey.objects.get()
    rsj = Department.objects.get(code="rsj")
    path = seal_key_dir / f"{key.key_id}.json"
    saved = path.read_text()
    path.write_text(json.dumps({**json.loads(saved), "algorithm": "Ed25519"}))
    with pytest.raises(SealKeyUnavailable, match="不符"):
        active_signer(rsj, "SM2")
    path.unlink()
    with pytest.raises(SealKeyUnavailable, match="私钥文件不在"):
        active_signer(rsj, "SM2")
    path.write_text(saved)
    assert active_signer(rsj, "SM2").key_id == key.key_id


# --- types and issuers as data ---------------------------------------------------------------------------------------

def test_the_types_load_once_and_a_second_load_changes_nothing(db):
    output = _run("load_certificate_types")
    assert "加载完成" in output and CertificateType.objects.count() >= 20 and Issuer.objects.count() >= 10
    events = AuditEvent.objects.count()
    again = _run("load_certificate_types")
    assert "没有变化" in again and AuditEvent.objects.count() == events


def test_the_data_covers_the_required_types_and_matches_the_catalog(certificate_types):
    required = {"营业执照", "食品经营许可证", "出生医学证明", "不动产权证书", "残疾人证", "就业创业证", "结婚证", "社会保障卡"}
    names = set(CertificateType.objects.values_list("name", flat=True))
    assert required <= names
    materials = set(Material.objects.exclude(certificate_type="").values_list("certificate_type", flat=True))
    for ctype in CertificateType.objects.prefetch_related("issued_by__published_version"):
        results = [item.published_version.result_name for item in ctype.issued_by.all()]
        assert ctype.name in materials or any(ctype.name in r for r in results), ctype.name
    issued = {t.name: sorted(i.code for i in t.issued_by.all()) for t in CertificateType.objects.all()}
    assert issued["营业执照"] == ["SPJ-001", "SPJ-005"] and issued["食品经营许可证"] == ["SPJ-003"]
    # Every issuer's code is marked for confirmation: the real ones are not known yet.
    assert all(i.needs_confirmation and i.credit_code.startswith("11610830") for i in Issuer.objects.all())
    assert ServiceItem.objects.get(code="CL-001").certificate_types.get().name == "残疾人证"


def test_the_check_mode_writes_nothing(db):
    output = _run("load_certificate_types", "--check")
    assert "校验通过" in output and not CertificateType.objects.exists()


@pytest.mark.parametrize("edit, words", [
    (lambda t: t["types"][0].update(department="nowhere"), "证照类型 营业执照：department"),
    (lambda t: t["types"][0].update(type_code="11610830QJ0000017X901"), "证照类型 营业执照：type_code"),
    (lambda t: t["types"][1].update(name="食品许可"), "证照类型 食品许可：名称须与事项库材料"),
    (lambda t: t["types"][0]["fields"].append({"key": "colour", "label": "颜色", "element": "no.such"}),
     "数据项 colour：element no.such"),
    (lambda t: t["types"][0]["fields"].append({"key": "rating", "label": "信用等级"}),
     "数据项 rating：签发事项的必填数据项须指明 element"),
    (lambda t: t["types"][0].update(validity={"months": 6}), "validity"),
    (lambda t: t["types"][0].update(issued_by_items=["SPJ-999"]), "SPJ-999"),
])
def test_a_bad_entry_is_named_and_nothing_is_written(db, tmp_path, edit, words):
    import yaml

    shutil.copy(DATA / "issuers.yaml", tmp_path / "issuers.yaml")
    types = yaml.safe_load((DATA / "types.yaml").read_text())
    edit(types)
    (tmp_path / "types.yaml").write_text(yaml.safe_dump(types, allow_unicode=True))
    out = io.StringIO()
    with pytest.raises(CommandError, match="未写入任何数据"):
        call_command("load_certificate_types", "--dir", str(tmp_path), stdout=out, stderr=out)
    assert words in out.getvalue()
    assert not CertificateType.objects.exists() and not Issuer.objects.exists()


def test_an_issuer_with_a_wrong_check_character_is_refused(db, tmp_path):
    shutil.copy(DATA / "types.yaml", tmp_path / "types.yaml")
    text = (DATA / "issuers.yaml").read_text().replace("11610830QJ0000017C", "11610830QJ0000017D")
    (tmp_path / "issuers.yaml").write_text(text)
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("load_certificate_types", "--dir", str(tmp_path), stdout=out, stderr=out)
    assert "发证机关 spj：credit_code 不是有效的统一社会信用代码" in out.getvalue()
