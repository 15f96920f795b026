"""Open311 GeoReport v2 (`/open311/v2/`), so other apps can submit and follow 12345 requests.

Formats: `.json` and `.xml` on every path. Errors follow the spec: a list of {code, description} with the HTTP
status. Writing and reading requests needs `api_key` (a bearer token a system administrator issued to the
app's system account); an app sees the requests it submitted, never other people's.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree

from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from yijianshi.accounts.permissions import NotAllowed
from yijianshi.accounts.services import InvalidInput, api_token_authenticate
from yijianshi.hotline.models import Ticket
from yijianshi.hotline.services import ticket_intake

SERVICES = {
    Ticket.Kind.COMPLAINT: ("投诉", "对行政机关、公共服务单位的投诉"),
    Ticket.Kind.REQUEST: ("求助", "生活中遇到困难需要政府部门帮助"),
    Ticket.Kind.CONSULTATION: ("咨询", "政策、办事流程咨询"),
    Ticket.Kind.SUGGESTION: ("建议", "对政府工作的意见建议"),
    Ticket.Kind.PRAISE: ("表扬", "对服务的表扬"),
    Ticket.Kind.SERVICE_FAILURE: ("办不成事", "在窗口或网上办事遇到办不成的情况，由效能监督员跟进"),
}
OPEN_STATUSES = {Ticket.Status.RECEIVED, Ticket.Status.TO_SUPERVISOR, Ticket.Status.DISPATCHED,
                 Ticket.Status.RETURNED, Ticket.Status.IN_PROGRESS, Ticket.Status.REOPEN_REQUESTED}


def _render(data, fmt: str, root: str, item: str, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        element = ElementTree.Element(root)
        for entry in data:
            child = ElementTree.SubElement(element, item)
            for key, value in entry.items():
                ElementTree.SubElement(child, key).text = "" if value is None else str(value)
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ElementTree.tostring(element, encoding="utf-8")
        return HttpResponse(body, content_type="text/xml; charset=utf-8", status=status)
    return JsonResponse(data, safe=False, status=status, json_dumps_params={"ensure_ascii": False})


def _error(fmt: str, status: int, description: str) -> HttpResponse:
    return _render([{"code": status, "description": description}], fmt, "errors", "error", status)


def _system(request):
    return api_token_authenticate(request.POST.get("api_key") or request.GET.get("api_key") or "")


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _request_out(ticket: Ticket) -> dict:
    return {
        "service_request_id": ticket.number,
        "status": "open" if ticket.status in OPEN_STATUSES else "closed",
        "status_notes": ticket.get_status_display(),
        "service_name": SERVICES[ticket.kind][0],
        "service_code": ticket.kind,
        "description": ticket.content,
        "agency_responsible": ticket.lead_department.name if ticket.lead_department else "",
        "service_notice": "",
        "requested_datetime": _iso(ticket.created_at),
        "updated_datetime": _iso(ticket.replied_at or ticket.dispatched_at or ticket.created_at),
        "expected_datetime": _iso(ticket.due_at),
        "address": ticket.address,
        "lat": ticket.latitude,
        "long": ticket.longitude,
    }


@require_GET
def services(request, fmt: str):
    data = [{"service_code": code, "service_name": name, "description": description, "metadata": "false",
             "type": "realtime", "keywords": "", "group": "12345"} for code, (name, description) in SERVICES.items()]
    return _render(data, fmt, "services", "service")


def _coordinate(raw: str, name: str, low: int, high: int):
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput(name, f"{name}：应为数字") from None
    if not low <= value <= high:
        raise InvalidInput(name, f"{name}：超出范围")
    return value.quantize(Decimal("0.000001"))


@csrf_exempt  # machines post with an api_key, not a browser session
@require_http_methods(["GET", "POST"])
def requests_(request, fmt: str):
    system = _system(request)
    if system is None:
        return _error(fmt, 403, "api_key 缺失或无效")
    if request.method == "GET":
        tickets = Ticket.objects.filter(created_by=system).select_related("lead_department").order_by("-created_at")
        ids = [i for i in (request.GET.get("service_request_id") or "").split(",") if i]
        if ids:
            tickets = tickets.filter(number__in=ids)
        if request.GET.get("service_code"):
            tickets = tickets.filter(kind__in=request.GET["service_code"].split(","))
        for name, lookup in (("start_date", "created_at__gte"), ("end_date", "created_at__lte")):
            if request.GET.get(name):
                moment = parse_datetime(request.GET[name])
                if moment is None:
                    return _error(fmt, 400, f"{name} 应为 ISO 8601 时间")
                tickets = tickets.filter(**{lookup: moment})
        status = request.GET.get("status")
        if status == "open":
            tickets = tickets.filter(status__in=OPEN_STATUSES)
        elif status == "closed":
            tickets = tickets.exclude(status__in=OPEN_STATUSES)
        return _render([_request_out(t) for t in tickets[:1000]], fmt, "service_requests", "request")

    data = request.POST
    kind = data.get("service_code", "")
    if kind not in SERVICES:
        return _error(fmt, 400, "service_code 无效")
    if not (data.get("lat") and data.get("long")) and not data.get("address_string") and not data.get("address_id"):
        return _error(fmt, 400, "须提供位置：lat 和 long，或 address_string")
    try:
        ticket = ticket_intake(
            user=system, channel=Ticket.Channel.OPEN311, kind=kind, content=data.get("description", ""),
            caller_name=" ".join(filter(None, [data.get("last_name", ""), data.get("first_name", "")]))[:30],
            caller_mobile=data.get("phone", ""), wants_reply=bool(data.get("phone")),
            address=data.get("address_string", ""),
            latitude=_coordinate(data.get("lat", ""), "lat", -90, 90),
            longitude=_coordinate(data.get("long", ""), "long", -180, 180))
    except InvalidInput as exc:
        return _error(fmt, 400, exc.message)
    except NotAllowed as exc:
        return _error(fmt, 403, exc.message)
    return _render([{"service_request_id": ticket.number, "service_notice": "12345 已受理，将在办理时限内答复",
                     "account_id": ""}], fmt, "service_requests", "request", status=201)


@require_GET
def request_detail(request, number: str, fmt: str):
    system = _system(request)
    if system is None:
        return _error(fmt, 403, "api_key 缺失或无效")
    ticket = Ticket.objects.filter(number=number, created_by=system).select_related("lead_department").first()
    if ticket is None:
        return _error(fmt, 404, "没有这个请求")
    return _render([_request_out(ticket)], fmt, "service_requests", "request")
