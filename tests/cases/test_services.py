"""The case lifecycle through its services: apply once, departments in parallel in 前后置 order, one result."""

from datetime import date, timedelta

import pytest

from tests.cases.factories import key, submission_for
from yijianshi.accounts.permissions import NotAllowed
from yijianshi.accounts.services import InvalidInput, acting_context
from yijianshi.audit.models import AuditEvent
from yijianshi.cases import services
from yijianshi.cases.models import Case, ClockPause, Commitment, CreditRecord, RectificationTask, Task
from yijianshi.cases.services import Conflict
from yijianshi.notifications.models import Notification

pytestmark = pytest.mark.django_db





def _apply(user, bundle_code="newborn", principal_id=None, **kwargs):
    context = acting_context(user, principal_id)
    return services.case_submit(context=context, idempotency_key=key(), submission=submission_for(
        bundle_code, owner=user, principal=context.principal, **kwargs))[0]


def _task(case, item_code):
    return case.tasks.select_related("department", "item_version__item").get(item_version__item__code=item_code)


def _finish(task, officers, **kwargs):
    officer = officers(task.department.code)
    services.task_claim(user=officer, task=task)
    return services.task_approve(user=officer, task=task, opinion="符合条件，同意", **kwargs)


def test_a_newborn_case_runs_in_prerequisite_order_and_ends_with_one_delivery(
        resident, clerk, officers, django_capture_on_commit_callbacks):
    case = _apply(resident)
    assert case.status == Case.Status.SUBMITTED and case.number.startswith("QJ")
    services.case_accept(user=clerk, case=case)
    statuses = {t.item_version.item.code: t.status for t in case.tasks.select_related("item_version__item")}
    # 出生医学证明 and 预防接种证 start together; 户口登记 waits for the birth certificate, and so on.
    assert statuses["WJJ-001"] == statuses["WJJ-002"] == Task.Status.READY
    assert statuses["GAJ-002"] == Task.Status.WAITING

    waiting = _task(case, "GAJ-002")
    with pytest.raises(Conflict):
        services.task_claim(user=officers("gaj"), task=waiting)

    _finish(_task(case, "WJJ-001"), officers, result={"出生医学证明编号": "T610830123"},
            output_data={"wjj.birth_certificate_number": "T610830123"})
    assert _task(case, "GAJ-002").status == Task.Status.READY
    from yijianshi.cases.selectors import task_inputs

    assert task_inputs(_task(case, "GAJ-002")) == {"wjj.birth_certificate_number": "T610830123"}

    with django_capture_on_commit_callbacks(execute=True):
        while ready := list(case.tasks.filter(status=Task.Status.READY).select_related("department")):
            for task in ready:
                _finish(task, officers)
    case.refresh_from_db()
    assert case.status == Case.Status.DELIVERED  # electronic results: delivered with completion, all together
    assert all(t.status == Task.Status.APPROVED for t in case.tasks.all())
    assert Notification.objects.filter(recipient=resident, subject="办理结果已送达").exists()


def test_two_officers_claiming_one_task_one_wins(resident, clerk, officers, make_staff):
    case = _apply(resident)
    services.case_accept(user=clerk, case=case)
    task = _task(case, "WJJ-001")
    first, second = officers("wjj"), make_staff("officer-wjj-2", "department_officer", department="wjj")
    services.task_claim(user=first, task=task)
    with pytest.raises(Conflict, match="办理中"):
        services.task_claim(user=second, task=task)
    with pytest.raises(Conflict, match="其他经办人"):
        services.task_approve(user=second, task=task, opinion="同意")


def test_an_officer_cannot_touch_another_departments_task(resident, clerk, officers):
    case = _apply(resident)
    services.case_accept(user=clerk, case=case)
    with pytest.raises(NotAllowed):
        services.task_claim(user=officers("gaj"), task=_task(case, "WJJ-001"))


def test_a_one_time_notice_stops_the_clock_until_the_applicant_corrects(resident, clerk):
    case = _apply(resident)
    assert case.due_date is None or isinstance(Case.objects.get(pk=case.pk).due_date, date)
    services.case_request_correction(user=clerk, case=case, problems=[
        {"target": "field:child.name", "message": "子女姓名与出生医学证明不一致"},
        {"target": "material:" + case.materials.first().material.code, "message": "材料模糊，请重新上传"}])
    case.refresh_from_db()
    assert case.status == Case.Status.CORRECTION_REQUESTED and case.due_date is None  # paused
    services.case_correct(context=acting_context(resident), case=case, form_data={"child.name": "张小宝"})
    case.refresh_from_db()
    assert case.status == Case.Status.SUBMITTED and case.due_date is not None
    assert ClockPause.objects.get(case=case).resumed_on is not None
    assert case.events.filter(kind="correction_requested").exists() and case.events.filter(kind="corrected").exists()


def test_a_correction_needs_at_least_one_problem_with_a_message(resident, clerk):
    case = _apply(resident)
    with pytest.raises(InvalidInput, match="补正内容"):
        services.case_request_correction(user=clerk, case=case, problems=[])
    with pytest.raises(InvalidInput) as error:
        services.case_request_correction(user=clerk, case=case, problems=[{"target": "x", "message": ""}])
    assert error.value.field == "problems.0.message"


def test_the_same_idempotency_key_never_makes_two_cases(resident):
    context = acting_context(resident)
    submission = submission_for("newborn", owner=resident)
    first, created = services.case_submit(context=context, submission=submission, idempotency_key="k-1")
    again, created_again = services.case_submit(context=context, submission=submission, idempotency_key="k-1")
    assert created and not created_again and first.pk == again.pk and Case.objects.count() == 1


def test_a_missing_material_is_named_and_nothing_is_saved(resident):
    submission = submission_for("newborn", owner=resident)
    missing = next(iter(submission.materials))
    submission.materials.pop(missing)
    with pytest.raises(InvalidInput) as error:
        services.case_submit(context=acting_context(resident), submission=submission, idempotency_key=key())
    assert error.value.field == f"materials.{missing}" and "请上传" in error.value.message
    assert not Case.objects.exists()


def test_an_enterprise_bundle_needs_an_enterprise_applicant(resident):
    with pytest.raises(InvalidInput, match="须以企业身份申请"):
        _apply(resident, "business-permit-restaurant")


def test_a_founding_bundle_is_applied_for_by_a_person_not_an_enterprise(representative):
    with pytest.raises(InvalidInput, match="由投资人以个人身份申请"):
        services.case_submit(context=acting_context(representative, representative.enterprise.pk),
                             submission=submission_for("business-startup", owner=representative),
                             idempotency_key=key())


def test_a_refused_task_cancels_what_depends_on_it_and_the_case_still_ends(resident, clerk, officers):
    case = _apply(resident)
    services.case_accept(user=clerk, case=case)
    task = _task(case, "WJJ-001")
    services.task_claim(user=officers("wjj"), task=task)
    with pytest.raises(InvalidInput, match="法律依据"):
        services.task_refuse(user=officers("wjj"), task=task, opinion="不符合条件", legal_basis="")
    services.task_refuse(user=officers("wjj"), task=task, opinion="助产机构无分娩记录",
                         legal_basis="《出生医学证明管理办法》第七条")
    assert _task(case, "GAJ-002").status == Task.Status.CANCELLED
    _finish(_task(case, "WJJ-002"), officers)
    case.refresh_from_db()
    assert case.status == Case.Status.DELIVERED


def test_a_bad_rating_opens_a_rectification_task_with_fifteen_working_days(resident, clerk, officers):
    case = _apply(resident)
    services.case_accept(user=clerk, case=case)
    while ready := list(case.tasks.filter(status=Task.Status.READY).select_related("department")):
        for task in ready:
            _finish(task, officers)
    with pytest.raises(InvalidInput, match="评价说明"):
        services.case_rate(context=acting_context(resident), case=case, level=1)
    services.case_rate(context=acting_context(resident), case=case, level=1, comment="窗口让我跑了两趟")
    rectification = RectificationTask.objects.get()
    assert rectification.department == case.bundle.lead_department
    assert rectification.due_date > date.today()
    with pytest.raises(Conflict):
        services.case_rate(context=acting_context(resident), case=case, level=5)


def test_an_agent_applies_under_a_mandate_for_that_bundle_only(resident, relative):
    from yijianshi.accounts.services import mandate_grant
    from django.utils import timezone

    mandate_grant(user=resident, principal=resident.person, agent_name="张小军", agent_id_number="610830198307070102",
                  bundle_codes=["newborn"], valid_until=timezone.now() + timedelta(days=30))
    context = acting_context(relative, resident.person.pk, bundle=case_bundle("newborn"))
    case, _ = services.case_submit(context=context, idempotency_key=key(),
                                   submission=submission_for("newborn", owner=relative, principal=resident.person))
    assert case.applicant_id == resident.person.pk and case.channel == Case.Channel.AGENT and case.mandate
    event = AuditEvent.objects.filter(action="case.submit").last()
    assert (event.actor_user_id, event.principal_party_id) == (relative.pk, resident.person.pk)
    with pytest.raises(NotAllowed):
        services.case_submit(context=acting_context(relative, resident.person.pk, bundle=case_bundle("newborn")),
                             submission=submission_for("after-death", owner=relative), idempotency_key=key())


def case_bundle(code):
    from yijianshi.catalog.models import Bundle

    return Bundle.objects.get(code=code)


def test_deadline_sweep_flags_once_and_breaches_overdue_deficiency_commitments(resident, clerk, officers):
    case = _apply(resident)
    services.case_accept(user=clerk, case=case)
    task = _task(case, "WJJ-001")
    officers("wjj")  # the department has an officer to tell
    Task.objects.filter(pk=task.pk).update(due_date=date.today() - timedelta(days=1))
    first = services.deadline_sweep()
    second = services.deadline_sweep()
    assert first["tasks"] >= 1 and second["tasks"] == 0
    assert Task.objects.get(pk=task.pk).alert_level == "red"
    assert Notification.objects.filter(dedupe_key=f"task:{task.pk}:red", channel="site").count() == 1

    commitment = Commitment.objects.create(case=case, kind=Commitment.Kind.DEFICIENCY, materials=["x"],
                                           letter="承诺书", signed_at=case.submitted_at,
                                           due_date=date.today() - timedelta(days=1))
    services.deadline_sweep()
    commitment.refresh_from_db()
    assert commitment.status == Commitment.Status.BREACHED
    assert CreditRecord.objects.get().party_id == resident.person.pk


def test_a_non_key_material_may_follow_later_against_a_signed_commitment(resident, clerk):
    from yijianshi.cases import storage
    from tests.cases.factories import PDF

    with pytest.raises(InvalidInput) as error:
        _apply(resident, defer=["household-register"])
    assert error.value.field == "commitment_signed"
    case = _apply(resident, defer=["household-register"], commitment_signed=True)
    commitment = case.commitments.get()
    assert commitment.kind == Commitment.Kind.DEFICIENCY and commitment.materials == ["household-register"]
    assert "容缺受理承诺书" in commitment.letter and commitment.due_date > date.today()
    services.case_accept(user=clerk, case=case)  # accepted with the material still missing

    services.commitment_fulfil(context=acting_context(resident), commitment=commitment,
                               materials={"household-register": storage.store(PDF + b"%2", owner=resident).pk})
    commitment.refresh_from_db()
    assert commitment.status == Commitment.Status.FULFILLED
    assert case.materials.get(material__code="household-register").status == "provided"


def test_a_key_material_cannot_be_deferred(resident):
    with pytest.raises(InvalidInput, match="核心材料"):
        _apply(resident, defer=[_key_material()], commitment_signed=True)


def _key_material():
    from yijianshi.catalog.models import Bundle
    from yijianshi.catalog.selectors import bundle_questionnaire
    from yijianshi.cases import plan
    from yijianshi.catalog.domain.situation import tolerable_materials

    bundle = Bundle.objects.get(code="newborn")
    rows, outcome = plan.situation_outcome(bundle, {})
    needs = plan.material_needs(rows, outcome)
    tolerable = tolerable_materials(bundle_questionnaire(bundle), rows, set(outcome.included), needs)
    return next(code for code, need in needs.items() if need["required"] and code not in tolerable)


def test_a_failed_post_verification_of_a_commitment_is_a_credit_record_and_revokes_the_result(
        representative, make_staff, clerk):
    case = _apply(representative, "business-permit-restaurant", principal_id=representative.enterprise.pk,
                  commitment_signed=True)
    commitment = case.commitments.get(kind=Commitment.Kind.COMMITMENT)
    assert set(commitment.items) >= {"SPJ-003"}
    services.case_accept(user=clerk, case=case)
    spj = make_staff("officer-spj", "department_officer", department="spj")
    task = _task(case, "SPJ-003")
    while task.status != Task.Status.READY:  # its prerequisites first
        for ready in case.tasks.filter(status=Task.Status.READY).select_related("department"):
            officer = make_staff(f"o-{ready.department.code}-{ready.pk}", "department_officer",
                                 department=ready.department.code)
            services.task_claim(user=officer, task=ready)
            services.task_approve(user=officer, task=ready, opinion="同意")
        task.refresh_from_db()
    services.task_claim(user=spj, task=task)
    services.task_approve(user=spj, task=task, opinion="告知承诺，当场发证", result={"许可证编号": "JY16108300001"})
    services.commitment_verify(user=spj, commitment=commitment, passed=False, note="现场核查：无独立专间")
    task.refresh_from_db()
    assert task.result_revoked
    assert CreditRecord.objects.get().party_id == representative.enterprise.pk


def test_the_application_form_and_commitment_letter_are_never_uploads():
    from yijianshi.catalog.models import Bundle
    from yijianshi.cases import plan

    for bundle in Bundle.objects.all():
        rows, outcome = plan.situation_outcome(bundle, {})
        needs = plan.material_needs(rows, outcome)
        assert not set(needs) & plan.PLATFORM_GENERATED, bundle.code


def test_the_lead_department_closes_a_rectification_with_its_call_back(resident, clerk, officers, make_staff):
    case = _apply(resident)
    services.case_accept(user=clerk, case=case)
    while ready := list(case.tasks.filter(status=Task.Status.READY).select_related("department")):
        for task in ready:
            _finish(task, officers)
    services.case_rate(context=acting_context(resident), case=case, level=2, comment="材料要求前后不一致")
    rectification = RectificationTask.objects.get()
    lead = officers(case.bundle.lead_department.code)
    with pytest.raises(NotAllowed):
        services.rectification_close(user=officers("gaj"), rectification=rectification, response="x" * 20)
    with pytest.raises(InvalidInput, match="整改及回访情况"):
        services.rectification_close(user=lead, rectification=rectification, response="已整改")
    services.rectification_close(user=lead, rectification=rectification,
                                 response="已统一窗口材料清单，12月2日电话回访申请人，表示认可")
    rectification.refresh_from_db()
    assert rectification.status == RectificationTask.Status.DONE
    assert case.events.filter(kind="rectified").exists()


def test_the_form_is_prefilled_from_the_record_and_the_latest_case_but_never_for_an_agent(resident, relative):
    from django.utils import timezone

    from yijianshi.accounts.services import mandate_grant
    from yijianshi.cases.selectors import prefill

    first = _apply(resident)
    values = prefill(acting_context(resident), ["person.id_number", "child.name", "person.mobile"])
    assert values["person.id_number"] == "610830194001010096" and values["person.mobile"] == "13800000001"
    assert values["child.name"] == json_form(first)["child.name"]
    mandate_grant(user=resident, principal=resident.person, agent_name="张小军", agent_id_number="610830198307070102",
                  all_services=True, valid_until=timezone.now() + timedelta(days=30))
    assert prefill(acting_context(relative, resident.person.pk), ["person.id_number", "child.name"]) == {}


def json_form(case):
    from yijianshi.cases.selectors import case_form_data

    return case_form_data(case)


def test_internal_notes_are_for_staff_only(resident, clerk, officers):
    from yijianshi.cases.selectors import case_status

    case = _apply(resident)
    services.case_accept(user=clerk, case=case)
    task = _task(case, "WJJ-001")
    with pytest.raises(NotAllowed):
        services.case_note_add(user=officers("gaj"), task=task, text="不该写")
    services.case_note_add(user=officers("wjj"), task=task, text="已电话联系助产机构核实")
    public = [e["message"] for e in case_status(case)["timeline"]]
    internal = [e["message"] for e in case_status(case, internal=True)["timeline"]]
    assert "已电话联系助产机构核实" in internal and "已电话联系助产机构核实" not in public


def test_an_abusive_review_is_appealed_by_the_department_and_excluded_by_a_supervisor(
        resident, clerk, officers, make_staff):
    case = _apply(resident)
    services.case_accept(user=clerk, case=case)
    while ready := list(case.tasks.filter(status=Task.Status.READY).select_related("department")):
        for task in ready:
            _finish(task, officers)
    rating = services.case_rate(context=acting_context(resident), case=case, level=1, comment="一群废物")
    leader = make_staff("wjj-leader", "department_leader", department="wjj")
    supervisor = make_staff("supervisor", "supervisor")
    with pytest.raises(NotAllowed):
        services.rating_appeal(user=officers("wjj"), rating=rating, reason="评价含辱骂内容，与服务无关")
    services.rating_appeal(user=leader, rating=rating, reason="评价含辱骂内容，且办件全部按时办结")
    with pytest.raises(NotAllowed):
        services.rating_appeal_decide(user=leader, rating=rating, exclude=True, reason="成立")
    decided = services.rating_appeal_decide(user=supervisor, rating=rating, exclude=True, reason="含辱骂，不计入")
    assert decided.appeal_decision == "excluded"
    assert RectificationTask.objects.get(rating=rating).status == RectificationTask.Status.DONE
    with pytest.raises(Conflict):
        services.rating_appeal_decide(user=supervisor, rating=rating, exclude=False, reason="再次复核")


def test_an_agent_cannot_put_other_identity_data_in_the_principals_application(resident, relative):
    """The agent is not shown her record, but what they type is checked against it; nothing is saved."""
    from django.utils import timezone

    from yijianshi.accounts.services import mandate_grant

    mandate_grant(user=resident, principal=resident.person, agent_name="张小军", agent_id_number="610830198307070102",
                  bundle_codes=["newborn"], valid_until=timezone.now() + timedelta(days=30))
    context = acting_context(relative, resident.person.pk, bundle=case_bundle("newborn"))
    submission = submission_for("newborn", owner=relative, principal=resident.person)
    submission.form_data["person.id_number"] = "610830198307070102"
    with pytest.raises(InvalidInput) as error:
        services.case_submit(context=context, submission=submission, idempotency_key=key())
    assert error.value.field == "form.person.id_number"
    assert "与县公安局登记的信息不一致" in error.value.message and resident.person.id_number not in error.value.message
    assert not Case.objects.exists()
