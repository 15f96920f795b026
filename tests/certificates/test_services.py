"""Issuing certificates (by hand and from an approved task) and changing their status through the services."""

import json
from datetime import date

import pytest

from tests.cases.factories import key, submission_for
from tests.cases.helpers import answers_for
from tests.certificates.conftest import BUSINESS_LICENCE, EMPLOYMENT_CARD
from tests.conftest import REPRESENTATIVE_ID
from yijianshi.accounts.permissions import NotAllowed
from yijianshi.accounts.services import InvalidInput, acting_context
from yijianshi.audit.models import AuditEvent
from yijianshi.cases import services as cases
from yijianshi.cases.models import Task
from yijianshi.cases.services import Conflict
from yijianshi.certificates import services
from yijianshi.certificates.crypto.identifier import parse_identifier
from yijianshi.certificates.models import Certificate, CertificateEvent, CertificateType, SealKey
from yijianshi.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _case(user, bundle_code, principal_id=None, form=None, **answers):
    context = acting_context(user, principal_id)
    submission = submission_for(bundle_code, answers_for(bundle_code, **answers), owner=user,
                                principal=context.principal)
    submission.form_data.update(form or {})
    return cases.case_submit(context=context, submission=submission, idempotency_key=key())[0]


def _approve_until(case, item_code, make_staff, clerk, **approval):
    """Accept the case and approve tasks in order until ``item_code``'s task is approved; returns that task."""
    cases.case_accept(user=clerk, case=case)
    target = case.tasks.get(item_version__item__code=item_code)
    made = {}

    def officer(task):
        code = task.department.code
        if code not in made:
            made[code] = make_staff(f"o-{code}-{case.pk}", "department_officer", department=code)
        return made[code]

    while True:
        target.refresh_from_db()
        if target.status == Task.Status.READY:
            cases.task_claim(user=officer(target), task=target)
            cases.task_approve(user=officer(target), task=target, opinion="符合条件，同意", **approval)
            target.refresh_from_db()
            return target, officer(target)
        for task in case.tasks.filter(status=Task.Status.READY).exclude(pk=target.pk).select_related("department"):
            cases.task_claim(user=officer(task), task=task)
            cases.task_approve(user=officer(task), task=task, opinion="同意")


@pytest.fixture
def clerk(make_staff):
    return make_staff("clerk", "window_clerk", service_point="county-hall")


# --- issuing from an approved task -------------------------------------------------------------------------------------

def test_an_approved_birth_certificate_task_issues_the_certificate_to_the_applicant(
        resident, clerk, make_staff, certificate_types, django_capture_on_commit_callbacks):
    case = _case(resident, "newborn")
    with django_capture_on_commit_callbacks(execute=True):
        task, officer = _approve_until(case, "WJJ-001", make_staff, clerk, result={"出生医学证明编号": "T610830123"})
        [certificate] = services.certificates_for_approved_task(task, actor=officer)
    form = json.loads(case.form_data)
    assert certificate.type.name == "出生医学证明" and certificate.holder_id == resident.person.pk
    assert certificate.source_task_id == task.pk and certificate.issued_by == officer
    values = certificate.values
    assert values["child_name"] == form["child.name"] and values["certificate_number"] == "T610830123"
    assert values["applicant"] == "张桂兰" and values["birth_institution"] == form["wjj.birth_institution"]
    assert certificate.valid_until is None  # 出生医学证明 does not expire
    parts = parse_identifier(certificate.identifier)
    assert parts.type_code == certificate.type.type_code and parts.version == 1
    assert parts.issuer_credit_code == certificate.department.certificate_issuer.credit_code
    assert certificate.events.get().kind == CertificateEvent.Kind.ISSUED
    assert AuditEvent.objects.filter(action="certificate.issue", object_id=str(certificate.pk),
                                     subject_party_id=resident.person.pk).exists()
    assert Notification.objects.filter(recipient=resident, subject="您的电子证照已签发",
                                       link=f"/me/certificates/{certificate.pk}/").exists()
    # Calling the hook again (a retried request, the lead's call and ours) issues nothing new.
    assert services.certificates_for_approved_task(task, actor=officer) == [certificate]
    assert Certificate.objects.count() == 1


def test_a_business_licence_goes_to_the_new_enterprise_with_its_credit_code_from_the_record(
        representative, clerk, make_staff, certificate_types):
    """马丽 founds a company as herself; approving 设立登记 registers it and issues its licence to it, not to her."""
    case = _case(representative, "business-startup", form={
        "enterprise.name": "清涧县无定河文化传媒有限公司", "enterprise.legal_representative": "马丽",
        "enterprise.legal_representative_id_number": REPRESENTATIVE_ID})
    task, officer = _approve_until(case, "SPJ-001", make_staff, clerk)
    case.refresh_from_db()
    enterprise = case.established_enterprise
    [licence] = Certificate.objects.filter(source_task=task)
    assert licence.type.code == "business-licence" and licence.holder_id == enterprise.pk
    # Who the holder is comes from its registered record; the rest from the form.
    assert licence.values["credit_code"] == enterprise.credit_code  # assigned at registration, not on the form
    assert (licence.values["name"], licence.values["legal_representative"]) == ("清涧县无定河文化传媒有限公司", "马丽")
    assert licence.values["business_scope"] == json.loads(case.form_data)["enterprise.business_scope"]
    # The hook is safe to run again: the same certificate, not a second one.
    assert services.certificates_for_approved_task(task, actor=officer, holder=enterprise) == [licence]


def test_only_a_marriage_registration_issues_a_marriage_certificate(resident, clerk, make_staff, certificate_types):
    case = _case(resident, "marriage-and-childbirth", form={"mzj.registration_type": "离婚登记"})
    task, officer = _approve_until(case, "MZJ-001", make_staff, clerk)
    assert services.certificates_for_approved_task(task, actor=officer) == []
    case = _case(resident, "marriage-and-childbirth", form={"mzj.registration_type": "结婚登记"})
    task, officer = _approve_until(case, "MZJ-001", make_staff, clerk)
    [certificate] = services.certificates_for_approved_task(task, actor=officer)
    assert certificate.type.name == "结婚证" and certificate.values["registration_type"] == "结婚登记"


def test_a_value_the_officer_must_supply_is_asked_for_by_its_label(certificate_types):
    card = CertificateType.objects.get(code="disability-certificate")
    values = {"person.name": "张桂兰", "person.gender": "女", "person.id_number": "610830194001010096",
              "person.hukou_address": "清涧县宽州镇", "cl.disability_category": "肢体残疾"}
    with pytest.raises(InvalidInput) as error:
        services.certificate_data_for(card, values, {})
    assert error.value.field == "result" and error.value.message.startswith("残疾等级：签发残疾人证须有此项")
    assert "名称为“残疾等级”" in error.value.message
    assert services.certificate_data_for(card, values, {"残疾等级": "二级"})["level"] == "二级"
    assert services.certificate_data_for(card, {**values, "cl.disability_level": "三级"}, {})["level"] == "三级"


def test_a_disability_card_is_issued_with_the_level_the_officer_entered(resident, clerk, make_staff,
                                                                        certificate_types):
    case = _case(resident, "disability-and-poverty-relief", has_disability_certificate="no", severity="other",
                 hardship="no")
    task, officer = _approve_until(case, "CL-001", make_staff, clerk, result={"残疾等级": "二级"})
    [card] = services.certificates_for_approved_task(task, actor=officer)
    assert card.values["level"] == "二级" and card.values["category"] == json.loads(case.form_data)[
        "cl.disability_category"] and card.type.validity_label == "10 年"
    assert card.valid_until == services._valid_until(card.type, card.issued_on) > card.issued_on


def test_a_task_not_yet_approved_issues_nothing(resident, clerk, certificate_types):
    case = _case(resident, "newborn")
    cases.case_accept(user=clerk, case=case)
    task = case.tasks.get(item_version__item__code="WJJ-001")
    assert services.certificates_for_approved_task(task, actor=None) == []


def test_a_certificate_is_held_only_by_the_kind_of_holder_its_type_names(representative, resident, certificate_types):
    health = CertificateType.objects.get(code="health-certificate")
    # An enterprise cannot hold a 健康证明; the examined person can.
    with pytest.raises(InvalidInput, match="持证主体"):
        services.certificate_issue(type_code=health.code, holder=representative.enterprise,
                                   data={"name": "张桂兰", "gender": "女", "id_number": "610830194001010096",
                                         "occupation": "公共场所服务人员"})
    certificate = services.certificate_issue(type_code=health.code, holder=resident.person, data={
        "name": "张桂兰", "gender": "女", "id_number": "610830194001010096", "occupation": "公共场所服务人员"})
    assert certificate.valid_until == services._valid_until(health, certificate.issued_on)


# --- issuing by hand ---------------------------------------------------------------------------------------------------

def test_serials_count_per_issuer_and_type_and_identifiers_are_unique(issue, representative, resident):
    first = issue("business-licence", representative.enterprise, **BUSINESS_LICENCE)
    second = issue("business-licence", representative.enterprise, **BUSINESS_LICENCE)
    other = issue("employment-card", resident.person, **EMPLOYMENT_CARD)
    year = first.issued_on.year
    assert (first.serial, second.serial, other.serial) == (f"{year}000001", f"{year}000002", f"{year}000001")
    assert len({first.identifier, second.identifier, other.identifier}) == 3
    assert len({first.status_list_index, second.status_list_index, other.status_list_index}) == 3


def test_the_data_is_checked_against_the_types_fields(issue, representative):
    with pytest.raises(InvalidInput) as error:
        issue("business-licence", representative.enterprise, **{**BUSINESS_LICENCE, "name": ""})
    assert error.value.field == "data.name" and error.value.message.startswith("名称：")
    with pytest.raises(InvalidInput) as error:
        issue("business-licence", representative.enterprise, **BUSINESS_LICENCE, colour="红")
    assert error.value.field == "data.colour"
    with pytest.raises(InvalidInput, match="证照类型"):
        services.certificate_issue(type_code="no-such-type", holder=representative.enterprise, data={})
    assert not Certificate.objects.exists()


def test_personal_data_is_encrypted_at_rest(issue, resident):
    from django.db import connection

    certificate = issue("employment-card", resident.person, **EMPLOYMENT_CARD)
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM certificates_certificate WHERE id = %s", [certificate.pk])
        stored = cursor.fetchone()[0]
    assert EMPLOYMENT_CARD["id_number"] not in stored and "张桂兰" not in stored
    assert certificate.values["id_number"] == EMPLOYMENT_CARD["id_number"]


def test_a_renewal_is_the_next_version_and_replaces_the_old_one(issue, resident):
    old = issue("employment-card", resident.person, **EMPLOYMENT_CARD)
    new = services.certificate_issue(type_code="employment-card", holder=resident.person,
                                     data={**EMPLOYMENT_CARD, "education": "大学本科"}, supersedes=old)
    old.refresh_from_db()
    assert new.serial == old.serial and new.version == 2 and parse_identifier(new.identifier).version == 2
    assert old.status == Certificate.Status.REVOKED and "换发" in old.status_reason
    with pytest.raises(Conflict, match="已吊销"):
        services.certificate_issue(type_code="employment-card", holder=resident.person, data=EMPLOYMENT_CARD,
                                   supersedes=old)


def test_validity_runs_to_the_day_before_the_anniversary():
    food = CertificateType(validity_years=5)
    assert services._valid_until(food, date(2026, 5, 1)) == date(2031, 4, 30)
    assert services._valid_until(food, date(2028, 2, 29)) == date(2033, 2, 27)
    assert services._valid_until(CertificateType(validity_days=30), date(2026, 1, 1)) == date(2026, 1, 30)
    assert services._valid_until(CertificateType(), date(2026, 1, 1)) is None


# --- status changes ----------------------------------------------------------------------------------------------------

def test_suspend_reinstate_and_revoke_follow_the_table_with_history_and_audit(
        issue, representative, spj_leader, django_capture_on_commit_callbacks):
    licence = issue("business-licence", representative.enterprise, **BUSINESS_LICENCE)
    with django_capture_on_commit_callbacks(execute=True):
        licence = services.certificate_suspend(user=spj_leader, certificate=licence, reason="涉嫌虚假登记，立案调查")
    assert licence.status == Certificate.Status.SUSPENDED and licence.status_reason == "涉嫌虚假登记，立案调查"
    assert Notification.objects.filter(recipient=representative, subject="电子证照已被暂停使用").exists()
    licence = services.certificate_reinstate(user=spj_leader, certificate=licence, reason="调查结束，登记属实")
    licence = services.certificate_revoke(user=spj_leader, certificate=licence, reason="以欺骗手段取得登记")
    assert [e.kind for e in licence.events.all()] == ["issued", "suspended", "reinstated", "revoked"]
    assert [e.actor for e in licence.events.all()][1:] == [spj_leader] * 3
    assert list(AuditEvent.objects.filter(object_type="certificates.certificate").values_list("action", flat=True)
                .order_by("seq")) == ["certificate.issue", "certificate.suspended", "certificate.reinstated",
                                      "certificate.revoked"]
    with pytest.raises(Conflict, match="已吊销"):
        services.certificate_reinstate(user=spj_leader, certificate=licence, reason="撤回吊销决定")


def test_only_a_leader_of_the_issuing_department_changes_a_status(issue, representative, spj_officer, make_staff):
    licence = issue("business-licence", representative.enterprise, **BUSINESS_LICENCE)
    rsj_leader = make_staff("leader-rsj", "department_leader", department="rsj")
    for user in (spj_officer, rsj_leader, representative):
        with pytest.raises(NotAllowed):
            services.certificate_revoke(user=user, certificate=licence, reason="以欺骗手段取得登记")
    licence.refresh_from_db()
    assert licence.status == Certificate.Status.VALID and licence.events.count() == 1


def test_a_status_change_needs_a_reason(issue, representative, spj_leader):
    licence = issue("business-licence", representative.enterprise, **BUSINESS_LICENCE)
    for reason in ("", "  ", "违规"):
        with pytest.raises(InvalidInput) as error:
            services.certificate_suspend(user=spj_leader, certificate=licence, reason=reason)
        assert error.value.field == "reason"


def test_revoking_a_tasks_result_revokes_what_it_issued(resident, clerk, make_staff, certificate_types):
    case = _case(resident, "newborn")
    task, officer = _approve_until(case, "WJJ-001", make_staff, clerk)
    [certificate] = services.certificates_for_approved_task(task, actor=officer)
    [revoked] = services.certificate_revoke_for_task(task, "承诺未履行，办理结果已撤销")
    assert revoked.pk == certificate.pk and revoked.status == Certificate.Status.REVOKED
    event = revoked.events.last()
    assert event.actor is None and event.reason == "承诺未履行，办理结果已撤销"
    assert AuditEvent.objects.filter(action="certificate.revoked", actor_user_id=None).exists()
    assert services.certificate_revoke_for_task(task, "承诺未履行，办理结果已撤销") == []  # already done


# --- what a holder may rely on -----------------------------------------------------------------------------------------

def test_valid_certificates_exclude_suspended_revoked_and_expired_ones(issue, resident, make_staff):
    from yijianshi.certificates.selectors import valid_certificates_of

    rsj_leader = make_staff("leader-rsj", "department_leader", department="rsj")
    kept = issue("employment-card", resident.person, **EMPLOYMENT_CARD)
    suspended = issue("employment-card", resident.person, **EMPLOYMENT_CARD)
    services.certificate_suspend(user=rsj_leader, certificate=suspended, reason="核查就业状态")
    card = issue("social-security-card", resident.person, name="张桂兰", social_security_number="610830194001010096")
    Certificate.objects.filter(pk=card.pk).update(valid_until=date(2020, 1, 1))
    assert list(valid_certificates_of(resident.person)) == [kept]
    assert list(valid_certificates_of(resident.person, type_names=["就业创业证"])) == [kept]
    assert list(valid_certificates_of(resident.person, type_names=["营业执照"])) == []


def test_no_private_key_is_ever_stored_in_the_database(issue, resident, seal_key_dir):
    issue("employment-card", resident.person, **EMPLOYMENT_CARD)
    key = SealKey.objects.get()
    document = json.loads((seal_key_dir / f"{key.key_id}.json").read_text())
    private = document["private_key"]
    assert (seal_key_dir / f"{key.key_id}.json").stat().st_mode & 0o777 == 0o600
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("certificates_sealkey", "certificates_certificate", "audit_auditevent"):
            cursor.execute(f"SELECT * FROM {table}")
            assert private not in repr(cursor.fetchall())
