"""Writes of the hall: taking a number, calling, serving, transferring, 过号, 绿色通道, 帮办代办, and rating a
window service (好差评, through cases.Rating and the cases' rectification machinery).

One transition table (TICKET_TRANSITIONS), enforced in `_to`: lock the row, check the move, append the timeline
event and the audit record. Notifications (site message, or SMS to a walk-in's mobile) go out on commit.
Window staff act only at their own service point: window clerks at every window of it, 帮办代办员 at its
帮办代办 window and on its help requests.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from yijianshi.accounts.identity import IdentityError, parse_id_number, parse_mobile
from yijianshi.accounts.models import User
from yijianshi.accounts.permissions import NotAllowed
from yijianshi.accounts.services import InvalidInput, mobile_index
from yijianshi.audit.services import audit_record
from yijianshi.cases.models import Case, Rating
from yijianshi.cases.services import Conflict, rectification_open
from yijianshi.db import lock_or_create
from yijianshi.hall import domain
from yijianshi.hall.models import Category, NumberCounter, QueueTicket, TicketEvent, Window, WindowService
from yijianshi.hall.selectors import points_with, position, queue_for
from yijianshi.notifications.services import notify, notify_mobile

S = QueueTicket.Status
P = QueueTicket.Priority
# The life of a queue ticket.
TICKET_TRANSITIONS: dict[str, set[str]] = {
    S.WAITING: {S.CALLED, S.CANCELLED},        # a window calls it; the resident gives up
    S.CALLED: {S.SERVING, S.CALLED, S.SKIPPED, S.CANCELLED},  # the resident comes to the window; absent: called
                                               # once more (CALLED again), then 过号; or the resident gives up
    S.SERVING: {S.DONE, S.WAITING},            # 办结; or 转办 back into a queue, keeping its original place
    S.DONE: set(),
    S.SKIPPED: set(),
    S.CANCELLED: set(),
}
ACTIVE = (S.WAITING, S.CALLED, S.SERVING)
_VERBS = {S.CALLED: "叫号", S.SERVING: "开始办理", S.DONE: "办结", S.WAITING: "转办", S.SKIPPED: "过号",
          S.CANCELLED: "取消"}
MAX_ACTIVE_PER_PERSON = 3  # numbers one account or one mobile may hold at a service point at the same time
TOKEN_SALT = "yijianshi.hall.ticket"


# --- helpers ----------------------------------------------------------------------------------------------------

def _today():
    return timezone.localdate()


def _person(ticket: QueueTicket):
    return getattr(ticket.user, "person", None) if ticket.user_id else None


def _event(ticket, kind, message, *, actor=None, internal=False):
    TicketEvent.objects.create(ticket=ticket, kind=kind, message=message, internal=internal,
                               actor=actor if actor is not None and actor.is_authenticated else None)


def _audit(action, ticket, actor, *, reason="", before=None, after=None):
    person = _person(ticket)
    audit_record(action=f"hall.{action}", object_type="hall.ticket",
                 object_id=f"{ticket.day:%Y%m%d}-{ticket.service_point_id}-{ticket.number}", actor=actor,
                 principal=person, subject=person, reason=reason, before=before, after=after)


def _to(ticket: QueueTicket, target: str, *, actor, kind: str, message: str, reason: str = "") -> QueueTicket:
    locked = QueueTicket.objects.select_for_update().get(pk=ticket.pk)
    if target not in TICKET_TRANSITIONS[locked.status]:
        raise Conflict(f"号码 {locked.number} 当前为“{locked.get_status_display()}”，不能{_VERBS[target]}")
    before = locked.status
    locked.status = target
    locked.save(update_fields=["status"])
    _event(locked, kind, message, actor=actor)
    _audit(kind, locked, actor, reason=reason, before={"status": before}, after={"status": target})
    return locked


def ticket_token(ticket: QueueTicket) -> str:
    """The secret printed on the ticket (QR code) that lets its holder follow, cancel and rate it without an
    account. Derived, not stored: the window's rating pad and the resident's own page can always rebuild it."""
    mac = salted_hmac(TOKEN_SALT, f"{ticket.pk}:{ticket.service_point_id}:{ticket.day}:{ticket.number}",
                      algorithm="sha256").hexdigest()[:24]
    return f"{ticket.pk}-{mac}"


def ticket_by_token(token: str) -> QueueTicket | None:
    pk, _, mac = (token or "").partition("-")
    if not pk.isdigit() or len(mac) != 24:
        return None
    ticket = QueueTicket.objects.select_related("service_point", "category", "window").filter(pk=int(pk)).first()
    if ticket is None or not constant_time_compare(ticket_token(ticket), token):
        return None
    return ticket


def ticket_url(ticket: QueueTicket, *, absolute=False) -> str:
    path = f"/hall/tickets/{ticket_token(ticket)}/"
    return settings.PUBLIC_BASE_URL.rstrip("/") + path if absolute else path


def rating_url(ticket: QueueTicket, *, absolute=False) -> str:
    path = f"/hall/rate/{ticket_token(ticket)}/"
    return settings.PUBLIC_BASE_URL.rstrip("/") + path if absolute else path


def _tell(ticket: QueueTicket, *, subject: str, body: str, link: str, dedupe_key: str = "") -> None:
    """The resident hears about their number: a site message (and SMS) to an account, or an SMS to the mobile a
    walk-in left. Queued on commit, so a rolled-back change says nothing."""
    def send():
        if ticket.user_id:
            notify([ticket.user], subject=subject, body=body, link=link, dedupe_key=dedupe_key)
        elif ticket.mobile:
            notify_mobile(ticket.mobile, subject=subject, body=f"{body} {settings.PUBLIC_BASE_URL.rstrip('/')}{link}",
                          dedupe_key=dedupe_key)

    transaction.on_commit(send)


def _staff_name(user) -> str:
    return user.first_name or user.username


def _require_window(user, window: Window) -> None:
    """Clerks operate every window of their service point; 帮办代办员 only its 帮办代办 window."""
    permissions = ("hall.window", "hall.help") if window.kind == Window.Kind.ASSISTED else ("hall.window",)
    if window.service_point_id not in points_with(user, *permissions):
        raise NotAllowed(f"只有{window.service_point.name}的窗口工作人员可以操作 {window.number} 窗口")


def _require_point_staff(user, ticket: QueueTicket) -> None:
    if ticket.service_point_id not in points_with(user, "hall.window", "hall.help"):
        raise NotAllowed(f"只有{ticket.service_point.name}的工作人员可以办理该号码")


def _open_service(ticket: QueueTicket) -> WindowService | None:
    return WindowService.objects.filter(ticket=ticket, outcome="").order_by("-called_at", "-pk").first()


def _close_service(ticket: QueueTicket, outcome: str, now) -> None:
    WindowService.objects.filter(ticket=ticket, outcome="").update(outcome=outcome, ended_at=now)


def _current(window: Window, ticket_id, *expected: str) -> QueueTicket:
    """The ticket the clerk's page acts on, which must still be this window's (a stale page, or a colleague at the
    same window, meets a Conflict rather than acting on someone else)."""
    ticket = QueueTicket.objects.select_for_update().filter(pk=ticket_id or 0, window=window).first()
    if ticket is None or ticket.status not in expected:
        raise Conflict("该号码已不在本窗口办理，请刷新页面")
    return ticket


def _next_number(point_id: int, prefix: str, day) -> str:
    counter = lock_or_create(NumberCounter, key=f"{point_id}:{prefix}:{day.isoformat()}")
    counter.last += 1
    counter.save(update_fields=["last"])
    return domain.number_text(prefix, counter.last)


# --- taking a number --------------------------------------------------------------------------------------------

@transaction.atomic
def ticket_take(*, service_point, category_code: str, user=None, mobile: str = "", id_number: str = "",
                declared_priority: str = "", needs_help: bool = False,
                channel: str = QueueTicket.Channel.KIOSK) -> QueueTicket:
    """取号 at the kiosk or on a phone, signed in or not. 70+ from the ID number (the signed-in resident's own, or
    one given here, which is not kept) puts the ticket in the green channel; so does a declared pregnancy or
    veteran status. A walk-in may leave a mobile for SMS calls."""
    category = (Category.objects.filter(service_point=service_point, code=category_code or "", active=True,
                                        windows__active=True).distinct().first())
    if category is None:
        raise InvalidInput("category", "业务类别：请选择本网点正在办理的业务")
    if channel not in QueueTicket.Channel.values:
        raise InvalidInput("channel", "取号方式：不支持")
    if declared_priority and declared_priority not in domain.DECLARABLE:
        raise InvalidInput("priority", "绿色通道：可自行选择孕妇或退役军人及优抚对象；残疾人请向工作人员出示残疾人证后登记")
    user = user if user is not None and user.is_authenticated else None
    person = getattr(user, "person", None) if user else None
    if mobile:
        try:
            mobile = parse_mobile(mobile, field="mobile")
        except IdentityError as exc:
            raise InvalidInput("mobile", exc.message.replace("手机号码", "短信提醒手机号", 1)) from None
    elif person is None and channel == QueueTicket.Channel.ONLINE:
        raise InvalidInput("mobile", "短信提醒手机号：手机取号未登录时必填，用于叫号提醒")
    today = _today()
    birth = None
    if id_number:
        try:
            birth = parse_id_number(id_number, field="id_number", today=today).birth_date
        except IdentityError as exc:
            raise InvalidInput("id_number", exc.message) from None
    elif person is not None and person.id_number:
        try:
            birth = parse_id_number(person.id_number, today=today).birth_date
        except IdentityError:
            birth = None
    index = mobile_index(mobile) if mobile else ""
    who = (Q(user=user) if user else Q()) | (Q(mobile_index=index) if index else Q())
    held = QueueTicket.objects.filter(who, service_point=service_point, day=today, status__in=ACTIVE).count() if (
        user or index) else 0
    if held >= MAX_ACTIVE_PER_PERSON:
        raise Conflict(f"您在{service_point.name}已有 {held} 个号码在排队，请办完或取消后再取号")
    priority = P.AGED if domain.is_aged(birth, today) else (declared_priority or "")
    help_pending = bool(needs_help) and Window.objects.filter(service_point=service_point, active=True,
                                                              kind=Window.Kind.ASSISTED).exists()
    now = timezone.now()
    ticket = QueueTicket.objects.create(
        service_point=service_point, day=today, number=_next_number(service_point.pk, category.prefix, today),
        category=category, channel=channel, priority=priority, priority_rank=0 if priority else 1,
        needs_help=bool(needs_help), help_pending=help_pending, user=user, mobile=mobile, mobile_index=index,
        taken_at=now, queued_at=now)
    extras = [P(priority).label + "绿色通道"] if priority else []
    extras += ["需要帮办代办"] if needs_help else []
    _event(ticket, "taken", f"取号 {ticket.number}（{category.name}）" + (f"，{'，'.join(extras)}" if extras else ""),
           actor=user)
    where = position(ticket)
    _tell(ticket, subject="取号成功",
          body=f"您已在{service_point.name}取号 {ticket.number}（{category.name}），前面还有 {where['ahead']} 人，"
               f"预计等候约 {where['minutes']} 分钟。",
          link=ticket_url(ticket))
    if needs_help:
        helpers = staff_of(service_point.pk, "hall.help")
        transaction.on_commit(lambda: notify(helpers, subject="新的帮办代办请求",
                                             body=f"{ticket.number}（{category.name}）需要帮办代办，请到帮办代办页面处理。",
                                             link="/hall/help/"))
    # Last: the audit chain's head stays locked until commit, and every kiosk queues behind it.
    _audit("ticket_take", ticket, user, after={"number": ticket.number, "category": category.code,
                                               "priority": priority, "needs_help": bool(needs_help),
                                               "channel": channel, "sms": bool(mobile)})
    return ticket


@transaction.atomic
def ticket_cancel(*, token: str, user=None) -> QueueTicket:
    """The resident gives up the number, with the ticket's token (its page, the QR code, the SMS link)."""
    ticket = ticket_by_token(token)
    if ticket is None:
        raise NotAllowed("号码链接无效")
    user = user if user is not None and user.is_authenticated else None
    ticket = _to(ticket, S.CANCELLED, actor=user, kind="cancelled", message="群众取消号码")
    now = timezone.now()
    QueueTicket.objects.filter(pk=ticket.pk).update(finished_at=now)
    _close_service(ticket, WindowService.Outcome.CANCELLED, now)
    return QueueTicket.objects.get(pk=ticket.pk)


# --- at the window ----------------------------------------------------------------------------------------------

@transaction.atomic
def call_next(*, user, window: Window) -> QueueTicket | None:
    """叫号: the next ticket this window serves (green channel first, then first come), or None when nobody waits.
    Two windows pressing at once never get the same ticket: the row is taken with SKIP LOCKED."""
    # Only the window's row: locking its service point too would queue every window of the hall behind one.
    window = Window.objects.select_for_update(of=("self",)).select_related("service_point").get(pk=window.pk)
    _require_window(user, window)
    if not window.active:
        raise Conflict(f"{window.number} 窗口已停用")
    busy = QueueTicket.objects.filter(window=window, status__in=(S.CALLED, S.SERVING)).first()
    if busy is not None:
        raise Conflict(f"请先办结、转办或过号当前号码 {busy.number}")
    candidate = queue_for(window).select_for_update(skip_locked=True, of=("self",)).first()
    if candidate is None:
        return None
    ticket = _to(candidate, S.CALLED, actor=user, kind="called",
                 message=f"{window.number} 窗口（{_staff_name(user)}）叫号")
    now = timezone.now()
    ticket.window, ticket.target_window, ticket.called_at = window, None, now
    ticket.first_called_at = ticket.first_called_at or now
    ticket.save(update_fields=["window", "target_window", "called_at", "first_called_at"])
    WindowService.objects.create(ticket=ticket, window=window, clerk=user, called_at=now)
    _tell(ticket, subject="叫号提醒", body=f"请 {ticket.number} 号到 {window.number} 窗口（{window.name}）办理。",
          link=ticket_url(ticket))
    return ticket


@transaction.atomic
def ticket_no_show(*, user, window: Window, ticket_id) -> QueueTicket:
    """未到: the first time the number is called once more (it shows again on the screen); after that it is 过号."""
    _require_window(user, window)
    ticket = _current(window, ticket_id, S.CALLED)
    now = timezone.now()
    if ticket.recalls == 0:
        ticket = _to(ticket, S.CALLED, actor=user, kind="recalled", message=f"{window.number} 窗口重呼（未到）")
        ticket.recalls, ticket.called_at = 1, now
        ticket.save(update_fields=["recalls", "called_at"])
        _tell(ticket, subject="重呼提醒", body=f"请 {ticket.number} 号尽快到 {window.number} 窗口办理，再次未到将过号。",
              link=ticket_url(ticket), dedupe_key=f"hall-recall:{ticket.pk}")
        return ticket
    ticket = _to(ticket, S.SKIPPED, actor=user, kind="skipped", message=f"{window.number} 窗口重呼后仍未到，已过号")
    QueueTicket.objects.filter(pk=ticket.pk).update(finished_at=now)
    _close_service(ticket, WindowService.Outcome.NO_SHOW, now)
    _tell(ticket, subject="号码已过号", body=f"您的号码 {ticket.number} 经重呼未到，已过号。如仍需办理，请重新取号。",
          link=ticket_url(ticket))
    return QueueTicket.objects.get(pk=ticket.pk)


@transaction.atomic
def ticket_start(*, user, window: Window, ticket_id) -> QueueTicket:
    """The resident has come to the window: service begins."""
    _require_window(user, window)
    ticket = _current(window, ticket_id, S.CALLED)
    ticket = _to(ticket, S.SERVING, actor=user, kind="serving", message=f"{window.number} 窗口开始办理")
    WindowService.objects.filter(ticket=ticket, outcome="").update(started_at=timezone.now())
    return ticket


def _case_by_number(number: str) -> Case | None:
    number = (number or "").strip().upper()
    if not number:
        return None
    case = Case.objects.filter(number=number).first()
    if case is None:
        raise InvalidInput("case_number", "办件编号：不存在，请核对（如 QJ20261130000001）")
    return case


@transaction.atomic
def ticket_finish(*, user, window: Window, ticket_id, case_number: str = "", help_note: str = "") -> QueueTicket:
    """办结 at the window, optionally naming the case created for the resident here; a 帮办代办 window records what
    was helped with. The resident is then asked to rate the service (good for HALL_RATING_DAYS days)."""
    _require_window(user, window)
    ticket = _current(window, ticket_id, S.SERVING)
    case = _case_by_number(case_number)
    help_note = (help_note or "").strip()[:1000]
    if window.kind == Window.Kind.ASSISTED and len(help_note) < 4:
        raise InvalidInput("help_note", "帮办内容：请写明帮群众办了什么（至少 4 个字），如“指导填写表单并代为网上申报”")
    ticket = _to(ticket, S.DONE, actor=user, kind="done",
                 message=f"{window.number} 窗口办结" + (f"，关联办件 {case.number}" if case else ""))
    now = timezone.now()
    ticket.finished_at = now
    ticket.case = case or ticket.case
    if help_note:
        ticket.help_note = "\n".join(filter(None, [ticket.help_note, help_note]))
        _event(ticket, "helped", f"帮办内容：{help_note}", actor=user)
    ticket.save(update_fields=["finished_at", "case", "help_note"])
    _close_service(ticket, WindowService.Outcome.SERVED, now)
    _tell(ticket, subject="请评价本次服务",
          body=f"您在 {window.number} 窗口的业务（{ticket.number}）已办结，欢迎评价本次服务（{settings.HALL_RATING_DAYS} 天内有效）。",
          link=rating_url(ticket))
    return ticket


@transaction.atomic
def ticket_transfer(*, user, window: Window, ticket_id, category_code: str = "", to_window_id=None,
                    reason: str = "") -> QueueTicket:
    """转办: the resident needs another category or a particular window. The ticket goes back into the queue
    with the time it was first taken, so the resident does not wait from the start again."""
    _require_window(user, window)
    ticket = _current(window, ticket_id, S.SERVING)
    if bool(category_code) == bool(to_window_id):
        raise InvalidInput("category", "转办去向：请选择一个业务类别或一个窗口")
    category, target = ticket.category, None
    if to_window_id:
        target = Window.objects.filter(pk=to_window_id, service_point_id=window.service_point_id, active=True).first()
        if target is None or target.pk == window.pk:
            raise InvalidInput("to_window", "转办窗口：请选择本网点另一个在用的窗口")
        where = f"{target.number} 窗口（{target.name}）"
    else:
        category = (Category.objects.filter(service_point_id=window.service_point_id, code=category_code, active=True,
                                            windows__active=True).distinct().first())
        if category is None:
            raise InvalidInput("category", "转办类别：请选择本网点正在办理的业务类别")
        where = category.name
    reason = (reason or "").strip()[:200]
    ticket = _to(ticket, S.WAITING, actor=user, kind="transferred", reason=reason,
                 message=f"{window.number} 窗口转办至{where}" + (f"：{reason}" if reason else "") + "，保留原排队时间")
    ticket.category, ticket.target_window, ticket.window, ticket.help_pending = category, target, None, False
    ticket.save(update_fields=["category", "target_window", "window", "help_pending"])
    _close_service(ticket, WindowService.Outcome.TRANSFERRED, timezone.now())
    _tell(ticket, subject="号码已转办", body=f"您的号码 {ticket.number} 已转至{where}，按原取号时间排队，请留意叫号。",
          link=ticket_url(ticket))
    return ticket


@transaction.atomic
def ticket_mark_priority(*, user, ticket: QueueTicket, reason: str) -> QueueTicket:
    """A member of staff puts a waiting ticket in the green channel, e.g. after seeing a 残疾人证."""
    _require_point_staff(user, ticket)
    if reason not in P.values or not reason:
        raise InvalidInput("reason", "绿色通道情形：请选择老年人、残疾人、孕妇或退役军人及优抚对象")
    locked = QueueTicket.objects.select_for_update().get(pk=ticket.pk)
    if locked.status not in (S.WAITING, S.CALLED):
        raise Conflict(f"号码 {locked.number} 当前为“{locked.get_status_display()}”，不能再登记绿色通道")
    before = locked.priority
    locked.priority, locked.priority_rank, locked.priority_marked_by = reason, 0, user
    locked.save(update_fields=["priority", "priority_rank", "priority_marked_by"])
    _event(locked, "priority", f"{_staff_name(user)}核验后登记绿色通道：{P(reason).label}", actor=user)
    _audit("ticket_priority", locked, user, before={"priority": before}, after={"priority": reason})
    return locked


# --- 帮办代办 -------------------------------------------------------------------------------------------------------

@transaction.atomic
def help_accompany(*, user, ticket: QueueTicket) -> QueueTicket:
    """A 帮办代办员 of the service point takes a help request and goes with the resident through the queue."""
    if ticket.service_point_id not in points_with(user, "hall.help"):
        raise NotAllowed("只有本网点的帮办代办员可以陪同帮办")
    locked = QueueTicket.objects.select_for_update().get(pk=ticket.pk)
    if not locked.needs_help or locked.status not in ACTIVE:
        raise Conflict(f"号码 {locked.number} 没有待处理的帮办请求")
    if locked.helper_id and locked.helper_id != user.pk:
        raise Conflict(f"号码 {locked.number} 已由其他帮办代办员陪同")
    locked.helper, locked.help_pending = user, False
    locked.save(update_fields=["helper", "help_pending"])
    _event(locked, "help_accompany", f"帮办代办员{_staff_name(user)}陪同办理", actor=user)
    _audit("help_accompany", locked, user)
    return locked


@transaction.atomic
def help_record(*, user, ticket: QueueTicket, note: str) -> QueueTicket:
    """What the helper did for the resident (指导填表、代为网上申报、陪同到窗口 ...), kept with the ticket."""
    if ticket.service_point_id not in points_with(user, "hall.help"):
        raise NotAllowed("只有本网点的帮办代办员可以记录帮办内容")
    note = (note or "").strip()
    if len(note) < 4:
        raise InvalidInput("note", "帮办内容：至少 4 个字，写明帮群众办了什么")
    locked = QueueTicket.objects.select_for_update().get(pk=ticket.pk)
    if not locked.needs_help:
        raise Conflict(f"号码 {locked.number} 没有申请帮办代办")
    locked.help_note = "\n".join(filter(None, [locked.help_note, note[:1000]]))
    locked.save(update_fields=["help_note"])
    _event(locked, "helped", f"帮办内容：{note[:1000]}", actor=user)
    _audit("help_record", locked, user, after={"length": len(note)})
    return locked


# --- rating (好差评) ----------------------------------------------------------------------------------------------

def rating_open_until(ticket: QueueTicket):
    return ticket.finished_at + timedelta(days=settings.HALL_RATING_DAYS) if ticket.finished_at else None


@transaction.atomic
def ticket_rate(*, token: str, level: int, comment: str = "") -> Rating:
    """好差评 of a window service, by whoever holds the ticket's link (printed QR, SMS, the window's rating pad):
    once, within HALL_RATING_DAYS days of the end of the service. 不满意 / 非常不满意 open a rectification for
    the window's responsible department, exactly as for a case."""
    ticket = ticket_by_token(token)
    if ticket is None:
        raise NotAllowed("评价链接无效")
    ticket = (QueueTicket.objects.select_for_update(of=("self",))
              .select_related("window__department", "service_point", "user").get(pk=ticket.pk))
    if ticket.status != S.DONE or ticket.window is None:
        raise Conflict("服务办结后才能评价")
    if timezone.now() > rating_open_until(ticket):
        raise Conflict(f"评价链接已过期（办结后 {settings.HALL_RATING_DAYS} 天内有效）")
    try:
        level = int(level)
    except (TypeError, ValueError):
        level = 0
    if level not in Rating.Level.values:
        raise InvalidInput("level", "评价：请选择 非常满意、满意、基本满意、不满意 或 非常不满意")
    comment = (comment or "").strip()[:1000]
    if level <= Rating.Level.DISSATISFIED and len(comment) < 2:
        raise InvalidInput("comment", "评价说明：不满意时请写明原因，便于整改")
    if Rating.objects.filter(hall_ticket=ticket).exists():
        raise Conflict("本次服务已经评价过")
    rating = Rating.objects.create(hall_ticket=ticket, level=level, comment=comment, rated_by=ticket.user)
    window = ticket.window
    _event(ticket, "rated", f"群众评价 {window.number} 窗口：{Rating.Level(level).label}"
                            f"{('，' + comment) if comment else ''}")
    _audit("rate", ticket, None, after={"level": level, "window": window.number})
    if level <= Rating.Level.DISSATISFIED:
        rectification_open(rating=rating, department=window.department,
                           subject=f"{ticket.service_point.name} {window.number} 窗口（{ticket.number}）")
    return rating


def rating_trail(ticket: QueueTicket, *, kind: str, message: str, actor, action: str, reason: str = "",
                 after=None) -> None:
    """The timeline and audit entry of a step on a window rating (appeal, decision, rectification), called by the
    cases' rating services, which run the same flow for cases and window services."""
    _event(ticket, kind, message, actor=actor, internal=True)
    _audit(action, ticket, actor, reason=reason, after=after)


# --- end of day -------------------------------------------------------------------------------------------------

def day_close(today=None) -> dict[str, int]:
    """Numbers from earlier days still open are ended: waiting or called ones become void (取消), ones left in
    service are closed as done. Safe to run twice."""
    today = today or _today()
    counts = {"cancelled": 0, "done": 0}
    for ticket in QueueTicket.objects.filter(day__lt=today, status__in=ACTIVE).only("pk", "status"):
        with transaction.atomic():
            now = timezone.now()
            if ticket.status == S.SERVING:
                _to(ticket, S.DONE, actor=None, kind="auto_done", message="日终未登记办结，系统结束服务")
                _close_service(ticket, WindowService.Outcome.SERVED, now)
                counts["done"] += 1
            else:
                _to(ticket, S.CANCELLED, actor=None, kind="expired", message="当日未办理，号码作废")
                _close_service(ticket, WindowService.Outcome.CANCELLED, now)
                counts["cancelled"] += 1
            QueueTicket.objects.filter(pk=ticket.pk).update(finished_at=now)
    return counts


def staff_of(point_id: int, *permissions: str) -> list[User]:
    """Active staff holding any of the permissions at a service point (used for the helpers' notice)."""
    from yijianshi.accounts.roles import PERMISSIONS

    roles = {role for p in permissions for role in PERMISSIONS[p]}
    return list(User.objects.filter(is_active=True, role_grants__role__in=roles,
                                    role_grants__service_point_id=point_id).distinct())
