"""Hall API under /api/v1/hall/: take a number (the phone page's rules), follow a ticket with its token, and work a
window (call next, start, end) as a clerk of that service point, by session or by a system account's bearer token
granted the clerk's role there.

Thin: find the point, ticket or window through a selector (404 alike for "not there" and "not yours"), call the
same service the pages call, shape the answer. Errors are the project's: 400 with the field, 409 when the ticket
moved on, 401/403/404. No personal data goes out: not the mobile, not the ID number (never kept anyway).
"""

from __future__ import annotations

from datetime import datetime

from django.http import Http404
from ninja import Field, Router, Schema
from ninja.responses import Status
from ninja.utils import check_csrf

from yijianshi.accounts.auth import API_AUTH
from yijianshi.accounts.permissions import NotAllowed
from yijianshi.hall import selectors, services
from yijianshi.hall.models import QueueTicket, Window

router = Router(tags=["政务大厅排队叫号"], auth=API_AUTH)


# --- schemas ----------------------------------------------------------------------------------------------------

class MessageOut(Schema):
    message: str
    field: str | None = None


class CategoryOut(Schema):
    code: str = Field(description="业务类别编码，取号时提交")
    prefix: str = Field(description="号码字头，如 A")
    name: str
    waiting: int = Field(description="当前等候人数")


class TakeIn(Schema):
    category: str = Field(max_length=32, description="业务类别编码（见“可取号的业务类别”）")
    mobile: str = Field("", max_length=20, description="短信提醒手机号：未登录时必填；登录后用账号的手机号")
    id_number: str = Field("", max_length=20, description="身份证号码（选填）：70 周岁以上自动进入绿色通道，只用于判断年龄，不保存")
    declared_priority: str = Field("", max_length=10, description="自行申报的绿色通道：pregnant 孕妇 / veteran 退役军人及优抚对象")
    needs_help: bool = Field(False, description="需要帮办代办")


class TicketOut(Schema):
    id: int
    number: str = Field(description="号码，如 A017")
    status: str = Field(description="waiting 等候中 / called 已叫号 / serving 办理中 / done 已办结 / skipped 已过号 / cancelled 已取消")
    status_label: str
    service_point: str = Field(description="服务网点编码")
    service_point_name: str
    category: str
    category_name: str
    priority: str = Field(description="绿色通道：aged / disabled / pregnant / veteran，空为普通号")
    priority_label: str
    needs_help: bool
    window: str | None = Field(None, description="叫号后：窗口号")
    window_name: str | None = None
    ahead: int = Field(description="前面还有几人（等候中时）")
    wait_minutes: int = Field(description="预计等候分钟数（前面人数 × 今日实测每人办理时长 ÷ 在岗窗口数）")
    taken_at: datetime


class TakenOut(TicketOut):
    token: str = Field(description="号码凭证：查询进度、取消和评价都用它，请妥善保存（相当于纸质号票上的二维码）")
    url: str = Field(description="号码页面（手机上查看进度）")


class TicketIdIn(Schema):
    ticket_id: int = Field(description="本窗口当前号码的 id（叫号时返回）")


class EndIn(TicketIdIn):
    case_number: str = Field("", max_length=20, description="关联办件编号（选填），如 QJ20261130000001")
    help_note: str = Field("", max_length=1000, description="帮办内容（帮办代办窗口必填）")


class CallOut(Schema):
    ticket: TicketOut | None = Field(None, description="叫到的号码；无人等候时为空")
    waiting: int = Field(description="叫号后本窗口仍在等候的人数")


# --- helpers ----------------------------------------------------------------------------------------------------

def _ticket_out(ticket: QueueTicket) -> dict:
    where = selectors.position(ticket)
    return {
        "id": ticket.pk, "number": ticket.number, "status": ticket.status, "status_label": ticket.get_status_display(),
        "service_point": ticket.service_point.code, "service_point_name": ticket.service_point.name,
        "category": ticket.category.code, "category_name": ticket.category.name, "priority": ticket.priority,
        "priority_label": ticket.get_priority_display() if ticket.priority else "", "needs_help": ticket.needs_help,
        "window": ticket.window.number if ticket.window_id else None,
        "window_name": ticket.window.name if ticket.window_id else None,
        "ahead": where["ahead"], "wait_minutes": where["minutes"], "taken_at": ticket.taken_at,
    }


def _fresh(ticket: QueueTicket) -> QueueTicket:
    return QueueTicket.objects.select_related("service_point", "category", "window").get(pk=ticket.pk)


def _point(code: str):
    point = selectors.queue_point(code)
    if point is None:
        raise Http404
    return point


def _window(request, window_id: int) -> Window:
    """A window the caller operates; anybody else's does not exist for them."""
    window = selectors.windows_for(request.user).filter(pk=window_id).first()
    if window is None:
        raise Http404
    return window


def _resident(request):
    """The signed-in resident taking the number (the ticket then shows in 我的空间), or None for a walk-in.
    The endpoint is public, so a session is only honoured with its CSRF token: another site cannot spend a
    resident's per-person limit."""
    user = request.user
    if not (user.is_authenticated and getattr(user, "person", None) is not None):
        return None
    if check_csrf(request) is not None:
        raise NotAllowed("CSRF 校验失败：已登录时请在 X-CSRFToken 请求头中提交 CSRF 令牌")
    return user


# --- public: take a number, follow it -----------------------------------------------------------------------------

@router.get("/hall/service-points/{point}/categories", response={200: list[CategoryOut], 404: MessageOut},
            auth=None, summary="可取号的业务类别（公开）")
def categories(request, point: str):
    """某服务网点当前可以取号的业务类别（有在岗窗口办理的），以及各类别的等候人数。"""
    point = _point(point)
    waiting = selectors.waiting_by_category(point)
    return [{"code": c.code, "prefix": c.prefix, "name": c.name, "waiting": waiting.get(c.pk, 0)}
            for c in selectors.open_categories(point)]


@router.post("/hall/service-points/{point}/tickets", response={201: TakenOut, 400: MessageOut, 403: MessageOut,
                                                               404: MessageOut, 409: MessageOut},
             auth=None, summary="手机取号（公开）")
def take(request, point: str, payload: TakeIn):
    """与手机取号页相同的规则：每人（账号或手机号）在同一网点同时最多持有 3 个有效号码；70 周岁以上按身份证号码
    （登录后按本人实名信息）自动进入绿色通道；未登录时须留短信提醒手机号。返回的 token 用于查询进度。"""
    point = _point(point)
    ticket = services.ticket_take(
        service_point=point, category_code=payload.category, user=_resident(request), mobile=payload.mobile,
        id_number=payload.id_number, declared_priority=payload.declared_priority, needs_help=payload.needs_help,
        channel=QueueTicket.Channel.ONLINE)
    ticket = _fresh(ticket)
    return Status(201, _ticket_out(ticket) | {"token": services.ticket_token(ticket),
                                              "url": services.ticket_url(ticket)})


@router.get("/hall/tickets/{token}", response={200: TicketOut, 404: MessageOut}, auth=None,
            summary="号码进度（凭号码凭证，公开）")
def ticket_status(request, token: str):
    """号码状态、前面人数和预计等候时间；叫号后给出窗口。凭取号时返回的 token（号票二维码中的凭证）查询。"""
    ticket = services.ticket_by_token(token)
    if ticket is None:
        raise Http404
    return _ticket_out(_fresh(ticket))


# --- window staff ------------------------------------------------------------------------------------------------

@router.post("/hall/windows/{window_id}/call-next", response={200: CallOut, 401: MessageOut, 403: MessageOut,
                                                              404: MessageOut, 409: MessageOut},
             summary="叫下一位（本网点窗口工作人员）")
def call_next(request, window_id: int):
    """按绿色通道优先、取号先后叫本窗口的下一位；当前号码未办结、转办或过号时返回 409。"""
    window = _window(request, window_id)
    ticket = services.call_next(user=request.user, window=window)
    return {"ticket": _ticket_out(_fresh(ticket)) if ticket else None,
            "waiting": selectors.queue_for(window).count()}


@router.post("/hall/windows/{window_id}/start", response={200: TicketOut, 400: MessageOut, 401: MessageOut,
                                                          403: MessageOut, 404: MessageOut, 409: MessageOut},
             summary="开始办理（群众已到窗口）")
def start(request, window_id: int, payload: TicketIdIn):
    window = _window(request, window_id)
    ticket = services.ticket_start(user=request.user, window=window, ticket_id=payload.ticket_id)
    return _ticket_out(_fresh(ticket))


@router.post("/hall/windows/{window_id}/end", response={200: TicketOut, 400: MessageOut, 401: MessageOut,
                                                        403: MessageOut, 404: MessageOut, 409: MessageOut},
             summary="办结（可关联办件编号）")
def end(request, window_id: int, payload: EndIn):
    """办结本窗口正在办理的号码，群众随后可评价本次服务；帮办代办窗口须填写帮办内容。"""
    window = _window(request, window_id)
    ticket = services.ticket_finish(user=request.user, window=window, ticket_id=payload.ticket_id,
                                    case_number=payload.case_number, help_note=payload.help_note)
    return _ticket_out(_fresh(ticket))
