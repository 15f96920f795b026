"""Recording facts and family relations: values are checked against their data element, come only from the element's
authoritative department, are appended (a new value supersedes, an unchanged one records nothing), stored
encrypted, and audited without the value."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.conftest import make_id_number
from yijianshi.accounts.models import Person
from yijianshi.accounts.services import InvalidInput, person_ensure
from yijianshi.audit.models import AuditEvent
from yijianshi.profiles import selectors
from yijianshi.profiles.models import AppendOnlyError, Fact, Relation
from yijianshi.profiles.services import profile_record, profile_record_many, relation_record

pytestmark = pytest.mark.django_db


def _record(party, code, value, dept, **kwargs):
    return profile_record(party=party, element_code=code, value=value, source_department=dept,
                          source=kwargs.pop("source", "certificate"), **kwargs)


def test_a_new_value_supersedes_the_old_which_stays_in_the_history_with_when_and_by_whom(resident, officers):
    person = resident.person
    first = _record(person, "cl.disability_level", "三级", "cl", evidence="61083019400101009643",
                    actor=officers["cl"], effective_on=date(2021, 5, 10))
    second = _record(person, "cl.disability_level", "二级", "cl", evidence="61083019400101009642",
                     actor=officers["cl"], effective_on=date(2024, 9, 1))
    assert first and second and Fact.objects.filter(party=person).count() == 2
    current = selectors.profile_current(person)
    assert current["cl.disability_level"].data == "二级"
    (group, items), = [g for g in selectors.profile_history(person) if g[0] == "残疾人信息"]
    item = items[0]
    assert item.current.pk == second.pk and [f.pk for f in item.earlier] == [first.pk]
    superseded = item.earlier[0].superseded_by
    assert superseded.pk == second.pk and superseded.recorded_by == officers["cl"]
    assert superseded.source_department.code == "cl" and superseded.effective_on == date(2024, 9, 1)
    assert selectors.profile_values(person, ["cl.disability_level", "person.hukou_address"]) == {
        "cl.disability_level": "二级"}


def test_recording_the_value_the_profile_already_holds_records_nothing(resident, sharing):
    person = resident.person
    assert _record(person, "person.hukou_address", "陕西省榆林市清涧县宽州镇秀延路 12 号", "gaj", source="registration")
    events = AuditEvent.objects.count()
    assert _record(person, "person.hukou_address", " 陕西省榆林市清涧县宽州镇秀延路 12 号 ", "gaj",
                   source="registration") is None
    assert Fact.objects.filter(party=person).count() == 1 and AuditEvent.objects.count() == events


def test_numbers_spelled_differently_are_the_same_value(representative, sharing):
    enterprise = representative.enterprise
    assert _record(enterprise, "enterprise.registered_capital", "500", "spj", source="registration")
    assert _record(enterprise, "enterprise.registered_capital", "500.00", "spj", source="registration") is None
    assert selectors.profile_current(enterprise)["enterprise.registered_capital"].data == "500"


def test_a_value_effective_before_the_current_one_goes_into_the_history_without_becoming_current(resident, sharing):
    person = resident.person
    _record(person, "rsj.employment_status", "失业登记", "rsj", source="case", evidence="QJ20260301000001",
            effective_on=date(2026, 3, 1))
    late = _record(person, "rsj.employment_status", "就业登记", "rsj", source="case", evidence="QJ20250101000009",
                   effective_on=date(2025, 1, 1))
    assert late is not None
    assert selectors.profile_current(person)["rsj.employment_status"].data == "失业登记"
    assert Fact.objects.filter(party=person).count() == 2


def test_values_are_stored_encrypted_and_audited_without_the_value(resident, sharing):
    person = resident.person
    fact = _record(person, "person.social_security_number", "610830194001010096", "rsj", source="registration")
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM profiles_fact WHERE id = %s", [fact.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("v1:") and "610830194001010096" not in stored
    event = AuditEvent.objects.filter(action="profile.record").latest("seq")
    assert event.subject_party_id == person.pk and "610830194001010096" not in str(event.after) + event.reason
    assert event.after["elements"] == ["person.social_security_number"]


@pytest.mark.parametrize("code, value, message", [
    ("cl.disability_level", "特级", "残疾等级：请从给定选项中选择（一级、二级、三级、四级）"),
    ("person.social_security_number", "610830194001010097", "社会保障号码：校验位不正确"),
    ("ybj.retirement_date", "2026-13-01", "退休时间：应为日期"),
    ("person.hukou_address", "陕" * 201, "户籍地址：不能超过 200 个字"),
    ("rsj.employment_status", "", "就业失业登记状态：必填"),
])
def test_a_value_breaking_its_data_elements_rules_is_refused_naming_it(resident, sharing, code, value, message):
    dept = {"cl": "cl", "person": "gaj", "ybj": "rsj", "rsj": "rsj"}[code.split(".")[0]]
    if code == "person.social_security_number":
        dept = "rsj"
    with pytest.raises(InvalidInput) as refused:
        _record(resident.person, code, value, dept, source="registration")
    assert refused.value.field == code and message in refused.value.message
    assert not Fact.objects.exists()


def test_only_the_authoritative_department_may_record_an_element(resident, sharing):
    with pytest.raises(InvalidInput) as refused:
        _record(resident.person, "cl.disability_level", "二级", "rsj")
    assert "权威来源是县残联" in refused.value.message and "一数一源" in refused.value.message


def test_an_element_outside_the_profiles_or_of_the_other_kind_is_refused(resident, representative, sharing):
    with pytest.raises(InvalidInput, match="不是一人一档/一企一档的数据项"):
        _record(resident.person, "person.id_number", "610830194001010096", "gaj")
    with pytest.raises(InvalidInput, match="属于法人档案，不能记入自然人档案"):
        _record(resident.person, "enterprise.registered_capital", "100", "spj")
    with pytest.raises(InvalidInput, match="生效日期：不能晚于今天"):
        _record(resident.person, "cl.disability_level", "一级", "cl",
                effective_on=timezone.localdate() + timedelta(days=1))


def test_several_values_are_recorded_together_or_not_at_all(representative, sharing):
    enterprise = representative.enterprise
    with pytest.raises(InvalidInput) as refused:
        profile_record_many(party=enterprise, source_department="spj", source="registration", evidence="营业执照",
                            values={"enterprise.type": "有限责任公司", "enterprise.established_date": "去年"})
    assert refused.value.field == "enterprise.established_date"
    assert not Fact.objects.exists()
    facts = profile_record_many(party=enterprise, source_department="spj", source="registration", evidence="营业执照",
                                values={"enterprise.type": "有限责任公司", "enterprise.established_date": "2023-06-15"})
    assert sorted(f.element.code for f in facts) == ["enterprise.established_date", "enterprise.type"]
    assert AuditEvent.objects.filter(action="profile.record", subject_party_id=enterprise.pk).count() == 1


def test_facts_are_never_edited_or_deleted(resident, sharing):
    fact = _record(resident.person, "cl.disability_level", "一级", "cl")
    fact.value = '"二级"'
    with pytest.raises(AppendOnlyError):
        fact.save()
    with pytest.raises(AppendOnlyError):
        Fact.objects.get(pk=fact.pk).delete()
    assert Fact.objects.get(pk=fact.pk).data == "一级"


def test_key_rotation_reencrypts_facts(resident, sharing, settings):
    import base64

    from django.core.management import call_command
    from django.test import override_settings

    fact = _record(resident.person, "cl.disability_level", "一级", "cl")
    new_key = "new-2:" + base64.b64encode(b"n" * 32).decode()
    with override_settings(PII_ENCRYPTION_KEYS=f"{new_key},{settings.PII_ENCRYPTION_KEYS}", PII_ACTIVE_KEY_ID="new-2"):
        call_command("reencrypt_personal_data", stdout=open("/dev/null", "w"))
    with override_settings(PII_ENCRYPTION_KEYS=new_key, PII_ACTIVE_KEY_ID="new-2"):
        assert Fact.objects.get(pk=fact.pk).data == "一级"


# --- Relations ---------------------------------------------------------------------------------------------------

def _newborn():
    return person_ensure(name="张小宝", id_number=make_id_number("20260101", 21))


def test_a_birth_puts_the_child_in_each_parents_file_and_the_parents_in_the_childs(resident, relative, sharing):
    mother, father, child = resident.person, relative.person, _newborn()
    for parent in (mother, father):
        made = relation_record(person=parent, relative=child, kind="child", source_department="wjj",
                               source="certificate", evidence="出生医学证明 Q610123456")
        assert [(r.person_id, r.kind) for r in made] == [(parent.pk, "child"), (child.pk, "parent")]
    assert [r.relative_id for r in selectors.relations_current(mother)] == [child.pk]
    assert sorted(r.relative_id for r in selectors.relations_current(child)) == sorted([mother.pk, father.pk])
    assert AuditEvent.objects.filter(action="profile.relation_record", subject_party_id=child.pk).count() == 2
    # Recorded again (the 公安 registration of the same birth): nothing new.
    assert relation_record(person=mother, relative=child, kind="child", source_department="gaj",
                           source="registration") == []


def test_a_divorce_ends_the_spouse_relation_in_both_files_and_keeps_the_history(resident, relative, sharing):
    a, b = relative.person, person_ensure(name="李梅", id_number=make_id_number("19850505", 42))
    relation_record(person=a, relative=b, kind="spouse", source_department="mzj", source="certificate",
                    evidence="结婚证 J610830-2010-000123", effective_on=date(2010, 5, 1))
    relation_record(person=a, relative=b, kind="spouse", source_department="mzj", source="certificate",
                    evidence="离婚证 L610830-2025-000045", effective_on=date(2025, 3, 1), ended=True)
    assert selectors.relations_current(a) == [] and selectors.relations_current(b) == []
    assert [r.ended for r in selectors.relation_history(b)] == [True, False]
    with pytest.raises(InvalidInput, match="没有可终止的有效关系"):
        relation_record(person=a, relative=b, kind="spouse", source_department="mzj", source="certificate",
                        ended=True)


def test_impossible_relations_are_refused(resident, relative, sharing):
    mother, child = resident.person, _newborn()
    with pytest.raises(InvalidInput, match="子女的出生日期应晚于父母"):
        relation_record(person=child, relative=mother, kind="child", source_department="wjj", source="certificate")
    with pytest.raises(InvalidInput, match="不能与本人登记关系"):
        relation_record(person=mother, relative=mother, kind="spouse", source_department="mzj", source="certificate")
    with pytest.raises(InvalidInput, match="关系：应为"):
        relation_record(person=mother, relative=child, kind="cousin", source_department="wjj", source="certificate")
    assert not Relation.objects.exists() and Person.objects.count() >= 2
