"""The sharing catalogue (共享责任清单): loaded from a reviewable file whose mistakes are named, versioned on change, and
the only way staff read a profile: for every element an entry of their department must grant it for the chosen
purpose, and each allowed read is in the audit chain with the entry and its legal basis."""

import io
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from tests.conftest import RESIDENT_ID
from yijianshi.accounts.permissions import NotAllowed
from yijianshi.audit.models import AuditEvent
from yijianshi.audit.selectors import chain_verify
from yijianshi.profiles import selectors
from yijianshi.profiles.datafiles import SharingDataError, read_sharing_files
from yijianshi.profiles.models import ProfileElement, SharingEntry
from yijianshi.profiles.services import profile_read, profile_record

pytestmark = pytest.mark.django_db
SHARING_DIR = Path(settings.DATA_DIR) / "sharing"
DEPARTMENTS = {"rsj", "cl", "gaj", "mzj", "spj", "ybj", "hqzx", "gjjzx", "swj", "jtj", "nyncj", "tyjrj", "jjd", "wjj"}
EMPLOYMENT = "就业困难人员认定"


def _elements():
    import yaml

    codes = set()
    for path in (Path(settings.CATALOG_DATA_DIR) / "data_elements").glob("*.yaml"):
        codes |= {e["code"] for e in yaml.safe_load(path.read_text(encoding="utf-8"))["data_elements"]}
    return codes


def _copy(tmp_path, catalogue: str | None = None) -> Path:
    shutil.copy(SHARING_DIR / "profile_elements.yaml", tmp_path / "profile_elements.yaml")
    if catalogue is None:
        shutil.copy(SHARING_DIR / "catalogue.yaml", tmp_path / "catalogue.yaml")
    else:
        (tmp_path / "catalogue.yaml").write_text(catalogue, encoding="utf-8")
    return tmp_path


def test_the_real_files_are_valid_and_every_entry_waits_for_its_departments_confirmation():
    files = read_sharing_files(SHARING_DIR, departments=DEPARTMENTS | {"swj"}, elements=_elements())
    assert len(files.entries) >= 10 and all(e.needs_confirmation for e in files.entries)
    employment = next(e for e in files.entries if e.code == "rsj-employment-difficulty")
    assert employment.department == "rsj" and employment.purpose == EMPLOYMENT
    assert {"person.hukou_address", "cl.disability_level"} <= set(employment.element_codes)
    assert "就业促进法" in employment.legal_basis


def test_mistakes_in_the_catalogue_are_errors_naming_the_entry(tmp_path):
    bad = """entries:
  - {code: a-good-one, department: rsj, purpose: 甲, elements: [person.hukou_address], legal_basis: 某法}
  - {code: unknown-dept, department: xyz, purpose: 乙, elements: [person.hukou_address], legal_basis: 某法}
  - {code: unknown-element, department: rsj, purpose: 丙, elements: [person.household_address], legal_basis: 某法}
  - {code: mixed, department: rsj, purpose: 丁, elements: [person.hukou_address, enterprise.type], legal_basis: 某法}
  - {code: twice, department: rsj, purpose: 甲, elements: [cl.disability_level], legal_basis: 某法}
  - {code: no-basis, department: rsj, purpose: 戊, elements: [cl.disability_level]}
"""
    with pytest.raises(SharingDataError) as failed:
        read_sharing_files(_copy(tmp_path, bad), departments=DEPARTMENTS, elements=_elements())
    errors = "\n".join(failed.value.errors)
    assert "第 2 条 unknown-dept: 引用了不存在的部门 'xyz'" in errors
    assert "第 3 条 unknown-element: 数据元 'person.household_address' 不存在或不属于一人一档/一企一档" in errors
    assert "第 4 条 mixed: 一个条目只能共享同一类档案的数据元" in errors
    assert "第 5 条 twice: 部门 rsj 的用途“甲”已在 catalogue.yaml 第 1 条 a-good-one 中列出" in errors
    assert "第 6 条 no-basis: 缺少 legal_basis" in errors
    assert "a-good-one:" not in errors.replace("第 1 条 a-good-one 中", "")


def test_the_command_loads_nothing_from_a_bad_file_and_is_idempotent_on_a_good_one(tmp_path):
    bad = _copy(tmp_path, "entries:\n  - {code: x, department: nope, purpose: 甲, elements: [cl.disability_level], "
                          "legal_basis: 某法}\n")
    err = io.StringIO()
    with pytest.raises(CommandError, match="未写入任何数据"):
        call_command("load_sharing_catalogue", "--dir", str(bad), stderr=err, stdout=io.StringIO())
    assert "x: 引用了不存在的部门 'nope'" in err.getvalue() and not SharingEntry.objects.exists()
    out = io.StringIO()
    call_command("load_sharing_catalogue", stdout=out)
    assert "共享责任清单 新增" in out.getvalue() and ProfileElement.objects.exists()
    out = io.StringIO()
    call_command("load_sharing_catalogue", stdout=out)
    assert "没有变化" in out.getvalue()


def test_a_changed_entry_gets_a_new_version_and_a_removed_one_is_withdrawn(tmp_path, sharing):
    old = SharingEntry.objects.get(code="rsj-employment-difficulty", current=True)
    text = (SHARING_DIR / "catalogue.yaml").read_text(encoding="utf-8")
    text = text.replace("legal_basis: 《中华人民共和国就业促进法》第五十二条", "legal_basis: 《中华人民共和国就业促进法》第五十二条、第五十三条", 1)
    start = text.index("  - code: gaj-veteran-hukou")
    end = text.index("  - code: gjjzx-withdrawal-retirement")
    out = io.StringIO()
    call_command("load_sharing_catalogue", "--dir", str(_copy(tmp_path, text[:start] + text[end:])), stdout=out)
    new = SharingEntry.objects.get(code="rsj-employment-difficulty", current=True)
    assert new.version == old.version + 1 and "第五十三条" in new.legal_basis
    assert SharingEntry.objects.filter(pk=old.pk, current=False).exists()
    assert not SharingEntry.objects.filter(code="gaj-veteran-hukou", current=True).exists()
    assert "修改 1 条" in out.getvalue() and "停用 1 条：gaj-veteran-hukou" in out.getvalue()


# --- Reading under the catalogue ----------------------------------------------------------------------------------

@pytest.fixture
def facts(resident, officers):
    person = resident.person
    profile_record(party=person, element_code="person.hukou_address", value="陕西省榆林市清涧县宽州镇秀延路 12 号",
                   source_department="gaj", source="registration")
    profile_record(party=person, element_code="cl.disability_level", value="二级", source_department="cl",
                   source="certificate", evidence="61083019400101009642")
    profile_record(party=person, element_code="gjjzx.personal_account_number", value="6108300001234",
                   source_department="gjjzx", source="registration")
    return person


def test_an_officer_reads_what_an_entry_of_their_department_grants_and_the_read_is_audited(facts, officers):
    values = profile_read(user=officers["rsj"], party=facts, purpose=EMPLOYMENT,
                          element_codes=["person.hukou_address", "cl.disability_level", "hqzx.household_category"])
    assert values["cl.disability_level"].data == "二级" and values["hqzx.household_category"] is None
    event = AuditEvent.objects.filter(action="personal_data.read").latest("seq")
    entry = SharingEntry.objects.get(code="rsj-employment-difficulty", current=True)
    assert event.actor_user_id == officers["rsj"].pk and event.subject_party_id == facts.pk
    assert (event.object_type, event.object_id) == ("profiles.sharingentry", str(entry.pk))
    assert event.after == {"fields": ["cl.disability_level", "hqzx.household_category", "person.hukou_address"]}
    assert EMPLOYMENT in event.reason and "rsj-employment-difficulty" in event.reason
    assert "就业促进法" in event.reason  # the legal basis is in the tamper-evident record itself
    assert chain_verify().ok


@pytest.mark.parametrize("who, purpose, codes, message", [
    ("rsj", EMPLOYMENT, ["person.hukou_address", "gjjzx.personal_account_number"],
     "共享责任清单未授权本部门为“就业困难人员认定”查阅：个人住房公积金账号（gjjzx.personal_account_number）"),
    ("rsj", "最低生活保障审核确认", ["person.hukou_address"], "用途“最低生活保障审核确认”不在本部门的共享责任清单中"),
    ("rsj", "单位社会保险登记", ["enterprise.type"], "适用于法人档案，不能用于查阅自然人档案"),
    ("cl", EMPLOYMENT, ["person.hukou_address"], "不在本部门的共享责任清单中"),
    ("rsj", EMPLOYMENT, ["no.such_element"], "查阅：no.such_element"),
])
def test_a_read_the_catalogue_does_not_grant_is_refused_naming_why_and_reads_nothing(facts, officers, who, purpose,
                                                                                     codes, message):
    events = AuditEvent.objects.count()
    with pytest.raises(NotAllowed) as refused:
        profile_read(user=officers[who], party=facts, purpose=purpose, element_codes=codes)
    assert message in refused.value.message
    assert AuditEvent.objects.count() == events


def test_the_same_purpose_is_granted_to_another_department_only_by_its_own_entry(facts, officers):
    values = profile_read(user=officers["mzj"], party=facts, purpose="最低生活保障审核确认",
                          element_codes=["gjjzx.personal_account_number"])
    assert values["gjjzx.personal_account_number"].data == "6108300001234"


def test_people_without_the_read_permission_cannot_read_at_all(facts, make_staff, resident):
    clerk = make_staff("clerk", "window_clerk", service_point="county-hall")
    for user in (clerk, resident):
        with pytest.raises(NotAllowed, match="不能查阅档案数据"):
            profile_read(user=user, party=facts, purpose=EMPLOYMENT, element_codes=["person.hukou_address"])


def test_every_read_appears_on_the_subjects_data_access_log_with_unit_masked_name_purpose_and_basis(
        facts, officers, make_staff, client):
    from yijianshi.accounts.services import person_lookup

    profile_read(user=officers["rsj"], party=facts, purpose=EMPLOYMENT, element_codes=["cl.disability_level"])
    clerk = make_staff("clerk", "window_clerk", service_point="county-hall")
    person_lookup(user=clerk, id_number=RESIDENT_ID)
    records = selectors.describe_reads(selectors.reads_of(facts))
    assert [r.department for r in records] == ["清涧县政务服务中心", "县人社局"]  # newest first
    lookup, read = records
    assert read.reader == "工***" and read.fields == ["残疾等级"] and read.purpose == EMPLOYMENT
    assert "就业促进法" in read.legal_basis
    assert lookup.fields == ["基本信息（姓名、证件号码、手机号码，已脱敏）"] and lookup.legal_basis == "—"
