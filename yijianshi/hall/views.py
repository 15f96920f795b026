"""Pages of the hall: the public kiosk (取号), the ticket page its holder follows, the call screen, the rating page;
the staff's window console and rating pad, the helpers' requests, the supervisors' figures. Thin: parse, call a
service or a selector, render.

Errors from the services: InvalidInput goes next to the field it names with a 400 re-render; Conflict (the ticket
moved on meanwhile) is a message with 409; NotAllowed is the staff 403 page. Public pages answer polling (htmx)
with just the part that changes.
"""

from __future__ import annotations

from datetime import timedelta

import segno
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yijianshi.accounts.forms import form_error_from
from yijianshi.accounts.permissions import has_permission
from yijianshi.accounts.services import InvalidInput
from yijianshi.accounts.staff_views import staff_page, staff_render
from yijianshi.cases.models import Rating
from yijianshi.cases.services import Conflict
from yijianshi.hall import forms, selectors, services
from yijianshi.hall.models import QueueTicket, Window, WindowService
from yijianshi.organizations.models import ServicePoint

S = QueueTicket.Status
PAD_MINUTES = 30  # the rating pad offers the window's last service for this long


def _htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _point(code: str) -> ServicePoint:
    point = ServicePoint.objects.filter(code=code).first()
    if point is None or not Window.objects.filter(service_point=point, active=True).exists():
        raise Http404("该网点没有开通排队叫号")
    return point


def _qr(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def _ticket_or_404(token: str) -> QueueTicket:
    ticket = services.ticket_by_token(token)
    if ticket is None:
        raise Http404("号码不存在或链接无效")
    return ticket


# --- public: kiosk, ticket, call screen, rating ---------------------------------------------------------------

@require_GET
def index(request):
    points = (ServicePoint.objects.filter(hall_windows__active=True).distinct().order_by("kind", "code"))
    return render(request, "hall/index.html", {"points": points})


def _take_page(request, point, form, *, status=200):
    categories = selectors.open_categories(point)
    return render(request, "hall/take.html", {"point": point, "form": form, "categories": categories},
                  status=status)


def _signed_in_person(request):
    user = request.user
    return user if user.is_authenticated and getattr(user, "person", None) is not None else None


@require_http_methods(["GET", "POST"])
def take(request, point: str):
    """取号: at the hall's kiosk (anonymous) or on a phone (signed in: the ticket appears in 我的空间)."""
    point = _point(point)
    user = _signed_in_person(request)
    categories = selectors.open_categories(point)
    if request.method == "GET":
        initial = {}
        bundle = request.GET.get("bundle")
        if bundle:
            initial["category"] = next((c.code for c in categories if any(b.code == bundle for b in c.bundles.all())),
                                       None)
        form = forms.TakeForm(initial=initial, categories=categories, signed_in=user is not None)
        return _take_page(request, point, form)
    form = forms.TakeForm(request.POST, categories=categories, signed_in=user is not None)
    if not form.is_valid():
        return _take_page(request, point, form, status=400)
    data = form.cleaned_data
    try:
        ticket = services.ticket_take(
            service_point=point, category_code=data["category"], user=user, mobile=data.get("mobile", ""),
            id_number=data.get("id_number", ""), declared_priority=data.get("declared_priority", ""),
            needs_help=data["needs_help"],
            channel=QueueTicket.Channel.ONLINE if user else QueueTicket.Channel.KIOSK)
    except InvalidInput as exc:
        form_error_from(form, exc, {"priority": "declared_priority"})
        return _take_page(request, point, form, status=400)
    except Conflict as exc:
        form.add_error(None, exc.message)
        return _take_page(request, point, form, status=409)
    return redirect(services.ticket_url(ticket) + "?new=1")


@never_cache
@require_GET
def ticket_page(request, token: str):
    """The ticket's page for whoever holds it (the printed QR code, the SMS, 我的空间): place in the queue, the
    window when called, the way to rate when done. Polled by htmx while waiting."""
    ticket = _ticket_or_404(token)
    context = {"ticket": ticket, "token": token, "where": selectors.position(ticket),
               "rating": Rating.objects.filter(hall_ticket=ticket).first(),
               "rate_url": services.rating_url(ticket), "new": request.GET.get("new") == "1",
               "rating_open": ticket.status == S.DONE and services.rating_open_until(ticket) >= timezone.now(),
               "cancellable": ticket.status in (S.WAITING, S.CALLED)}
    if _htmx(request):
        return render(request, "hall/_ticket_status.html", context)
    context["qr"] = _qr(services.ticket_url(ticket, absolute=True))  # progress now, the rating when done
    return render(request, "hall/ticket.html", context)


@require_POST
def ticket_cancel(request, token: str):
    ticket = _ticket_or_404(token)
    try:
        services.ticket_cancel(token=token, user=request.user)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect(services.ticket_url(ticket))
    messages.success(request, f"号码 {ticket.number} 已取消。")
    return redirect(services.ticket_url(ticket))


@never_cache
@require_GET
def screen(request, point: str):
    """The call screen on the hall's wall: large numbers and windows, refreshed by htmx every few seconds."""
    point = _point(point)
    context = {"point": point, **selectors.screen(point), "now": timezone.localtime()}
    return render(request, "hall/_screen_calls.html" if _htmx(request) else "hall/screen.html", context)


def _rate_page(request, ticket, token, form, *, status=200, pad=None):
    return render(request, "hall/rate.html", {
        "ticket": ticket, "token": token, "form": form, "pad": pad,
        "rating": Rating.objects.filter(hall_ticket=ticket).first(),
        "open_until": services.rating_open_until(ticket),
        "expired": ticket.status == S.DONE and services.rating_open_until(ticket) < timezone.now(),
    }, status=status)


def _pad_window(request) -> Window | None:
    """The window whose rating pad sent the resident here, if the signed-in device may operate it."""
    pad = request.GET.get("pad") or request.POST.get("pad")
    if not (pad or "").isdigit():
        return None
    window = Window.objects.filter(pk=int(pad)).select_related("service_point").first()
    if window is None or not selectors.windows_for(request.user).filter(pk=window.pk).exists():
        return None
    return window


@require_http_methods(["GET", "POST"])
def rate(request, token: str):
    """好差评 of a window service through the ticket's link: no log-in, once, within the days allowed."""
    ticket = _ticket_or_404(token)
    pad = _pad_window(request)
    if request.method == "GET":
        return _rate_page(request, ticket, token, forms.RatingForm(), pad=pad)
    form = forms.RatingForm(request.POST)
    if not form.is_valid():
        return _rate_page(request, ticket, token, form, status=400, pad=pad)
    try:
        rating = services.ticket_rate(token=token, level=form.cleaned_data["level"],
                                      comment=form.cleaned_data["comment"])
    except InvalidInput as exc:
        form_error_from(form, exc)
        return _rate_page(request, ticket, token, form, status=400, pad=pad)
    except Conflict as exc:
        form.add_error(None, exc.message)
        return _rate_page(request, ticket, token, form, status=409, pad=pad)
    if pad is not None:
        messages.success(request, f"感谢您的评价：{rating.get_level_display()}")
        return redirect("hall:pad", pk=pad.pk)
    return _rate_page(request, ticket, token, forms.RatingForm(), pad=None)


# --- staff: windows ---------------------------------------------------------------------------------------------

def _section(user) -> str:
    return "hall" if has_permission(user, "hall.window") else "hall-help"


hall_staff = staff_page("hall.window", "hall.help", section=_section)


def _window_or_404(request, pk: int) -> Window:
    """A window the signed-in member of staff operates; others' windows do not exist for them."""
    return get_object_or_404(selectors.windows_for(request.user), pk=pk)


@require_GET
@hall_staff
def windows(request):
    rows = []
    for window in selectors.windows_for(request.user):
        rows.append({"window": window, "current": selectors.current_ticket(window),
                     "waiting": selectors.queue_for(window).count()})
    return staff_render(request, "hall/windows.html", {"rows": rows}, section=_section(request.user))


def _window_page(request, window: Window, *, status=200, finish_form=None, transfer_form=None):
    current = selectors.current_ticket(window)
    today = timezone.localdate()
    queue = list(selectors.queue_for(window).select_related("category")[:20])
    other_windows = [w for w in Window.objects.filter(service_point_id=window.service_point_id, active=True)
                     if w.pk != window.pk]
    categories = selectors.open_categories(window.service_point)
    served = WindowService.objects.filter(window=window, called_at__date=today,
                                          outcome=WindowService.Outcome.SERVED)
    minutes = [(s.ended_at - s.called_at).total_seconds() / 60 for s in served if s.ended_at]
    if current is not None:
        finish_form = finish_form or forms.FinishForm(initial={"ticket": current.pk})
        transfer_form = transfer_form or forms.TransferForm(initial={"ticket": current.pk}, categories=categories,
                                                            windows=other_windows)
    context = {
        "window": window, "current": current, "queue": queue, "waiting": selectors.queue_for(window).count(),
        "finish_form": finish_form, "transfer_form": transfer_form, "priority_form": forms.PriorityForm(),
        "served_today": len(minutes), "mean_minutes": round(sum(minutes) / len(minutes), 1) if minutes else None,
        "now": timezone.now(), "can_apply": has_permission(request.user, "case.accept"),
    }
    if _htmx(request):
        return render(request, "hall/_window_queue.html", context)
    return staff_render(request, "hall/window.html", context, section=_section(request.user), status=status)


@never_cache
@require_GET
@hall_staff
def window(request, pk: int):
    return _window_page(request, _window_or_404(request, pk))


def _window_action(request, pk: int, action):
    window = _window_or_404(request, pk)
    try:
        message = action(window)
    except Conflict as exc:
        messages.error(request, exc.message)
        response = _window_page(request, window, status=409)
        return response
    if message:
        messages.success(request, message)
    return redirect("hall:window", pk=window.pk)


@require_POST
@hall_staff
def call_next(request, pk: int):
    def act(window):
        ticket = services.call_next(user=request.user, window=window)
        return f"已叫号 {ticket.number}" if ticket else "当前没有等候的号码。"

    return _window_action(request, pk, act)


@require_POST
@hall_staff
def no_show(request, pk: int):
    def act(window):
        ticket = services.ticket_no_show(user=request.user, window=window, ticket_id=request.POST.get("ticket"))
        return f"已重呼 {ticket.number}" if ticket.status == S.CALLED else f"{ticket.number} 已过号"

    return _window_action(request, pk, act)


@require_POST
@hall_staff
def start(request, pk: int):
    def act(window):
        ticket = services.ticket_start(user=request.user, window=window, ticket_id=request.POST.get("ticket"))
        return f"{ticket.number} 开始办理"

    return _window_action(request, pk, act)


@require_POST
@hall_staff
def finish(request, pk: int):
    window = _window_or_404(request, pk)
    form = forms.FinishForm(request.POST)
    if not form.is_valid():
        return _window_page(request, window, status=400, finish_form=form)
    data = form.cleaned_data
    try:
        ticket = services.ticket_finish(user=request.user, window=window, ticket_id=data["ticket"],
                                        case_number=data["case_number"], help_note=data["help_note"])
    except InvalidInput as exc:
        form_error_from(form, exc)
        return _window_page(request, window, status=400, finish_form=form)
    except Conflict as exc:
        messages.error(request, exc.message)
        return _window_page(request, window, status=409)
    messages.success(request, f"{ticket.number} 已办结，请群众在评价器上评价。")
    return redirect("hall:window", pk=window.pk)


@require_POST
@hall_staff
def transfer(request, pk: int):
    window = _window_or_404(request, pk)
    categories = selectors.open_categories(window.service_point)
    others = [w for w in Window.objects.filter(service_point_id=window.service_point_id, active=True)
              if w.pk != window.pk]
    form = forms.TransferForm(request.POST, categories=categories, windows=others)
    if not form.is_valid():
        return _window_page(request, window, status=400, transfer_form=form)
    data = form.cleaned_data
    try:
        ticket = services.ticket_transfer(user=request.user, window=window, ticket_id=data["ticket"],
                                          category_code=data["category"], to_window_id=data["to_window"] or None,
                                          reason=data["reason"])
    except InvalidInput as exc:
        form_error_from(form, exc)
        return _window_page(request, window, status=400, transfer_form=form)
    except Conflict as exc:
        messages.error(request, exc.message)
        return _window_page(request, window, status=409)
    messages.success(request, f"{ticket.number} 已转办，按原取号时间排队。")
    return redirect("hall:window", pk=window.pk)


@never_cache
@require_GET
@hall_staff
def pad(request, pk: int):
    """The rating pad facing the resident at the window: the last service finished here, until it is rated."""
    window = _window_or_404(request, pk)
    since = timezone.now() - timedelta(minutes=PAD_MINUTES)
    last = (QueueTicket.objects.filter(window=window, status=S.DONE, finished_at__gte=since, rating__isnull=True)
            .order_by("-finished_at").first())
    context = {"window": window, "ticket": last, "token": services.ticket_token(last) if last else "",
               "form": forms.RatingForm()}
    return render(request, "hall/_pad.html" if _htmx(request) else "hall/pad.html", context)


@require_POST
@hall_staff
def mark_priority(request, pk: int):
    ticket = get_object_or_404(QueueTicket.objects.select_related("service_point"), pk=pk,
                               service_point_id__in=selectors.points_with(request.user, "hall.window", "hall.help"))
    form = forms.PriorityForm(request.POST)
    back = request.POST.get("back") or ""
    target = back if back.startswith("/hall/") else reverse("hall:windows")
    if not form.is_valid():
        messages.error(request, "绿色通道情形：请从列表中选择")
        return redirect(target)
    try:
        services.ticket_mark_priority(user=request.user, ticket=ticket, reason=form.cleaned_data["reason"])
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect(target)
    messages.success(request, f"{ticket.number} 已登记绿色通道（{QueueTicket.Priority(form.cleaned_data['reason']).label}）")
    return redirect(target)


# --- staff: 帮办代办 ------------------------------------------------------------------------------------------------

def _help_ticket(request, pk: int) -> QueueTicket:
    return get_object_or_404(QueueTicket.objects.select_related("service_point"), pk=pk, needs_help=True,
                             service_point_id__in=selectors.points_with(request.user, "hall.help"))


@never_cache
@require_GET
@staff_page("hall.help", section="hall-help")
def help_list(request):
    return staff_render(request, "hall/help.html", {
        "requests": list(selectors.help_requests(request.user)), "note_form": forms.HelpNoteForm(),
        "priority_form": forms.PriorityForm(), "assisted": list(selectors.windows_for(request.user)
                                                                .filter(kind=Window.Kind.ASSISTED)),
    }, section="hall-help")


@require_POST
@staff_page("hall.help", section="hall-help")
def help_accompany(request, pk: int):
    ticket = _help_ticket(request, pk)
    try:
        services.help_accompany(user=request.user, ticket=ticket)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("hall:help")
    messages.success(request, f"已接单，请陪同 {ticket.number} 办理。")
    return redirect("hall:help")


@require_POST
@staff_page("hall.help", section="hall-help")
def help_record(request, pk: int):
    ticket = _help_ticket(request, pk)
    form = forms.HelpNoteForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidInput("note", form.errors["note"][0])
        services.help_record(user=request.user, ticket=ticket, note=form.cleaned_data["note"])
    except (InvalidInput, Conflict) as exc:
        messages.error(request, exc.message)
        return redirect("hall:help")
    messages.success(request, f"已记录 {ticket.number} 的帮办内容。")
    return redirect("hall:help")


# --- supervisors ------------------------------------------------------------------------------------------------

@require_GET
@staff_page("supervision.view", section="hall-figures")
def supervision(request):
    points = list(ServicePoint.objects.filter(hall_windows__isnull=False).distinct().order_by("kind", "code"))
    today = timezone.localdate()
    form = forms.FiguresForm(request.GET or None, points=points, initial={"start": today, "end": today})
    start = end = today
    chosen = None
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        chosen = next((p for p in points if p.code == form.cleaned_data["point"]), None)
    status = 400 if form.is_bound and not form.is_valid() else 200
    figures = selectors.figures(start=start, end=end, point_ids=[chosen.pk] if chosen else None)
    return staff_render(request, "hall/supervision.html", {
        "form": form, "figures": figures, "start": start, "end": end, "point": chosen,
        "levels": [label for _, label in sorted(Rating.Level.choices, reverse=True)],
    }, section="hall-figures", status=status)

