"""Writes about cases and tasks: submission, pre-review, department work, deadlines, delivery, rating.

Two state machines, each one table enforced in one place (`_case_to`, `_task_to`): the row is locked, the move is
checked against the table, history is appended (CaseEvent) and the audit chain records actor and principal.
Side effects (notifications) are queued on commit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from yijianshi.accounts.models import Party, Person, User
from yijianshi.accounts.permissions import NotAllowed, has_permission, require_permission
from yijianshi.accounts.roles import Role
from yijianshi.accounts.services import ActingContext, InvalidInput, acting_context, person_ensure
from yijianshi.audit.services import audit_record
from yijianshi.cases import plan as case_plan
from yijianshi.cases import selectors as case_selectors
from yijianshi.cases import results as case_results
from yijianshi.cases.storage import owned_file_ids
from yijianshi.cases.models import (
    Case,
    CaseEvent,
    CaseMaterial,
    CaseNumberCounter,
    ClockPause,
    Commitment,
    CorrectionNotice,
    CreditRecord,
    Rating,
    RectificationTask,
    StoredFile,
    Task,
)
from yijianshi.catalog.models import Bundle
from yijianshi.db import next_daily_serial
from yijianshi.organizations.models import ServicePoint
from yijianshi.notifications.services import notify
from yijianshi.workdays import selectors as workdays

S, T = Case.Status, Task.Status

# The life of a case.
CASE_TRANSITIONS: dict[str, set[str]] = {
    S.SUBMITTED: {S.ACCEPTED, S.CORRECTION_REQUESTED, S.REFUSED, S.WITHDRAWN},  # pre-review decides
    S.CORRECTION_REQUESTED: {S.SUBMITTED, S.WITHDRAWN},  # the applicant corrects (back to pre-review) or gives up
    S.ACCEPTED: {S.COMPLETED},                           # when every task has ended
    S.COMPLETED: {S.DELIVERED},                          # results handed over together (统一出件)
    S.DELIVERED: set(),
    S.REFUSED: set(),
    S.WITHDRAWN: set(),
}
# The life of one department's task.
TASK_TRANSITIONS: dict[str, set[str]] = {
    T.WAITING: {T.READY, T.CANCELLED},                   # starts when all its prerequisites are approved
    T.READY: {T.CLAIMED, T.CANCELLED},                   # an officer of the department claims it
    T.CLAIMED: {T.APPROVED, T.RETURNED, T.REFUSED, T.READY},  # decide, send back for correction, or release
    T.RETURNED: {T.CLAIMED},                             # the applicant corrected: back to the same officer
    T.APPROVED: set(),
    T.REFUSED: set(),
    T.CANCELLED: set(),
}
TASK_ENDED = {T.APPROVED, T.REFUSED, T.CANCELLED}
# How a refused move is worded: "不能受理", not the target state's label.
_VERBS = {S.ACCEPTED: "受理", S.CORRECTION_REQUESTED: "发出补正告知", S.REFUSED: "不予受理", S.WITHDRAWN: "撤回",
          S.SUBMITTED: "提交补正", S.COMPLETED: "办结", S.DELIVERED: "出件",
          T.READY: "开始办理", T.CLAIMED: "认领", T.APPROVED: "办结", T.RETURNED: "退回补正", T.REFUSED: "不予许可",
          T.CANCELLED: "取消"}
DEFICIENCY_DAYS = 5  # working days to supply a material accepted under 容缺
COMMITMENT_CHECK_DAYS = 20  # working days for the department's post-verification of a 告知承诺


class Conflict(Exception):
    """Someone else changed the case or task first (two officers, one task): the message says what happened."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


# --- helpers ----------------------------------------------------------------------------------------------------

def _today():
    return timezone.localdate()


def _event(case, kind, message, *, actor=None, task=None, internal=False):
    CaseEvent.objects.create(case=case, task=task, kind=kind, message=message, internal=internal,
                             actor=actor if actor is not None and actor.is_authenticated else None)


def _audit(action, case, actor, *, task=None, reason="", before=None, after=None):
    audit_record(action=action, object_type="cases.task" if task else "cases.case",
                 object_id=task.pk if task else case.number, actor=actor, principal=case.applicant,
                 subject=case.applicant, reason=reason, before=before, after=after)


def _case_to(case: Case, target: str, *, actor, message: str, kind: str, reason: str = "") -> Case:
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if target not in CASE_TRANSITIONS[locked.status]:
        raise Conflict(f"办件当前为“{locked.get_status_display()}”，不能{_VERBS[target]}")
    before = locked.status
    locked.status = target
    locked.save(update_fields=["status"])
    _event(locked, kind, message, actor=actor)
    _audit(f"case.{kind}", locked, actor, reason=reason, before={"status": before}, after={"status": target})
    return locked


def _task_to(task: Task, target: str, *, actor, message: str, kind: str, internal=False, reason="") -> Task:
    locked = Task.objects.select_for_update().select_related("case", "item_version").get(pk=task.pk)
    if target not in TASK_TRANSITIONS[locked.status]:
        who = f"（{locked.claimed_by.first_name or locked.claimed_by.username}）" if locked.claimed_by else ""
        raise Conflict(f"任务当前为“{locked.get_status_display()}”{who}，不能{_VERBS[target]}")
    before = locked.status
    locked.status = target
    locked.save(update_fields=["status"])
    _event(locked.case, kind, message, actor=actor, task=locked, internal=internal)
    _audit(f"task.{kind}", locked.case, actor, task=locked, reason=reason, before={"status": before},
           after={"status": target})
    return locked


def _applicant_users(case: Case) -> list[User]:
    """Who hears about the case: the person who applied, the applicant themself, an enterprise's representative."""
    users = [case.submitted_by]
    party = case.applicant.as_concrete()
    if isinstance(party, Person):
        users.append(party.user)
    else:
        users.append(party.legal_representative.user)
    return [u for u in users if u is not None and u.kind != User.Kind.STAFF] or [u for u in users if u]


def _officers(department_id: int, role=Role.DEPARTMENT_OFFICER) -> list[User]:
    return list(User.objects.filter(is_active=True, role_grants__role=role,
                                    role_grants__department_id=department_id).distinct())


def _case_link(case: Case) -> str:
    return f"/cases/{case.number}/"


def _next_number() -> str:
    day = _today()
    return f"QJ{day:%Y%m%d}{next_daily_serial(CaseNumberCounter, day):06d}"


def _pauses(case: Case) -> list[tuple]:
    return [(p.paused_on, p.resumed_on) for p in case.pauses.all()]


def _refresh_deadlines(case: Case) -> None:
    """Recompute the case's and its running tasks' due dates from their start, their days and the pauses."""
    pauses = _pauses(case)
    start = timezone.localtime(case.submitted_at).date()
    Case.objects.filter(pk=case.pk).update(
        due_date=workdays.due_date(start, case.promised_days, pauses),
        legal_due_date=workdays.due_date(start, case.legal_days, pauses) if case.legal_days else None)
    for task in case.tasks.exclude(status__in=TASK_ENDED).filter(started_on__isnull=False):
        relevant = [(a, b) for a, b in pauses if b is None or b >= task.started_on]
        due = workdays.due_date(task.started_on, task.promised_days + task.extension_days, relevant)
        Task.objects.filter(pk=task.pk).update(due_date=due)


# --- submission -------------------------------------------------------------------------------------------------

@dataclass
class Submission:
    bundle_code: str
    answers: dict
    form_data: dict
    materials: dict  # material code -> StoredFile id
    deferred_materials: list  # 容缺: material codes to be supplied later
    commitment_signed: bool = False
    delivery_method: str = Case.Delivery.DOWNLOAD
    delivery_address: str = ""
    pickup_point_id: int | None = None


def case_submit(*, context: ActingContext, submission: Submission, idempotency_key: str,
                channel: str = Case.Channel.ONLINE) -> tuple[Case, bool]:
    """Apply for a bundle, for oneself or for a principal one may act for. The same idempotency key from the same
    user returns the case it already made (a double click or a retry never makes two). Returns (case, created)."""
    idempotency_key = (idempotency_key or "").strip()
    if not idempotency_key or len(idempotency_key) > 80:
        raise InvalidInput("idempotency_key", "幂等键：必填，不超过 80 个字符（如 Idempotency-Key 请求头）")
    existing = Case.objects.filter(submitted_by=context.user, idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing, False
    bundle = Bundle.objects.filter(code=submission.bundle_code).first()
    if bundle is None:
        raise InvalidInput("bundle_code", "一件事：不存在")
    if bundle.founds_enterprise and context.principal.party_kind != Party.Kind.PERSON:
        raise InvalidInput("bundle_code", f"一件事：“{bundle.name}”由投资人以个人身份申请，企业在登记后设立")
    if (bundle.subject == Bundle.Subject.ENTERPRISE and not bundle.founds_enterprise
            and context.principal.party_kind != Party.Kind.ENTERPRISE):
        raise InvalidInput("bundle_code", f"一件事：“{bundle.name}”须以企业身份申请，请先切换为代企业办理")
    if context.on_behalf:
        context = acting_context(context.user, context.principal.pk, bundle=bundle)  # mandate must cover it
        channel = Case.Channel.AGENT if channel == Case.Channel.ONLINE else channel
    try:
        with transaction.atomic():
            case = _create_case(context=context, bundle=bundle, submission=submission,
                                idempotency_key=idempotency_key, channel=channel)
    except IntegrityError:
        # The same key raced in twice: the other request made the case; answer with it.
        case = Case.objects.filter(submitted_by=context.user, idempotency_key=idempotency_key).first()
        if case is None:
            raise
        return case, False
    return case, True


def case_submit_at_window(*, clerk: User, applicant_name: str, applicant_id_number: str, submission: Submission,
                          idempotency_key: str) -> tuple[Case, bool]:
    """一窗受理: a clerk applies for a walk-in resident after checking their ID card."""
    require_permission(clerk, "case.accept", message="只有综合窗口人员可以代群众提交申请")
    person = person_ensure(name=applicant_name, id_number=applicant_id_number, actor=clerk, reason="窗口受理")
    # The applicant is present in person: not a mandate case, even when the clerk's account has a Person.
    context = ActingContext(user=clerk, actor=person, principal=person, mandate=None)
    return case_submit(context=context, submission=submission, idempotency_key=idempotency_key,
                       channel=Case.Channel.WINDOW)


def _create_case(*, context, bundle, submission, idempotency_key, channel) -> Case:
    planned = case_plan.plan_case(bundle, submission.answers, submission.form_data, submission.materials,
                                  submission.deferred_materials, submission.commitment_signed,
                                  uploader=context.user,
                                  authoritative=case_selectors.authoritative_values(context.principal),
                                  on_file=case_selectors.certificates_on_file(context.principal))
    if planned.errors:
        field, message = next(iter(planned.errors.items()))
        raise InvalidInput(field, "；".join(planned.errors.values()) if len(planned.errors) > 1 else message)
    delivery = submission.delivery_method
    if delivery not in Case.Delivery.values:
        raise InvalidInput("delivery_method", "出件方式：请选择下载、窗口领取或邮寄")
    if delivery == Case.Delivery.POST and len((submission.delivery_address or "").strip()) < 6:
        raise InvalidInput("delivery_address", "邮寄地址：选择邮寄时必填，请写到门牌号")
    if delivery == Case.Delivery.PICKUP and not ServicePoint.objects.filter(pk=submission.pickup_point_id).exists():
        raise InvalidInput("pickup_point_id", "领取网点：请选择有效的领取网点")
    case = Case.objects.create(
        number=_next_number(), bundle=bundle, applicant=context.principal, submitted_by=context.user,
        mandate=context.mandate, channel=channel, answers=planned.answers, situation=planned.situation,
        form_data=json.dumps(planned.form_data, ensure_ascii=False), idempotency_key=idempotency_key,
        delivery_method=delivery, delivery_address=(submission.delivery_address or "").strip()[:300],
        pickup_point_id=submission.pickup_point_id if delivery == Case.Delivery.PICKUP else None,
        promised_days=planned.promised_days, legal_days=planned.legal_days,
        materials_exempted=len(planned.exempted))
    for code, file_id in planned.provided.items():
        CaseMaterial.objects.create(case=case, material_id=planned.material_ids[code],
                                    file=StoredFile.objects.get(pk=file_id), status=CaseMaterial.Status.PROVIDED)
    for code, certificate in planned.exempted.items():
        CaseMaterial.objects.create(case=case, material_id=planned.material_ids[code], certificate=certificate,
                                    status=CaseMaterial.Status.EXEMPTED,
                                    note=f"已从电子证照库调取：{certificate.type.name}（{certificate.identifier}）")
    today = _today()
    if planned.deferred:
        for code in planned.deferred:
            CaseMaterial.objects.create(case=case, material_id=planned.material_ids[code],
                                        status=CaseMaterial.Status.DEFERRED, note="容缺受理，承诺限期补交")
        Commitment.objects.create(case=case, kind=Commitment.Kind.DEFICIENCY, materials=planned.deferred,
                                  letter=case_plan.commitment_letter(case, planned, "deficiency"),
                                  signed_at=timezone.now(), due_date=workdays.add_working_days(today, DEFICIENCY_DAYS))
    if planned.commitment_items:
        Commitment.objects.create(case=case, kind=Commitment.Kind.COMMITMENT, items=planned.commitment_items,
                                  letter=case_plan.commitment_letter(case, planned, "commitment"),
                                  signed_at=timezone.now(),
                                  due_date=workdays.add_working_days(today, COMMITMENT_CHECK_DAYS))
    who = f"{context.user.first_name or context.user.username}（{Case.Channel(channel).label}）"
    _event(case, "submitted", f"{who}提交申请，适用事项 {len(planned.included)} 项"
           + (f"，{len(planned.exempted)} 份材料由电子证照免提交" if planned.exempted else ""))
    _audit("case.submit", case, context.user, reason=f"依授权 #{context.mandate.pk}" if context.mandate else "",
           after={"bundle": bundle.code, "items": planned.included, "channel": channel,
                  "exempted": sorted(c.identifier for c in planned.exempted.values())})
    _refresh_deadlines(case)
    transaction.on_commit(lambda: notify(_applicant_users(case), subject="申请已提交",
                                         body=f"您的“{bundle.name}”申请（{case.number}）已提交，等待预审。",
                                         link=_case_link(case)))
    return case


# --- pre-review -------------------------------------------------------------------------------------------------

def _require_prereview(user, case: Case) -> None:
    if has_permission(user, "case.accept"):
        return
    if has_permission(user, "task.process", case.bundle.lead_department):
        return
    raise NotAllowed("只有综合窗口人员或牵头部门经办人可以预审")


@transaction.atomic
def case_accept(*, user, case: Case) -> Case:
    """Accept: every applicable sub-item becomes a task; those without prerequisites start now."""
    _require_prereview(user, case)
    case = _case_to(case, S.ACCEPTED, actor=user, message="预审通过，已受理，各部门并联办理", kind="accepted")
    now = timezone.now()
    Case.objects.filter(pk=case.pk).update(accepted_at=now, accepted_on=timezone.localtime(now).date())
    tasks = case_plan.create_tasks(case)
    for task in tasks:
        if not task.prerequisites.exists():
            _start(task, actor=user)
    _refresh_deadlines(case)
    transaction.on_commit(lambda: notify(_applicant_users(case), subject="申请已受理",
                                         body=f"您的申请（{case.number}）已受理，相关部门正在并联办理。",
                                         link=_case_link(case)))
    return case


def _start(task: Task, *, actor=None) -> None:
    task = _task_to(task, T.READY, actor=actor, kind="task_ready",
                    message=f"{task.department.name}：“{task.item_version.name}”开始办理")
    Task.objects.filter(pk=task.pk).update(started_on=_today())
    _refresh_deadlines(task.case)  # a task started after its prerequisites gets its due date now
    transaction.on_commit(lambda: notify(_officers(task.department_id), subject="新的待办任务",
                                         body=f"{task.case.number}“{task.item_version.name}”待办理。",
                                         link=f"/tasks/{task.pk}/"))


@transaction.atomic
def case_request_correction(*, user, case: Case, problems: list[dict], task: Task | None = None) -> CorrectionNotice:
    """一次告知: list every missing or wrong material or field at once; the clock stops until the applicant
    corrects."""
    if task is None:
        _require_prereview(user, case)
    cleaned = []
    for n, problem in enumerate(problems or []):
        message = (problem.get("message") or "").strip()
        target = (problem.get("target") or "").strip()
        if not message:
            raise InvalidInput(f"problems.{n}.message", f"第 {n + 1} 项问题：请写明缺少或需要更正的内容")
        cleaned.append({"target": target[:100], "message": message[:500]})
    if not cleaned:
        raise InvalidInput("problems", "补正内容：请至少列出一项（一次性告知全部问题）")
    if task is None:
        case = _case_to(case, S.CORRECTION_REQUESTED, actor=user, kind="correction_requested",
                        message="一次性告知：" + "；".join(p["message"] for p in cleaned))
    notice = CorrectionNotice.objects.create(case=case, task=task, problems=cleaned, issued_by=user)
    for problem in cleaned:
        if problem["target"].startswith("material:"):
            CaseMaterial.objects.filter(case=case, material__code=problem["target"][9:]).update(
                status=CaseMaterial.Status.REJECTED, note=problem["message"][:300])
    ClockPause.objects.create(case=case, paused_on=_today(), reason=f"一次告知 #{notice.pk}")
    _refresh_deadlines(case)
    transaction.on_commit(lambda: notify(_applicant_users(case), subject="请补正材料",
                                         body=f"您的申请（{case.number}）需要补正：" +
                                              "；".join(p["message"] for p in cleaned), link=_case_link(case)))
    return notice


@transaction.atomic
def case_correct(*, context: ActingContext, case: Case, form_data: dict | None = None,
                 materials: dict | None = None) -> Case:
    """The applicant answers the one-time notice: replaced materials and form values; the clock restarts."""
    _require_applicant(context, case)
    case = Case.objects.select_for_update().get(pk=case.pk)
    notices = list(case.notices.filter(resolved_at__isnull=True))
    if not notices:
        raise Conflict("该办件没有待补正的告知")
    planned = case_plan.apply_correction(case, form_data or {}, materials or {}, uploader=context.user,
                                         authoritative=case_selectors.authoritative_values(case.applicant))
    if planned.errors:
        field, message = next(iter(planned.errors.items()))
        raise InvalidInput(field, message)
    now = timezone.now()
    CorrectionNotice.objects.filter(pk__in=[n.pk for n in notices]).update(resolved_at=now)
    ClockPause.objects.filter(case=case, resumed_on__isnull=True).update(resumed_on=_today())
    returned = [n.task for n in notices if n.task is not None]
    if case.status == S.CORRECTION_REQUESTED:
        case = _case_to(case, S.SUBMITTED, actor=context.user, kind="corrected", message="申请人已补正，重新预审")
    for task in returned:
        _task_to(task, T.CLAIMED, actor=context.user, kind="task_corrected",
                 message=f"申请人已补正，“{task.item_version.name}”继续办理")
        transaction.on_commit(lambda t=task: notify([t.claimed_by], subject="申请人已补正",
                                                    body=f"{case.number}“{t.item_version.name}”已补正，请继续办理。",
                                                    link=f"/tasks/{t.pk}/"))
    _refresh_deadlines(case)
    return case


@transaction.atomic
def case_refuse(*, user, case: Case, reason: str, legal_basis: str) -> Case:
    _require_prereview(user, case)
    if not (reason or "").strip():
        raise InvalidInput("reason", "不予受理理由：必填")
    if not (legal_basis or "").strip():
        raise InvalidInput("legal_basis", "法律依据：必填")
    case = _case_to(case, S.REFUSED, actor=user, kind="refused", reason=reason,
                    message=f"不予受理：{reason.strip()}（依据：{legal_basis.strip()}）")
    transaction.on_commit(lambda: notify(_applicant_users(case), subject="申请不予受理",
                                         body=f"您的申请（{case.number}）不予受理：{reason.strip()}",
                                         link=_case_link(case)))
    return case


@transaction.atomic
def case_withdraw(*, context: ActingContext, case: Case, reason: str = "") -> Case:
    _require_applicant(context, case)
    return _case_to(case, S.WITHDRAWN, actor=context.user, kind="withdrawn",
                    message=f"申请人撤回申请{('：' + reason.strip()) if reason.strip() else ''}")


def _require_applicant(context: ActingContext, case: Case) -> None:
    if case.applicant_id != context.principal.pk:
        raise NotAllowed("只有申请人（或其受托人）可以办理此操作")
    if context.on_behalf:
        acting_context(context.user, case.applicant_id, bundle=case.bundle)


# --- department tasks -------------------------------------------------------------------------------------------

def _require_department(user, task: Task, permission="task.process") -> None:
    if not has_permission(user, permission, task.department):
        raise NotAllowed(f"只有{task.department.name}的经办人员可以办理此任务")


@transaction.atomic
def task_claim(*, user, task: Task) -> Task:
    _require_department(user, task)
    task = _task_to(task, T.CLAIMED, actor=user, kind="task_claimed", internal=True,
                    message=f"{user.first_name or user.username} 认领任务")
    Task.objects.filter(pk=task.pk).update(claimed_by=user)
    task.claimed_by = user
    return task


def _require_claimant(user, task: Task) -> Task:
    _require_department(user, task)
    locked = Task.objects.select_for_update().get(pk=task.pk)
    if locked.status == T.CLAIMED and locked.claimed_by_id != user.pk and not has_permission(
            user, "task.approve", task.department):
        raise Conflict("该任务已由其他经办人认领")
    return locked


def _opinion(opinion: str) -> str:
    opinion = (opinion or "").strip()
    if len(opinion) < 2:
        raise InvalidInput("opinion", "办理意见：必填")
    return opinion[:2000]


@transaction.atomic
def task_approve(*, user, task: Task, opinion: str, result: dict | None = None,
                 output_data: dict | None = None) -> Task:
    """Approve with the result (a certificate or registration number); output data flows to the next tasks."""
    task = _require_claimant(user, task)
    opinion = _opinion(opinion)
    task = _task_to(task, T.APPROVED, actor=user, kind="task_approved",
                    message=f"{task.department.name}：“{task.item_version.name}”办结。{opinion}")
    produced = case_results.registrations_for(task, actor=user)
    Task.objects.filter(pk=task.pk).update(opinion=opinion, result=result or {},
                                           output_data={**(output_data or {}), **produced},
                                           completed_at=timezone.now())
    case_results.results_of_approval(task, actor=user)
    for dependant in task.dependants.filter(status=T.WAITING):
        if not dependant.prerequisites.exclude(status=T.APPROVED).exists():
            _start(dependant, actor=user)
    _maybe_complete(task.case, actor=user)
    return task


@transaction.atomic
def task_return(*, user, task: Task, opinion: str, problems: list[dict]) -> Task:
    """Send back for correction: a one-time notice for this task; the clock stops until the applicant corrects."""
    task = _require_claimant(user, task)
    opinion = _opinion(opinion)
    task = _task_to(task, T.RETURNED, actor=user, kind="task_returned",
                    message=f"{task.department.name}：“{task.item_version.name}”退回补正。{opinion}")
    Task.objects.filter(pk=task.pk).update(opinion=opinion)
    case_request_correction(user=user, case=task.case, problems=problems, task=task)
    return task


@transaction.atomic
def task_refuse(*, user, task: Task, opinion: str, legal_basis: str) -> Task:
    task = _require_claimant(user, task)
    opinion = _opinion(opinion)
    if not (legal_basis or "").strip():
        raise InvalidInput("legal_basis", "法律依据：不予许可须写明依据")
    task = _task_to(task, T.REFUSED, actor=user, kind="task_refused", reason=legal_basis,
                    message=f"{task.department.name}：“{task.item_version.name}”不予许可。{opinion}（依据：{legal_basis.strip()}）")
    Task.objects.filter(pk=task.pk).update(opinion=opinion, completed_at=timezone.now())
    _cancel_dependants(task, actor=user)
    _maybe_complete(task.case, actor=user)
    return task


def _cancel_dependants(task: Task, *, actor) -> None:
    for dependant in task.dependants.exclude(status__in=TASK_ENDED):
        if Task.objects.filter(pk=dependant.pk, status__in=TASK_ENDED).exists():
            continue  # already cancelled through another prerequisite, earlier in this walk
        _task_to(dependant, T.CANCELLED, actor=actor, kind="task_cancelled",
                 message=f"前置事项“{task.item_version.name}”未获许可，“{dependant.item_version.name}”不再办理")
        _cancel_dependants(dependant, actor=actor)


@transaction.atomic
def task_extend(*, user, task: Task, days: int, reason: str) -> Task:
    """Extend a task's promised time: a leader of the department approves, with a reason."""
    if not has_permission(user, "task.approve", task.department):
        raise NotAllowed("延期须由承办部门审批负责人批准")
    if not 1 <= int(days) <= 30:
        raise InvalidInput("days", "延长天数：应在 1 到 30 个工作日之间")
    if len((reason or "").strip()) < 4:
        raise InvalidInput("reason", "延期理由：必填，至少 4 个字")
    locked = Task.objects.select_for_update().get(pk=task.pk)
    if locked.status in TASK_ENDED:
        raise Conflict("任务已结束，不能延期")
    Task.objects.filter(pk=locked.pk).update(extension_days=locked.extension_days + int(days))
    _event(locked.case, "task_extended", f"“{locked.item_version.name}”经批准延长 {days} 个工作日：{reason.strip()}",
           actor=user, task=locked)
    _audit("task.extend", locked.case, user, task=locked, reason=reason, after={"days": int(days)})
    _refresh_deadlines(locked.case)
    return Task.objects.get(pk=locked.pk)


def _maybe_complete(case: Case, *, actor) -> None:
    if case.tasks.exclude(status__in=TASK_ENDED).exists():
        return
    case = _case_to(case, S.COMPLETED, actor=actor, kind="completed", message="全部事项办结，结果统一出件")
    Case.objects.filter(pk=case.pk).update(completed_at=timezone.now(), alert_level="")
    if case.delivery_method == Case.Delivery.DOWNLOAD:
        case_deliver(user=actor, case=case, note="电子结果已发送至申请人个人空间")
    else:
        how = "请到窗口领取" if case.delivery_method == Case.Delivery.PICKUP else "将邮寄送达"
        transaction.on_commit(lambda: notify(_applicant_users(case), subject="办件已办结",
                                             body=f"您的申请（{case.number}）已全部办结，{how}。", link=_case_link(case)))


@transaction.atomic
def case_deliver(*, user, case: Case, note: str = "") -> Case:
    """统一出件: all results at once, by the way the applicant chose."""
    if case.delivery_method != Case.Delivery.DOWNLOAD:
        require_permission(user, "case.accept", message="只有综合窗口人员可以登记出件")
    case = _case_to(case, S.DELIVERED, actor=user, kind="delivered",
                    message=f"统一出件：{Case.Delivery(case.delivery_method).label}。{note}".strip())
    Case.objects.filter(pk=case.pk).update(delivered_at=timezone.now())
    transaction.on_commit(lambda: notify(_applicant_users(case), subject="办理结果已送达",
                                         body=f"您的申请（{case.number}）结果已出件，欢迎评价本次服务。",
                                         link=_case_link(case)))
    return case


# --- commitments ------------------------------------------------------------------------------------------------

@transaction.atomic
def commitment_fulfil(*, context: ActingContext, commitment: Commitment, materials: dict) -> Commitment:
    """The applicant supplies the materials accepted under 容缺."""
    _require_applicant(context, commitment.case)
    locked = Commitment.objects.select_for_update().get(pk=commitment.pk)
    if locked.status != Commitment.Status.PENDING or locked.kind != Commitment.Kind.DEFICIENCY:
        raise Conflict("该承诺不在待补交状态")
    missing = [code for code in locked.materials if code not in (materials or {})]
    if missing:
        raise InvalidInput(f"materials.{missing[0]}", "后补材料：请上传全部容缺材料")
    uploaded = owned_file_ids(context.user, materials.values())
    foreign = [code for code in locked.materials if materials[code] not in uploaded]
    if foreign:
        raise InvalidInput(f"materials.{foreign[0]}", "后补材料：上传的文件不存在，请重新上传")
    for code in locked.materials:
        CaseMaterial.objects.filter(case=locked.case, material__code=code).update(
            file=StoredFile.objects.get(pk=materials[code]), status=CaseMaterial.Status.PROVIDED, note="已补交")
    Commitment.objects.filter(pk=locked.pk).update(status=Commitment.Status.FULFILLED, verified_at=timezone.now())
    _event(locked.case, "commitment_fulfilled", "申请人已补交容缺材料", actor=context.user)
    _audit("commitment.fulfil", locked.case, context.user, after={"materials": locked.materials})
    return locked


@transaction.atomic
def commitment_verify(*, user, commitment: Commitment, passed: bool, note: str) -> Commitment:
    """事后核查 of a 告知承诺: a department officer checks what was promised. A failed check is a breach."""
    locked = Commitment.objects.select_for_update().select_related("case").get(pk=commitment.pk)
    tasks = [t for t in locked.case.tasks.select_related("department") if t.item_version.item.code in locked.items]
    if not any(has_permission(user, "task.process", t.department) for t in tasks):
        raise NotAllowed("只有承诺事项的承办部门可以核查")
    if locked.status != Commitment.Status.PENDING:
        raise Conflict("该承诺已核查")
    if len((note or "").strip()) < 2:
        raise InvalidInput("note", "核查意见：必填")
    Commitment.objects.filter(pk=locked.pk).update(
        status=Commitment.Status.FULFILLED if passed else Commitment.Status.BREACHED, verified_by=user,
        verified_at=timezone.now(), verification_note=note.strip())
    _event(locked.case, "commitment_verified", f"事后核查{'通过' if passed else '未通过'}：{note.strip()}", actor=user)
    _audit("commitment.verify", locked.case, user, reason=note, after={"passed": passed})
    if not passed:
        _breach(locked, actor=user, description=f"告知承诺事后核查未通过：{note.strip()}", revoke=tasks)
    return locked


def _breach(commitment: Commitment, *, actor, description: str, revoke=()) -> None:
    Commitment.objects.filter(pk=commitment.pk).update(status=Commitment.Status.BREACHED)
    CreditRecord.objects.get_or_create(commitment=commitment, defaults={
        "party": commitment.case.applicant, "description": description})
    for task in revoke:
        if task.status == T.APPROVED:
            Task.objects.filter(pk=task.pk).update(result_revoked=True)
            case_results.results_revoked(task, reason=description)
            _event(task.case, "result_revoked", f"“{task.item_version.name}”的办理结果因承诺未履行被撤销",
                   actor=actor, task=task)
    _audit("commitment.breach", commitment.case, actor, reason=description)
    transaction.on_commit(lambda: notify(_applicant_users(commitment.case), subject="承诺未履行",
                                         body=f"{commitment.case.number}：{description}。已记入信用记录。",
                                         link=_case_link(commitment.case)))


# --- rating -----------------------------------------------------------------------------------------------------

@transaction.atomic
def case_rate(*, context: ActingContext, case: Case, level: int, comment: str = "") -> Rating:
    """好差评 after completion, once. 不满意 / 非常不满意 open a rectification task for the lead department."""
    _require_applicant(context, case)
    case = Case.objects.select_for_update().get(pk=case.pk)  # the caller's copy may predate completion
    if case.status not in (S.COMPLETED, S.DELIVERED):
        raise Conflict("办结后才能评价")
    if level not in Rating.Level.values:
        raise InvalidInput("level", "评价：请选择 非常满意、满意、基本满意、不满意 或 非常不满意")
    comment = (comment or "").strip()[:1000]
    if level <= Rating.Level.DISSATISFIED and len(comment) < 2:
        raise InvalidInput("comment", "评价说明：不满意时请写明原因，便于整改")
    if Rating.objects.filter(case=case).exists():
        raise Conflict("该办件已经评价过")
    rating = Rating.objects.create(case=case, level=level, comment=comment, rated_by=context.user)
    _event(case, "rated", f"申请人评价：{Rating.Level(level).label}{('，' + comment) if comment else ''}",
           actor=context.user)
    _audit("case.rate", case, context.user, after={"level": level})
    if level <= Rating.Level.DISSATISFIED:
        rectification_open(rating=rating, department=case.bundle.lead_department, subject=case.number)
    return rating


def rectification_open(*, rating: Rating, department, subject: str) -> RectificationTask:
    """差评整改 for a bad rating of anything rated (a case, a window service): the responsible department gets a
    task due in RECTIFICATION_WORKING_DAYS working days, and its leaders are told on commit."""
    days = getattr(settings, "RECTIFICATION_WORKING_DAYS", 15)
    rectification = RectificationTask.objects.create(rating=rating, department=department,
                                                     due_date=workdays.add_working_days(_today(), days))
    leaders = _officers(department.pk, Role.DEPARTMENT_LEADER)
    label = Rating.Level(rating.level).label
    transaction.on_commit(lambda: notify(leaders, subject="差评整改",
                                         body=f"{subject} 收到“{label}”评价，请在 "
                                              f"{rectification.due_date:%Y-%m-%d} 前整改并回访。",
                                         link="/tasks/#rectifications"))
    return rectification


def rated_department(rating: Rating):
    """The department answering for a rating: the case's lead department, or the rated window's department."""
    if rating.case_id:
        return rating.case.bundle.lead_department
    return rating.hall_ticket.window.department


def _rating_trail(rating: Rating, *, kind: str, message: str, actor, action: str, reason: str = "",
                  after=None, internal: bool = True) -> None:
    """Timeline and audit of a step on a rating, kept where the rated thing keeps its history."""
    if rating.case_id:
        _event(rating.case, kind, message, actor=actor, internal=internal)
        _audit(f"case.{action}", rating.case, actor, reason=reason, after=after)
    else:
        from yijianshi.hall.services import rating_trail  # the hall depends on cases, not the other way round

        rating_trail(rating.hall_ticket, kind=kind, message=message, actor=actor, action=action, reason=reason,
                     after=after)


# --- deadlines --------------------------------------------------------------------------------------------------

def _level(today, due) -> str:
    if due is None:
        return ""
    if today > due:
        return "red"
    return "yellow" if workdays.working_days_between(today, due) <= 1 else "green"


def deadline_sweep(today=None) -> dict[str, int]:
    """Flag tasks and cases close to (yellow) or past (red) their deadline and tell the officer and the
    supervisors once per change of colour; breach 容缺 commitments past their date. Safe to run twice."""
    today = today or _today()
    changed = {"tasks": 0, "cases": 0, "breached": 0}
    supervisors = list(User.objects.filter(is_active=True, role_grants__role=Role.SUPERVISOR).distinct())
    for task in Task.objects.filter(status__in=[T.READY, T.CLAIMED]).select_related("case", "item_version"):
        level = _level(today, task.due_date)
        if level == task.alert_level:
            continue
        with transaction.atomic():
            Task.objects.filter(pk=task.pk).update(alert_level=level)
            if level in ("yellow", "red"):
                words = "即将超期" if level == "yellow" else "已超期"
                _event(task.case, f"task_{level}", f"“{task.item_version.name}”{words}（{task.due_date}）",
                       task=task, internal=True)
                people = [task.claimed_by] if task.claimed_by else _officers(task.department_id)
                notify(people + (supervisors if level == "red" else []), subject=f"任务{words}",
                       body=f"{task.case.number}“{task.item_version.name}”{words}，承诺办结日 {task.due_date}。",
                       link=f"/tasks/{task.pk}/", dedupe_key=f"task:{task.pk}:{level}")
        changed["tasks"] += 1
    for case in Case.objects.filter(status=S.ACCEPTED):
        level = _level(today, case.due_date)
        if level != case.alert_level:
            Case.objects.filter(pk=case.pk).update(alert_level=level)
            changed["cases"] += 1
    overdue = Commitment.objects.filter(kind=Commitment.Kind.DEFICIENCY, status=Commitment.Status.PENDING,
                                        due_date__lt=today).select_related("case__applicant")
    for commitment in overdue:
        with transaction.atomic():
            _breach(commitment, actor=None, description=f"容缺受理承诺的材料未在 {commitment.due_date} 前补交")
        changed["breached"] += 1
    return changed


@transaction.atomic
def rectification_close(*, user, rectification: RectificationTask, response: str) -> RectificationTask:
    """The department reports what it changed and how it called the applicant back; closes the rectification."""
    if not has_permission(user, "task.process", rectification.department):
        raise NotAllowed(f"只有{rectification.department.name}可以办理该整改")
    response = (response or "").strip()
    if len(response) < 10:
        raise InvalidInput("response", "整改及回访情况：必填，至少 10 个字（整改措施、回访时间和申请人意见）")
    # OF self: a rating's case is nullable now (window ratings), and PostgreSQL locks no outer-joined row.
    locked = (RectificationTask.objects.select_for_update(of=("self",)).select_related("rating__case")
              .get(pk=rectification.pk))
    if locked.status != RectificationTask.Status.OPEN:
        raise Conflict("该整改已办结")
    RectificationTask.objects.filter(pk=locked.pk).update(status=RectificationTask.Status.DONE, response=response,
                                                          closed_at=timezone.now())
    _rating_trail(locked.rating, kind="rectified", message=f"{locked.department.name}完成差评整改并回访：{response}",
                  actor=user, action="rectification_close", reason=response[:200], internal=False)
    return RectificationTask.objects.get(pk=locked.pk)


@transaction.atomic
def case_note_add(*, user, task: Task, text: str) -> None:
    """An internal note on the case timeline (staff only; the applicant never sees it), by the task's department."""
    _require_department(user, task)
    text = (text or "").strip()
    if len(text) < 2:
        raise InvalidInput("note", "内部备注：必填")
    _event(task.case, "note", text[:1000], actor=user, task=task, internal=True)
    _audit("case.note", task.case, user, task=task, after={"length": len(text)})


@transaction.atomic
def rating_appeal(*, user, rating: Rating, reason: str) -> Rating:
    """The rated department appeals a review it believes abusive (insults, unrelated to the service)."""
    locked = Rating.objects.select_for_update(of=("self",)).select_related("case__bundle").get(pk=rating.pk)
    department = rated_department(locked)
    if not has_permission(user, "task.approve", department):
        raise NotAllowed(f"只有{department.name}的审批负责人可以申诉评价")
    if locked.appealed_at is not None:
        raise Conflict("该评价已申诉过")
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise InvalidInput("reason", "申诉理由：至少 10 个字，写明评价不实或含辱骂等情形及证据")
    Rating.objects.filter(pk=locked.pk).update(appeal_reason=reason, appealed_by=user, appealed_at=timezone.now())
    _rating_trail(locked, kind="rating_appealed", message=f"{department.name}对评价提出申诉：{reason}", actor=user,
                  action="rating_appeal", reason=reason)
    return Rating.objects.get(pk=locked.pk)


@transaction.atomic
def rating_appeal_decide(*, user, rating: Rating, exclude: bool, reason: str) -> Rating:
    """A supervisor decides an appeal: an excluded review no longer counts and its rectification is closed."""
    require_permission(user, "supervision.view", message="只有效能监督员可以复核评价申诉")
    locked = Rating.objects.select_for_update(of=("self",)).select_related("case").get(pk=rating.pk)
    if locked.appealed_at is None or locked.appeal_decision:
        raise Conflict("该评价没有待复核的申诉")
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise InvalidInput("reason", "复核意见：必填")
    Rating.objects.filter(pk=locked.pk).update(appeal_decision="excluded" if exclude else "upheld",
                                               appeal_decision_reason=reason, decided_by=user)
    if exclude:
        RectificationTask.objects.filter(rating=locked, status=RectificationTask.Status.OPEN).update(
            status=RectificationTask.Status.DONE, response=f"评价经申诉不计入：{reason}", closed_at=timezone.now())
    _rating_trail(locked, kind="rating_appeal_decided",
                  message=f"评价申诉{'成立，该评价不计入' if exclude else '不成立，评价有效'}：{reason}", actor=user,
                  action="rating_appeal_decide", reason=reason, after={"excluded": exclude})
    return Rating.objects.get(pk=locked.pk)
