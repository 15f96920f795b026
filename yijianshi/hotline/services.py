"""The 12345 closed loop: 受理 -> 分拨 -> 办理 -> 督办 -> 答复 -> 回访/评价 -> 办结, where a dissatisfied caller
sends the ticket to a supervisor who reopens it (差评重办) or closes it with a reason.

A 办不成事 ticket skips the operators: it waits for a supervisor, who assigns it (交办) to the responsible department
with a 督办 attached; from there it runs the same loop. Co-handling departments (协办) add their opinions and mark
their part done; the lead department replies once every part is in (or a supervisor waived it). The lead
department's leader may appeal an abusive rating; a supervisor excludes it (closing the reopen request it caused)
or upholds it.

One transition table (TICKET_TRANSITIONS), enforced in `_to`: lock the row, check the move, append the timeline
event and the audit record. Notifications go out on commit.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from yijianshi.accounts.identity import IdentityError, parse_mobile
from yijianshi.accounts.models import User
from yijianshi.accounts.permissions import NotAllowed, departments_with, has_permission, require_permission
from yijianshi.accounts.roles import Role
from yijianshi.accounts.services import InvalidInput, mobile_index
from yijianshi.audit.services import audit_read, audit_record
from yijianshi.cases.models import StoredFile
from yijianshi.cases.storage import owned_file_ids
from yijianshi.db import next_daily_serial
from yijianshi.hotline import time_limits
from yijianshi.hotline.models import (
    RATING_LABELS,
    CoHandling,
    DispatchDecision,
    Ticket,
    TicketEvent,
    TicketNumberCounter,
    TicketPhoto,
    TicketRating,
)
from yijianshi.notifications.services import notify, notify_mobile
from yijianshi.organizations.models import Department, ServicePoint, Town
from yijianshi.workdays import selectors as workdays

S = Ticket.Status
TICKET_TRANSITIONS: dict[str, set[str]] = {
    S.RECEIVED: {S.DISPATCHED, S.MERGED, S.CLOSED,        # the operator dispatches, merges a duplicate, or answers
                 S.TO_SUPERVISOR},                        # a consultation on the phone and closes; a 办不成事 goes
                                                          # to the supervisors at intake
    S.TO_SUPERVISOR: {S.DISPATCHED},                      # a supervisor assigns the 办不成事 with a 督办 (交办)
    S.DISPATCHED: {S.IN_PROGRESS, S.RETURNED},            # the department takes it, or returns it (退单)
    S.RETURNED: {S.DISPATCHED},                           # sent again: by the operator, a 办不成事 by a supervisor
    S.IN_PROGRESS: {S.REPLIED},                           # the department answers the caller, once every
                                                          # co-handler's part is done or waived
    S.REPLIED: {S.CLOSED, S.REOPEN_REQUESTED},            # satisfied closes; dissatisfied asks for a review
    S.REOPEN_REQUESTED: {S.IN_PROGRESS, S.CLOSED},        # the supervisor reopens (差评重办) or closes with a reason
    S.CLOSED: set(),
    S.MERGED: set(),
}
# Who sends a ticket to a department (RECEIVED/RETURNED/TO_SUPERVISOR -> DISPATCHED): operators dispatch (分拨),
# supervisors assign a 办不成事 (交办). Any other kind not listed here is the operators'.
SENDER_PERMISSION = {Ticket.Kind.SERVICE_FAILURE: "hotline.supervise"}
# Ticket-level sign-offs that need the lead department's leader (extension, rating appeal); roles.py gives
# hotline.extend to department leaders only, scoped to their department.
LEADER_PERMISSION = "hotline.extend"
RETURN_WINDOW_WORKING_DAYS = 2
MAX_PHOTOS = 3
SATISFIED_LEVELS = {5, 4, 3}  # 非常满意, 满意, 基本满意


class Conflict(Exception):
    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def _event(ticket, kind, message, *, actor=None, internal=False):
    TicketEvent.objects.create(ticket=ticket, kind=kind, message=message, internal=internal,
                               actor=actor if actor is not None and actor.is_authenticated else None)


def _to(ticket: Ticket, target: str, *, actor, kind: str, message: str, reason: str = "") -> Ticket:
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if target not in TICKET_TRANSITIONS[locked.status]:
        raise Conflict(f"工单当前为“{locked.get_status_display()}”，不能转为“{Ticket.Status(target).label}”")
    before = locked.status
    locked.status = target
    locked.save(update_fields=["status"])
    _event(locked, kind, message, actor=actor)
    audit_record(action=f"ticket.{kind}", object_type="hotline.ticket", object_id=locked.number, actor=actor,
                 principal=locked.caller, subject=locked.caller, reason=reason,
                 before={"status": before}, after={"status": target})
    return locked


def _number() -> str:
    day = timezone.localdate()
    return f"RX{day:%Y%m%d}{next_daily_serial(TicketNumberCounter, day):05d}"


def time_limit(kind: str, urgency: str, start: datetime) -> tuple[datetime, str]:
    """When the department must have replied, and the rule that says so: by the ticket's kind and urgency from
    data/hotline/time_limits.yaml (urgent in hours of clock time, the rest in working days to the end of the
    working day)."""
    limits = time_limits.current()
    return limits.limit(kind, urgency).due(start), limits.label(kind, urgency)


def _leaders(department) -> list[User]:
    return list(User.objects.filter(is_active=True, role_grants__role=Role.DEPARTMENT_LEADER,
                                    role_grants__department=department).distinct())


def _handlers(department) -> list[User]:
    return list(User.objects.filter(is_active=True, role_grants__role=Role.DEPARTMENT_OFFICER,
                                    role_grants__department=department).distinct())


def _supervisors() -> list[User]:
    return list(User.objects.filter(is_active=True, role_grants__role=Role.SUPERVISOR).distinct())


def _caller_users(ticket: Ticket) -> list[User]:
    person = ticket.caller.as_concrete() if ticket.caller else None
    user = getattr(person, "user", None)
    return [user] if user is not None else []


# --- intake -----------------------------------------------------------------------------------------------------

@transaction.atomic
def ticket_intake(*, user, channel: str, kind: str, content: str, caller=None, caller_name: str = "",
                  caller_mobile: str = "", wants_reply: bool = True, urgency: str = Ticket.Urgency.NORMAL,
                  category: str = "", town_code: str = "", address: str = "", latitude=None,
                  longitude=None, photo_ids=()) -> Ticket:
    """受理: an operator takes a call, a resident leaves a message (``user`` is then the resident), or another
    system posts through Open311 (``user`` is its system account)."""
    if channel == Ticket.Channel.PHONE:
        require_permission(user, "hotline.intake", message="只有 12345 话务员可以受理来电")
    if channel not in Ticket.Channel.values:
        raise InvalidInput("channel", "来源渠道：不支持")
    if kind not in Ticket.Kind.values:
        raise InvalidInput("kind", "诉求类型：请选择投诉、求助、咨询、建议、表扬或办不成事")
    if urgency not in Ticket.Urgency.values:
        raise InvalidInput("urgency", "紧急程度：请选择一般或紧急")
    content = (content or "").strip()
    if len(content) < 5:
        raise InvalidInput("content", "诉求内容：请至少写 5 个字，说清楚事情、地点和诉求")
    if len(content) > 4000:
        raise InvalidInput("content", "诉求内容：不能超过 4000 个字")
    mobile = ""
    if caller_mobile:
        try:
            mobile = parse_mobile(caller_mobile, field="caller_mobile")
        except IdentityError as exc:
            raise InvalidInput(exc.field, exc.message.replace("手机号码", "联系电话", 1)) from None
    if wants_reply and not mobile and caller is None:
        raise InvalidInput("caller_mobile", "联系电话：需要答复时必填")
    town = None
    if town_code:
        town = Town.objects.filter(division_code=town_code).first()
        if town is None:
            raise InvalidInput("town_code", "所在镇：不存在")
    now = timezone.now()
    due_at, rule = time_limit(kind, urgency, now)
    ticket = Ticket.objects.create(
        number=_number(), channel=channel, kind=kind, urgency=urgency, category=category[:60], content=content,
        caller=caller, caller_name=(caller_name or (caller.display_name if caller else ""))[:30],
        caller_mobile=mobile, caller_mobile_index=mobile_index(mobile) if mobile else "", wants_reply=wants_reply,
        town=town, address=(address or "")[:200], latitude=latitude, longitude=longitude,
        created_by=user if user is not None and user.is_authenticated else None, created_at=now,
        due_at=due_at, time_limit_rule=rule)
    photo_ids = list(photo_ids or [])
    if len(photo_ids) > MAX_PHOTOS:
        raise InvalidInput("photos", f"照片：最多 {MAX_PHOTOS} 张")
    owned = owned_file_ids(user, photo_ids)
    if set(photo_ids) - owned or StoredFile.objects.filter(pk__in=photo_ids).exclude(
            content_type__startswith="image/").exists():
        raise InvalidInput("photos", "照片：只能附上本人上传的 JPG 或 PNG 照片")
    TicketPhoto.objects.bulk_create([TicketPhoto(ticket=ticket, file_id=i) for i in photo_ids])
    _event(ticket, "received", f"{Ticket.Channel(channel).label}受理：{Ticket.Kind(kind).label}，"
                               f"{Ticket.Urgency(urgency).label}")
    audit_record(action="ticket.intake", object_type="hotline.ticket", object_id=ticket.number, actor=user,
                 principal=caller, subject=caller, after={"kind": kind, "urgency": urgency, "channel": channel})
    if kind == Ticket.Kind.SERVICE_FAILURE:
        ticket = _to(ticket, S.TO_SUPERVISOR, actor=user, kind="to_supervisor",
                     message="办不成事：转效能监督员督办，由监督员交办责任单位")
        supervisors = _supervisors()
        transaction.on_commit(lambda: notify(supervisors, subject="办不成事工单待交办",
                                             body=f"{ticket.number}：{ticket.content[:60]}",
                                             link=f"/hotline/{ticket.pk}/"))
    return ticket


@transaction.atomic
def ticket_merge(*, user, ticket: Ticket, into: Ticket) -> Ticket:
    """并单: a duplicate about the same matter joins the earlier ticket and is answered with it."""
    require_permission(user, "hotline.dispatch")
    if into.pk == ticket.pk or into.merged_into_id:
        raise InvalidInput("into", "并入工单：不能并入自身或已并单的工单")
    if into.status in (S.CLOSED, S.MERGED):
        raise Conflict("并入工单已办结，请新建工单")
    ticket = _to(ticket, S.MERGED, actor=user, kind="merged", message=f"与 {into.number} 为同一事项，并单办理")
    Ticket.objects.filter(pk=ticket.pk).update(merged_into=into)
    _event(into, "merged_in", f"并入重复工单 {ticket.number}", actor=user)
    return ticket


# --- dispatch ---------------------------------------------------------------------------------------------------

def _send(*, user, ticket: Ticket, kind: str, verb: str, department_code: str, co_department_codes=(),
          service_point_code: str = "", suggestions=(), note: str = "") -> Ticket:
    """Send the ticket to its lead department (plus co-handlers and the town's service centre), whoever sends it.
    The permission is the kind's (SENDER_PERMISSION). ``suggestions`` are what the classifier proposed; the
    decision is kept as training data."""
    permission = SENDER_PERMISSION.get(ticket.kind, "hotline.dispatch")
    if permission == "hotline.supervise":
        require_permission(user, permission, message="办不成事工单由效能监督员交办")
    else:
        require_permission(user, permission, message="只有 12345 话务员可以分拨工单")
    department = Department.objects.filter(code=department_code).first()
    if department is None:
        raise InvalidInput("department_code", "主办单位：不存在")
    co = list(Department.objects.filter(code__in=[c for c in co_department_codes if c != department_code]))
    point = None
    if service_point_code:
        point = ServicePoint.objects.filter(code=service_point_code).first()
        if point is None:
            raise InvalidInput("service_point_code", "属地便民服务中心：不存在")
    ticket = _to(ticket, S.DISPATCHED, actor=user, kind=kind,
                 message=f"{verb}至{department.name}" + (f"，协办：{'、'.join(d.name for d in co)}" if co else "")
                         + (f"，属地：{point.name}" if point else "") + (f"。{note}" if note else ""))
    Ticket.objects.filter(pk=ticket.pk).update(lead_department=department, service_point=point,
                                               dispatched_at=timezone.now())
    ticket.co_departments.set(co)
    # Each dispatch starts the co-handlers' parts afresh (their earlier opinions stay on the timeline).
    CoHandling.objects.filter(ticket=ticket).delete()
    CoHandling.objects.bulk_create([CoHandling(ticket=ticket, department=d) for d in co])
    top = suggestions[0][0] if suggestions else None
    DispatchDecision.objects.create(ticket=ticket, text=ticket.content, suggested=[list(s) for s in suggestions],
                                    department=department, accepted_suggestion=top == department.code,
                                    decided_by=user)
    return Ticket.objects.get(pk=ticket.pk)


@transaction.atomic
def ticket_dispatch(*, user, ticket: Ticket, department_code: str, co_department_codes=(),
                    service_point_code: str = "", suggestions=(), note: str = "") -> Ticket:
    """分拨 by an operator to a lead department (plus co-handlers and the town's service centre)."""
    if ticket.kind in SENDER_PERMISSION:
        require_permission(user, "hotline.dispatch", message="只有 12345 话务员可以分拨工单")
        raise Conflict("办不成事工单由效能监督员交办，话务员无需分拨")
    ticket = _send(user=user, ticket=ticket, kind="dispatched", verb="分拨", department_code=department_code,
                   co_department_codes=co_department_codes, service_point_code=service_point_code,
                   suggestions=suggestions, note=note.strip())
    co = list(ticket.co_departments.all())
    people = _handlers(ticket.lead_department) + [h for d in co for h in _handlers(d)]
    transaction.on_commit(lambda: notify(people, subject="新的 12345 工单",
                                         body=f"{ticket.number}：{ticket.content[:60]}", link=f"/hotline/{ticket.pk}/"))
    return ticket


@transaction.atomic
def ticket_assign(*, user, ticket: Ticket, department_code: str, note: str, co_department_codes=(),
                  service_point_code: str = "", suggestions=()) -> Ticket:
    """交办: a supervisor sends a 办不成事 to the department responsible, as lead handler (with co-handlers), with
    the supervisor's 督办 attached; its leaders hear of it at once. From here it follows the normal loop."""
    require_permission(user, "hotline.supervise", message="只有效能监督员可以交办办不成事工单")
    if ticket.kind != Ticket.Kind.SERVICE_FAILURE:
        raise Conflict("只有办不成事工单由效能监督员交办；其他工单由话务员分拨")
    note = (note or "").strip()
    if len(note) < 4:
        raise InvalidInput("note", "督办意见：必填，写明办不成的原因和办理要求")
    ticket = _send(user=user, ticket=ticket, kind="assigned", verb="效能监督员交办", department_code=department_code,
                   co_department_codes=co_department_codes, service_point_code=service_point_code,
                   suggestions=suggestions)
    _event(ticket, "supervised", f"督办（已告知部门负责人）：{note}", actor=user)
    audit_record(action="ticket.supervise", object_type="hotline.ticket", object_id=ticket.number, actor=user,
                 reason=note, after={"escalate": True, "assigned": ticket.lead_department.code})
    co = list(ticket.co_departments.all())
    lead = ticket.lead_department
    people = _handlers(lead) + _leaders(lead) + [h for d in co for h in _handlers(d)]
    transaction.on_commit(lambda: notify(people, subject="办不成事工单交办督办",
                                         body=f"{ticket.number}：{note}", link=f"/hotline/{ticket.pk}/"))
    return ticket


def _require_handler(user, ticket: Ticket, permission="hotline.handle") -> Ticket:
    """The ticket as it is now (the caller's copy may predate a dispatch), if the user's department leads it."""
    ticket = Ticket.objects.select_related("lead_department").get(pk=ticket.pk)
    if ticket.lead_department is None or not has_permission(user, permission, ticket.lead_department):
        raise NotAllowed("只有主办单位的工作人员可以办理此工单")
    return ticket


@transaction.atomic
def ticket_return(*, user, ticket: Ticket, reason: str) -> Ticket:
    """退单: the department says it is not theirs, within 2 working days of dispatch, with a reason."""
    ticket = _require_handler(user, ticket)
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise InvalidInput("reason", "退单理由：必填，写明不属于本单位职责的依据")
    dispatched_on = timezone.localtime(ticket.dispatched_at).date()
    limit = workdays.add_working_days(dispatched_on, RETURN_WINDOW_WORKING_DAYS)
    if timezone.localdate() > limit:
        raise Conflict(f"已超过退单时限（分拨后 {RETURN_WINDOW_WORKING_DAYS} 个工作日，至 {limit}），请先办理或申请协调")
    ticket = _to(ticket, S.RETURNED, actor=user, kind="returned", reason=reason,
                 message=f"{ticket.lead_department.name}退单：{reason}")
    DispatchDecision.objects.filter(ticket=ticket).update(returned=True)
    if ticket.kind in SENDER_PERMISSION:  # a 办不成事 goes back to the supervisors, who assign it again
        senders, subject = _supervisors(), "办不成事工单退单，请重新交办"
    else:
        senders = list(User.objects.filter(is_active=True, role_grants__role=Role.HOTLINE_OPERATOR).distinct())
        subject = "工单退单，请重新分拨"
    transaction.on_commit(lambda: notify(senders, subject=subject, body=f"{ticket.number}：{reason}",
                                         link=f"/hotline/{ticket.pk}/"))
    return ticket


@transaction.atomic
def ticket_accept(*, user, ticket: Ticket) -> Ticket:
    ticket = _require_handler(user, ticket)
    return _to(ticket, S.IN_PROGRESS, actor=user, kind="in_progress", message=f"{ticket.lead_department.name}开始办理")


@transaction.atomic
def ticket_extend(*, user, ticket: Ticket, working_days: int, reason: str) -> Ticket:
    """One extension, up to the working days data/hotline/time_limits.yaml allows, approved by the department
    leader."""
    ticket = _require_handler(user, ticket, "hotline.extend")
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if locked.extended:
        raise Conflict("该工单已延期过一次")
    most = time_limits.current().max_extension_days
    if not 1 <= int(working_days) <= most:
        raise InvalidInput("working_days", f"延期天数：应在 1 到 {most} 个工作日之间")
    if len((reason or "").strip()) < 4:
        raise InvalidInput("reason", "延期理由：必填")
    base = timezone.localtime(locked.due_at).date()
    due = timezone.make_aware(datetime.combine(workdays.add_working_days(base, int(working_days)), time(18, 0)))
    Ticket.objects.filter(pk=locked.pk).update(due_at=due, extended=True, alert_level="")
    _event(locked, "extended", f"经{locked.lead_department.name}负责人批准延期 {working_days} 个工作日：{reason.strip()}",
           actor=user)
    audit_record(action="ticket.extend", object_type="hotline.ticket", object_id=locked.number, actor=user,
                 reason=reason, after={"due_at": due})
    return Ticket.objects.get(pk=locked.pk)


@transaction.atomic
def ticket_supervise(*, user, ticket: Ticket, note: str, escalate: bool = False) -> Ticket:
    """督办: a supervisor presses the department, optionally escalating to its leaders."""
    require_permission(user, "hotline.supervise", message="只有效能监督员可以督办")
    if ticket.status in (S.CLOSED, S.MERGED):
        raise Conflict("工单已办结，无需督办")
    note = (note or "").strip()
    if len(note) < 4:
        raise InvalidInput("note", "督办意见：必填")
    _event(ticket, "supervised", f"督办{'（已升级至部门负责人）' if escalate else ''}：{note}", actor=user)
    audit_record(action="ticket.supervise", object_type="hotline.ticket", object_id=ticket.number, actor=user,
                 reason=note, after={"escalate": escalate})
    department = ticket.lead_department
    people = (_handlers(department) if department else []) + (_leaders(department) if escalate and department else [])
    transaction.on_commit(lambda: notify(people, subject="工单督办", body=f"{ticket.number}：{note}",
                                         link=f"/hotline/{ticket.pk}/"))
    return ticket


@transaction.atomic
def ticket_reply(*, user, ticket: Ticket, reply: str) -> Ticket:
    """答复: the department's answer; the caller is told and asked to rate."""
    ticket = _require_handler(user, ticket)
    reply = (reply or "").strip()
    if len(reply) < 10:
        raise InvalidInput("reply", "答复内容：至少 10 个字，写明办理结果和依据")
    Ticket.objects.select_for_update().get(pk=ticket.pk)  # serialise with a co-handler finishing their part
    pending = [c.department.name for c in pending_co_handlings(ticket)]
    if pending:
        raise Conflict(f"协办单位尚未完成协办：{'、'.join(pending)}。请等其提交协办意见，或请效能监督员免于协办后再答复")
    ticket = _to(ticket, S.REPLIED, actor=user, kind="replied", message=f"{ticket.lead_department.name}答复：{reply}")
    Ticket.objects.filter(pk=ticket.pk).update(reply=reply, replied_at=timezone.now())
    for merged in ticket.merged_tickets.all():
        _event(merged, "replied", f"随 {ticket.number} 一并答复：{reply}", actor=user)
    users = _caller_users(ticket)
    transaction.on_commit(lambda: notify(users, subject="您的 12345 诉求已答复",
                                         body=f"{ticket.number}：{reply[:100]}。请对办理结果进行评价。",
                                         link=f"/hotline/mine/{ticket.number}/"))
    if not users and ticket.wants_reply and ticket.caller_mobile:
        # A caller without an account hears by SMS; the operator's call-back collects the rating.
        notify_mobile(ticket.caller_mobile, subject="12345 诉求答复",
                      body=f"您反映的问题（{ticket.number}）已答复：{reply[:100]}。我们将电话回访，请对办理结果评价。")
    return ticket


# --- co-handling (协办) ----------------------------------------------------------------------------------------------

_PART_DONE = {CoHandling.Status.DONE: "已完成", CoHandling.Status.WAIVED: "已由效能监督员免于协办"}


def pending_co_handlings(ticket: Ticket) -> list[CoHandling]:
    return list(CoHandling.objects.filter(ticket=ticket, status=CoHandling.Status.PENDING)
                .select_related("department"))


@transaction.atomic
def ticket_co_contribute(*, user, ticket: Ticket, opinion: str, done: bool = False) -> CoHandling:
    """A co-handling department adds its handling opinion (what it checked, found or did) to the timeline the lead
    department and the supervisors read; with ``done`` its part is finished and the lead may reply."""
    departments = departments_with(user, "hotline.handle")
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    part = (CoHandling.objects.select_for_update(of=("self",)).select_related("department")
            .filter(ticket=locked, department_id__in=departments).order_by("pk").first())
    if part is None:
        raise NotAllowed("只有该工单协办单位的工作人员可以提交协办意见")
    if locked.status not in (S.DISPATCHED, S.IN_PROGRESS):
        raise Conflict(f"工单当前为“{locked.get_status_display()}”，不能再提交协办意见")
    if part.status != CoHandling.Status.PENDING:
        raise Conflict(f"{part.department.name}的协办部分{_PART_DONE[part.status]}，无需再提交")
    opinion = (opinion or "").strip()
    if len(opinion) < 4:
        raise InvalidInput("opinion", "协办意见：必填，写明本单位核查或办理的情况")
    if len(opinion) > 2000:
        raise InvalidInput("opinion", "协办意见：不能超过 2000 个字")
    changes = {"opinion": opinion}
    if done:
        changes |= {"status": CoHandling.Status.DONE, "done_by": user, "done_at": timezone.now()}
    CoHandling.objects.filter(pk=part.pk).update(**changes)
    words = "完成协办" if done else "协办意见"
    _event(locked, "co_done" if done else "co_opinion", f"{part.department.name}（协办）{words}：{opinion}",
           actor=user, internal=True)
    audit_record(action="ticket.co_handle", object_type="hotline.ticket", object_id=locked.number, actor=user,
                 after={"department": part.department.code, "done": done, "length": len(opinion)})
    lead = locked.lead_department
    people = _handlers(lead) if lead else []
    transaction.on_commit(lambda: notify(people, subject=f"协办单位{words}",
                                         body=f"{locked.number}：{part.department.name}{words}",
                                         link=f"/hotline/{locked.pk}/"))
    return CoHandling.objects.get(pk=part.pk)


@transaction.atomic
def ticket_co_waive(*, user, ticket: Ticket, co_handling: CoHandling, reason: str) -> CoHandling:
    """A supervisor lets the lead department reply without a co-handler's part (it cannot or need not act)."""
    require_permission(user, "hotline.supervise", message="只有效能监督员可以免于协办")
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    part = CoHandling.objects.select_for_update(of=("self",)).select_related("department").filter(
        pk=co_handling.pk, ticket=locked).first()
    if part is None:
        raise InvalidInput("co_handling", "协办单位：不是该工单的协办单位")
    if part.status != CoHandling.Status.PENDING:
        raise Conflict(f"{part.department.name}的协办部分{_PART_DONE[part.status]}")
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise InvalidInput("reason", "免于协办理由：必填")
    CoHandling.objects.filter(pk=part.pk).update(status=CoHandling.Status.WAIVED, waive_reason=reason[:300],
                                                 done_by=user, done_at=timezone.now())
    _event(locked, "co_waived", f"效能监督员决定{part.department.name}免于协办：{reason}", actor=user, internal=True)
    audit_record(action="ticket.co_waive", object_type="hotline.ticket", object_id=locked.number, actor=user,
                 reason=reason, after={"department": part.department.code})
    people = (_handlers(locked.lead_department) if locked.lead_department else []) + _handlers(part.department)
    transaction.on_commit(lambda: notify(people, subject="免于协办",
                                         body=f"{locked.number}：{part.department.name}免于协办。{reason}",
                                         link=f"/hotline/{locked.pk}/"))
    return CoHandling.objects.get(pk=part.pk)


@transaction.atomic
def ticket_rate(*, user, ticket: Ticket, level: int, comment: str = "") -> Ticket:
    """回访/评价: the caller (or the operator recording a call-back) rates the reply. Satisfied closes;
    dissatisfied sends it to a supervisor."""
    own = ticket.caller is not None and getattr(ticket.caller.as_concrete(), "user_id", None) == user.pk
    if not own:
        require_permission(user, "hotline.intake", message="只有诉求人或回访话务员可以评价")
    if level not in (1, 2, 3, 4, 5):
        raise InvalidInput("level", "评价：请选择 非常满意、满意、基本满意、不满意 或 非常不满意")
    comment = (comment or "").strip()[:1000]
    if level <= 2 and len(comment) < 2:
        raise InvalidInput("comment", "评价说明：不满意时请说明原因")
    labels = RATING_LABELS
    TicketRating.objects.create(ticket=ticket, level=level, comment=comment, recorded_by=user)
    if level in SATISFIED_LEVELS:
        ticket = _to(ticket, S.CLOSED, actor=user, kind="closed", message=f"回访评价：{labels[level]}，办结")
        Ticket.objects.filter(pk=ticket.pk).update(closed_at=timezone.now(), close_reason="诉求人满意")
        return ticket
    ticket = _to(ticket, S.REOPEN_REQUESTED, actor=user, kind="reopen_requested",
                 message=f"回访评价：{labels[level]}。{comment}")
    supervisors = _supervisors()
    transaction.on_commit(lambda: notify(supervisors, subject="工单不满意待复核", body=f"{ticket.number}：{comment}",
                                         link=f"/hotline/{ticket.pk}/"))
    return ticket


@transaction.atomic
def ticket_review(*, user, ticket: Ticket, reopen: bool, reason: str) -> Ticket:
    """After a bad rating the supervisor either reopens the ticket for handling again (差评重办) or closes it."""
    require_permission(user, "hotline.supervise", message="只有效能监督员可以复核不满意工单")
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise InvalidInput("reason", "复核意见：必填")
    if reopen:
        ticket = _to(ticket, S.IN_PROGRESS, actor=user, kind="reopened", reason=reason,
                     message=f"差评重办：{reason}")
        now = timezone.now()
        due_at, rule = time_limit(ticket.kind, ticket.urgency, now)
        Ticket.objects.filter(pk=ticket.pk).update(reopen_count=ticket.reopen_count + 1, due_at=due_at,
                                                   time_limit_rule=rule, alert_level="")
        reopened_parts = _co_handlings_reopen(ticket, user=user, reason=reason)
        co_people = [h for part in reopened_parts for h in _handlers(part.department)]
        transaction.on_commit(lambda: notify(_handlers(ticket.lead_department) + _leaders(ticket.lead_department)
                                             + co_people, subject="差评重办", body=f"{ticket.number}：{reason}",
                                             link=f"/hotline/{ticket.pk}/"))
        return ticket
    ticket = _to(ticket, S.CLOSED, actor=user, kind="closed", reason=reason, message=f"复核后办结：{reason}")
    Ticket.objects.filter(pk=ticket.pk).update(closed_at=timezone.now(), close_reason=reason[:300])
    return ticket


def _co_handlings_reopen(ticket: Ticket, *, user, reason: str) -> list[CoHandling]:
    """差评重办 sends the co-handlers back to work too: a part done or waived before is pending again, so the lead
    department cannot reply before each is done again (or waived again). What was done before stays on the
    timeline (its co_done / co_waived events); this appends why the part was reopened."""
    parts = list(CoHandling.objects.select_for_update(of=("self",)).select_related("department")
                 .filter(ticket=ticket).exclude(status=CoHandling.Status.PENDING))
    for part in parts:
        _event(ticket, "co_reopened", f"差评重办：{part.department.name}的协办部分（原为“{part.get_status_display()}”）"
                                      f"重新开启，请重新协办：{reason}", actor=user, internal=True)
        audit_record(action="ticket.co_reopen", object_type="hotline.ticket", object_id=ticket.number, actor=user,
                     reason=reason, before={"department": part.department.code, "status": part.status},
                     after={"department": part.department.code, "status": CoHandling.Status.PENDING})
    CoHandling.objects.filter(pk__in=[p.pk for p in parts]).update(status=CoHandling.Status.PENDING, done_by=None,
                                                                   done_at=None, waive_reason="")
    return parts


# --- rating appeals (评价申诉) ----------------------------------------------------------------------------------------

def appealable_ratings(ticket: Ticket) -> list[TicketRating]:
    """Dissatisfied ratings of the ticket not yet appealed (each rating can be appealed once)."""
    return list(ticket.ratings.filter(level__lte=2, appealed_at__isnull=True).order_by("-rated_at", "-pk"))


def pending_appeals(ticket: Ticket) -> list[TicketRating]:
    return list(ticket.ratings.filter(appealed_at__isnull=False, appeal_decision="").order_by("rated_at", "pk"))


@transaction.atomic
def ticket_rating_appeal(*, user, rating: TicketRating, reason: str) -> TicketRating:
    """The lead department's leader appeals a review it believes abusive (insults, unrelated to the matter);
    a supervisor decides."""
    locked = (TicketRating.objects.select_for_update(of=("self",)).select_related("ticket__lead_department")
              .get(pk=rating.pk))
    ticket, department = locked.ticket, locked.ticket.lead_department
    if department is None or not has_permission(user, LEADER_PERMISSION, department):
        raise NotAllowed("只有主办单位负责人可以申诉评价")
    if locked.level > 2:
        raise Conflict("只能对“不满意”或“非常不满意”的评价提出申诉")
    if locked.appealed_at is not None:
        raise Conflict("该评价已申诉过")
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise InvalidInput("reason", "申诉理由：至少 10 个字，写明评价不实或含辱骂等情形及证据")
    TicketRating.objects.filter(pk=locked.pk).update(appeal_reason=reason[:2000], appealed_by=user,
                                                     appealed_at=timezone.now())
    _event(ticket, "rating_appealed", f"{department.name}对{timezone.localtime(locked.rated_at):%m-%d %H:%M}的"
                                      f"“{locked.label}”评价提出申诉：{reason}", actor=user, internal=True)
    audit_record(action="ticket.rating_appeal", object_type="hotline.ticket", object_id=ticket.number, actor=user,
                 principal=ticket.caller, subject=ticket.caller, reason=reason, after={"rating": locked.pk})
    supervisors = _supervisors()
    transaction.on_commit(lambda: notify(supervisors, subject="评价申诉待复核",
                                         body=f"{ticket.number}：{department.name}申诉“{locked.label}”评价",
                                         link=f"/hotline/{ticket.pk}/#appeal-decide"))
    return TicketRating.objects.get(pk=locked.pk)


@transaction.atomic
def ticket_rating_appeal_decide(*, user, rating: TicketRating, exclude: bool, reason: str) -> TicketRating:
    """A supervisor decides an appeal. An excluded review stays on record but no longer counts in the department's
    satisfaction, and a reopen request it caused (the ticket still waits for review because of it) is closed with
    the supervisor's reason. An upheld review changes nothing."""
    require_permission(user, "hotline.supervise", message="只有效能监督员可以复核评价申诉")
    locked = TicketRating.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=rating.pk)
    if locked.appealed_at is None or locked.appeal_decision:
        raise Conflict("该评价没有待复核的申诉")
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise InvalidInput("reason", "复核意见：必填")
    decision = TicketRating.AppealDecision.EXCLUDED if exclude else TicketRating.AppealDecision.UPHELD
    TicketRating.objects.filter(pk=locked.pk).update(appeal_decision=decision, appeal_decision_reason=reason[:2000],
                                                     decided_by=user, decided_at=timezone.now())
    ticket = locked.ticket
    _event(ticket, "rating_appeal_decided",
           f"评价申诉{'成立，该评价不计入满意度' if exclude else '不成立，评价有效'}：{reason}", actor=user, internal=True)
    audit_record(action="ticket.rating_appeal_decide", object_type="hotline.ticket", object_id=ticket.number,
                 actor=user, principal=ticket.caller, subject=ticket.caller, reason=reason,
                 after={"rating": locked.pk, "excluded": exclude})
    current = Ticket.objects.select_for_update().get(pk=ticket.pk)
    latest = current.ratings.order_by("-rated_at", "-pk").first()
    if exclude and current.status == S.REOPEN_REQUESTED and latest is not None and latest.pk == locked.pk:
        # The caller sees that the ticket closed after review; the reason about their review stays internal.
        _to(current, S.CLOSED, actor=user, kind="closed", reason=reason, message="经效能监督员复核，工单办结")
        Ticket.objects.filter(pk=current.pk).update(closed_at=timezone.now(),
                                                   close_reason=f"评价经申诉不计入：{reason}"[:300])
    lead = current.lead_department
    people = list({u.pk: u for u in (_leaders(lead) if lead else []) + ([locked.appealed_by]
                                                                       if locked.appealed_by else [])}.values())
    transaction.on_commit(lambda: notify(people, subject="评价申诉复核结果",
                                         body=f"{ticket.number}：{decision.label}。{reason}",
                                         link=f"/hotline/{ticket.pk}/"))
    return TicketRating.objects.get(pk=locked.pk)


# --- the caller's number (audited reveal) -------------------------------------------------------------------------

def may_reveal_caller(user, ticket: Ticket) -> bool:
    """Operators (they call back for the rating) and the staff of the departments handling the ticket (they call
    the caller about the matter) may see the full number, each time with a purpose."""
    if has_permission(user, "hotline.intake"):
        return True
    departments = departments_with(user, "hotline.handle")
    if ticket.lead_department_id in departments:
        return True
    return bool(departments) and ticket.co_departments.filter(pk__in=departments).exists()


def ticket_caller_reveal(*, user, ticket: Ticket, purpose: str) -> str:
    """The caller's full mobile number for a stated purpose; the read is audited like any reveal of personal data
    (audit_read, the caller as subject when registered). The number on the ticket is the one the caller gave for
    this matter; a registered caller who gave none is reached on their account's number."""
    ticket = Ticket.objects.select_related("caller").get(pk=ticket.pk)
    if not may_reveal_caller(user, ticket):
        raise NotAllowed("只有话务员和承办单位的工作人员可以查看诉求人的完整号码")
    purpose = (purpose or "").strip()
    if len(purpose) < 4:
        raise InvalidInput("purpose", "查看事由：必填，至少 4 个字（如“电话回访办理结果”）")
    mobile = ticket.caller_mobile
    if not mobile and ticket.caller is not None:
        mobile = getattr(ticket.caller.as_concrete(), "mobile", "") or ""
    if not mobile:
        raise Conflict("该工单没有留联系电话")
    with transaction.atomic():
        audit_read(actor=user, subject=ticket.caller, principal=ticket.caller, fields=["mobile"],
                   purpose=purpose[:500], object_type="hotline.ticket", object_id=ticket.number)
    return mobile


@transaction.atomic
def ticket_close_at_intake(*, user, ticket: Ticket, answer: str) -> Ticket:
    """A consultation the operator answers on the phone is closed at once (即问即答)."""
    require_permission(user, "hotline.intake")
    if len((answer or "").strip()) < 4:
        raise InvalidInput("answer", "答复内容：必填")
    ticket = _to(ticket, S.CLOSED, actor=user, kind="answered", message=f"话务员当场答复：{answer.strip()}")
    Ticket.objects.filter(pk=ticket.pk).update(reply=answer.strip(), replied_at=timezone.now(),
                                               closed_at=timezone.now(), close_reason="当场答复")
    return ticket


def ticket_deadline_sweep(now=None) -> int:
    """Flag open tickets near (yellow: 2 hours or less) or past (red) their limit; tell the supervisors once."""
    now = now or timezone.now()
    changed = 0
    supervisors = _supervisors()
    open_statuses = [S.DISPATCHED, S.IN_PROGRESS, S.RETURNED, S.RECEIVED, S.TO_SUPERVISOR]
    for ticket in Ticket.objects.filter(status__in=open_statuses, due_at__isnull=False):
        level = "red" if now > ticket.due_at else ("yellow" if ticket.due_at - now <= timedelta(hours=2) else "")
        if level == ticket.alert_level:
            continue
        with transaction.atomic():
            Ticket.objects.filter(pk=ticket.pk).update(alert_level=level)
            if level:
                words = "即将超时" if level == "yellow" else "已超时"
                _event(ticket, f"alert_{level}", f"工单{words}（时限 {timezone.localtime(ticket.due_at):%m-%d %H:%M}）",
                       internal=True)
                department = ticket.lead_department
                notify((_handlers(department) if department else []) + (supervisors if level == "red" else []),
                       subject=f"12345 工单{words}", body=f"{ticket.number}：{ticket.content[:60]}",
                       link=f"/hotline/{ticket.pk}/", dedupe_key=f"ticket:{ticket.pk}:{ticket.reopen_count}:{level}")
        changed += 1
    return changed
