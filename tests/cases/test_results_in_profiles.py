"""Completed cases update 一人一档 / 一企一档, and what the files hold from their source is locked on later forms.

A birth registered by 县公安局 (户口登记) makes the newborn a person of the platform and a child in both parents'
files; 企业开办's 设立登记 by 县审批局 creates the enterprise's file; a department's feed is the source a later
application is prefilled from and cannot contradict.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.cases.factories import key, submission_for
from tests.conftest import REPRESENTATIVE_ID, make_id_number
from yijianshi.accounts.models import Person
from yijianshi.accounts.services import InvalidInput, acting_context
from yijianshi.cases import services
from yijianshi.cases.selectors import authoritative_values
from yijianshi.profiles.selectors import profile_current, relations_current
from yijianshi.profiles.services import profile_record

pytestmark = pytest.mark.django_db
CHILD_ID = make_id_number("20261120", 31)
OTHER_PARENT_ID = make_id_number("19850505", 12)


@pytest.fixture(autouse=True)
def sharing(db):
    call_command("load_sharing_catalogue", stdout=open("/dev/null", "w"))


def _approve(task, officer, **extra):
    services.task_claim(user=officer, task=task)
    return services.task_approve(user=officer, task=task, opinion="符合条件，准予办理", **extra)


@pytest.fixture
def birth_case(relative, clerk):
    context = acting_context(relative)
    submission = submission_for("newborn", owner=relative)
    submission.form_data.update({"child.name": "张小宝", "child.birth_date": "2026-11-20",
                                 "spouse.name": "李娟", "spouse.id_number": OTHER_PARENT_ID})
    case, _ = services.case_submit(context=context, submission=submission, idempotency_key=key())
    services.case_accept(user=clerk, case=case)
    return case


def test_hukou_registration_adds_the_newborn_to_both_parents_files(birth_case, relative, officers):
    _approve(birth_case.tasks.get(item_version__item__code="WJJ-001"), officers("wjj"))
    assert not Person.objects.filter(name="张小宝").exists()  # the birth certificate gives no ID number yet

    _approve(birth_case.tasks.get(item_version__item__code="GAJ-002"), officers("gaj"),
             result={"公民身份号码": CHILD_ID}, output_data={"child.id_number": CHILD_ID})

    child = Person.objects.get(name="张小宝")
    assert child.birth_date.isoformat() == "2026-11-20"
    other_parent = Person.objects.get(name="李娟")
    for parent in (relative.person, other_parent):
        [relation] = [r for r in relations_current(parent) if r.relative_id == child.pk]
        assert relation.kind == "child" and relation.source_department.code == "gaj"
        assert relation.evidence == birth_case.number
    assert {(r.relative_id, r.kind) for r in relations_current(child)} == {
        (relative.person.pk, "parent"), (other_parent.pk, "parent")}


def test_an_officer_who_is_not_the_source_of_the_id_number_registers_nobody(birth_case, officers):
    # 县卫健委 approving 出生医学证明 with a stray ID number in its output does not create the child.
    _approve(birth_case.tasks.get(item_version__item__code="WJJ-001"), officers("wjj"),
             output_data={"child.id_number": CHILD_ID})
    assert not Person.objects.filter(name="张小宝").exists()


def test_a_wrong_child_id_number_leaves_the_registration_unapproved(birth_case, officers):
    _approve(birth_case.tasks.get(item_version__item__code="WJJ-001"), officers("wjj"))
    task = birth_case.tasks.get(item_version__item__code="GAJ-002")
    services.task_claim(user=officers("gaj"), task=task)
    with pytest.raises(InvalidInput) as refused:
        services.task_approve(user=officers("gaj"), task=task, opinion="准予登记",
                              output_data={"child.id_number": "610830202611200000"})
    assert refused.value.field == "id_number"
    task.refresh_from_db()
    assert task.status == task.Status.CLAIMED and not Person.objects.filter(name="张小宝").exists()


def test_enterprise_startup_creates_the_enterprise_file_that_locks_later_forms(representative, clerk, officers):
    context = acting_context(representative)
    submission = submission_for("business-startup", owner=representative, principal=context.principal)
    submission.form_data.update({
        "enterprise.name": "清涧县秀延河餐饮管理有限公司", "enterprise.legal_representative": "马丽",
        "enterprise.legal_representative_id_number": REPRESENTATIVE_ID, "enterprise.type": "有限责任公司",
        "enterprise.registered_address": "陕西省榆林市清涧县宽州镇秀延路18号"})
    case, _ = services.case_submit(context=context, submission=submission, idempotency_key=key())
    services.case_accept(user=clerk, case=case)
    _approve(case.tasks.get(item_version__item__code="SPJ-001"), officers("spj"))
    case.refresh_from_db()
    enterprise = case.established_enterprise

    file = profile_current(enterprise)
    assert file["enterprise.type"].data == "有限责任公司"
    assert file["enterprise.registered_address"].data == "陕西省榆林市清涧县宽州镇秀延路18号"
    assert file["enterprise.established_date"].data == case.tasks.get(
        item_version__item__code="SPJ-001").output_data["enterprise.established_date"]
    assert {f.source_department.code for f in file.values()} == {"spj"}
    assert {f.evidence for f in file.values()} == {case.number}
    assert "enterprise.legal_representative" in file

    held = authoritative_values(enterprise)
    assert held["enterprise.registered_address"].value == "陕西省榆林市清涧县宽州镇秀延路18号"
    assert held["enterprise.registered_address"].source == "县审批局"
    assert held["enterprise.credit_code"].value == enterprise.credit_code


def test_a_departments_feed_is_authoritative_but_a_self_stated_value_is_not(relative, officers):
    person = relative.person
    profile_record(party=person, element_code="rsj.employment_status", value="就业登记",
                   source_department="rsj", source="feed", evidence="人社局就业登记")
    profile_record(party=person, element_code="person.residence_address", value="清涧县宽州镇东街1号",
                   source_department="rsj", source="case", evidence="QJ-TEST")
    held = authoritative_values(person)
    assert held["rsj.employment_status"].value == "就业登记"
    assert held["rsj.employment_status"].source == "县人社局"
    assert held["rsj.employment_status"].evidence == "人社局就业登记"
    assert "person.residence_address" not in held  # stated by applicants: prefilled elsewhere, never locked
