"""Reads of the hall: whose windows, the queue a window calls from, a ticket's place and wait, the call screen, the
help requests, a resident's own numbers and the supervisors' figures."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from yijianshi.accounts.roles import PERMISSIONS
from yijianshi.hall import domain
from yijianshi.hall.models import Category, QueueTicket, Window, WindowService

S = QueueTicket.Status


def points_with(user, *permissions: str) -> set[int]:
    """Service points where the user holds any of the permissions (window clerks and helpers are granted their
    role for one service point)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    roles = {role for p in permissions for role in PERMISSIONS[p]}
    grants = getattr(user, "_role_grants_cache", None)
    if grants is None:
        grants = list(user.role_grants.select_related("department", "service_point"))
        user._role_grants_cache = grants
    return {g.service_point_id for g in grants if g.role in roles and g.service_point_id}


def queue_point(code: str):
    """The service point with that code if it runs a queue (has an active window), else None."""
    from yijianshi.organizations.models import ServicePoint

    return ServicePoint.objects.filter(code=code or "", hall_windows__active=True).distinct().first()


def open_categories(point) -> list[Category]:
    """The categories one can take a number for at a service point: active, with an active window serving them."""
    return list(Category.objects.filter(service_point=point, active=True, windows__active=True).distinct()
                .prefetch_related("bundles").order_by("position", "prefix"))


def waiting_by_category(point) -> dict[int, int]:
    """{category id: today's waiting tickets} at a service point."""
    rows = (QueueTicket.objects.filter(service_point=point, day=timezone.localdate(), status=S.WAITING)
            .values_list("category_id", flat=True))
    return dict(Counter(rows))


def windows_for(user):
    """The windows a member of staff may operate: all of their service point's for clerks, its 帮办代办 windows
    for helpers."""
    clerk_points = points_with(user, "hall.window")
    help_points = points_with(user, "hall.help")
    return (Window.objects.filter(Q(service_point_id__in=clerk_points) |
                                  Q(service_point_id__in=help_points, kind=Window.Kind.ASSISTED), active=True)
            .select_related("service_point", "department").order_by("service_point", "position", "number"))


def queue_for(window: Window):
    """Today's waiting tickets this window calls, in calling order. A window calls its categories' tickets and
    those transferred to it by name; the 绿色通道窗口 also every green-channel ticket of the point; the 帮办代办窗口
    also every open help request, before anything else."""
    categories = list(window.categories.values_list("pk", flat=True))
    mine = Q(target_window=window) | Q(target_window__isnull=True, help_pending=False, category_id__in=categories)
    order = ["priority_rank", "queued_at", "pk"]
    if window.kind == Window.Kind.GREEN:
        mine |= Q(target_window__isnull=True, help_pending=False, priority_rank=0)
    if window.kind == Window.Kind.ASSISTED:
        mine |= Q(target_window__isnull=True, help_pending=True)
        order = ["-help_pending", *order]
    return (QueueTicket.objects.filter(mine, service_point_id=window.service_point_id, day=timezone.localdate(),
                                       status=S.WAITING).order_by(*order))


def current_ticket(window: Window) -> QueueTicket | None:
    return (QueueTicket.objects.filter(window=window, status__in=(S.CALLED, S.SERVING))
            .select_related("category", "case", "helper").first())


def _ahead_filter(ticket: QueueTicket) -> Q:
    return (Q(priority_rank__lt=ticket.priority_rank)
            | Q(priority_rank=ticket.priority_rank, queued_at__lt=ticket.queued_at)
            | Q(priority_rank=ticket.priority_rank, queued_at=ticket.queued_at, pk__lt=ticket.pk))


def _service_minutes(windows: list[int], day: date, limit: int = 30) -> list[float]:
    rows = (WindowService.objects.filter(window_id__in=windows, outcome=WindowService.Outcome.SERVED,
                                         called_at__date=day, ended_at__isnull=False)
            .order_by("-ended_at").values_list("called_at", "ended_at")[:limit])
    return [(ended - called).total_seconds() / 60 for called, ended in rows]


def position(ticket: QueueTicket) -> dict:
    """How many are called before this ticket in its queue, and the estimated minutes until its turn, from today's
    actual service times at the windows that serve the queue."""
    if ticket.status != S.WAITING:
        return {"ahead": 0, "minutes": 0}
    waiting = QueueTicket.objects.filter(service_point_id=ticket.service_point_id, day=ticket.day, status=S.WAITING)
    if ticket.help_pending:
        queue = waiting.filter(help_pending=True)
        windows = Window.objects.filter(service_point_id=ticket.service_point_id, kind=Window.Kind.ASSISTED,
                                        active=True)
    elif ticket.target_window_id:
        queue = waiting.filter(Q(target_window_id=ticket.target_window_id) | Q(
            target_window__isnull=True, help_pending=False, category__windows=ticket.target_window_id))
        windows = Window.objects.filter(pk=ticket.target_window_id)
    else:
        queue = waiting.filter(target_window__isnull=True, help_pending=False, category_id=ticket.category_id)
        windows = Window.objects.filter(categories=ticket.category_id, active=True)
        if ticket.priority_rank == 0:
            windows = windows | Window.objects.filter(service_point_id=ticket.service_point_id,
                                                      kind=Window.Kind.GREEN, active=True)
    ahead = queue.filter(_ahead_filter(ticket)).exclude(pk=ticket.pk).distinct().count()
    window_ids = list(windows.values_list("pk", flat=True).distinct())
    staffed = set(WindowService.objects.filter(window_id__in=window_ids, called_at__date=ticket.day)
                  .values_list("window_id", flat=True))
    minutes = domain.estimate_wait_minutes(ahead, _service_minutes(window_ids, ticket.day),
                                           len(staffed) or len(window_ids), settings.HALL_DEFAULT_SERVICE_MINUTES)
    return {"ahead": ahead, "minutes": minutes}


def screen(point, *, recent: int = 8) -> dict:
    """The call screen: the numbers being called now (newest first, a recall counts as new) and the last calls."""
    today = timezone.localdate()
    calling = list(QueueTicket.objects.filter(service_point=point, day=today, status=S.CALLED)
                   .select_related("window").order_by("-called_at")[:6])
    history = list(WindowService.objects.filter(window__service_point=point, called_at__date=today)
                   .select_related("ticket", "window").order_by("-called_at", "-pk")[:recent])
    waiting = Counter(QueueTicket.objects.filter(service_point=point, day=today, status=S.WAITING)
                      .values_list("category__name", flat=True))
    return {"calling": calling, "history": history, "waiting": sorted(waiting.items()),
            "latest": calling[0] if calling else None}


def help_requests(user):
    """Today's help requests at the helper's service points, open ones first."""
    return (QueueTicket.objects.filter(service_point_id__in=points_with(user, "hall.help"), needs_help=True,
                                       day=timezone.localdate())
            .select_related("category", "window", "helper", "service_point").order_by("finished_at", "queued_at"))


def my_tickets(user, days: int = 7):
    """A resident's own numbers of the last week."""
    since = timezone.localdate() - timedelta(days=days)
    return (QueueTicket.objects.filter(user=user, day__gte=since)
            .select_related("service_point", "category", "window").order_by("-taken_at")[:20])


def _minutes(delta) -> float:
    return delta.total_seconds() / 60


def figures(*, start: date, end: date, point_ids: list[int] | None = None) -> dict:
    """The hall in numbers for the supervisors, over [start, end]: numbers taken, waits, service per window,
    过号, the green channel's share, help requests, and ratings per window (ratings excluded on appeal do not
    count)."""
    from yijianshi.cases.models import Rating

    tickets = QueueTicket.objects.filter(day__gte=start, day__lte=end)
    if point_ids is not None:
        tickets = tickets.filter(service_point_id__in=point_ids)
    rows = list(tickets.values_list("status", "priority", "needs_help", "taken_at", "first_called_at"))
    waits = [_minutes(called - taken) for _, _, _, taken, called in rows if called is not None]
    taken = len(rows)
    services = (WindowService.objects.filter(ticket__in=tickets).select_related("window", "window__service_point")
                .only("outcome", "called_at", "ended_at", "window__number", "window__name",
                      "window__service_point__name", "window__department_id"))
    per_window: dict[int, dict] = {}
    for service in services:
        w = per_window.setdefault(service.window_id, {"window": service.window, "served": 0, "transferred": 0,
                                                      "no_show": 0, "minutes": [], "levels": Counter(),
                                                      "excluded": 0})
        if service.outcome == WindowService.Outcome.SERVED:
            w["served"] += 1
            if service.ended_at:
                w["minutes"].append(_minutes(service.ended_at - service.called_at))
        elif service.outcome in (WindowService.Outcome.TRANSFERRED, WindowService.Outcome.NO_SHOW):
            w[service.outcome] += 1
    ratings = Rating.objects.filter(hall_ticket__in=tickets).select_related("hall_ticket__window",
                                                                           "hall_ticket__window__service_point")
    for rating in ratings:
        window = rating.hall_ticket.window
        w = per_window.setdefault(window.pk, {"window": window, "served": 0, "transferred": 0, "no_show": 0,
                                              "minutes": [], "levels": Counter(), "excluded": 0})
        if rating.appeal_decision == "excluded":
            w["excluded"] += 1
        else:
            w["levels"][rating.level] += 1
    table = []
    for w in sorted(per_window.values(), key=lambda w: (w["window"].service_point_id, w["window"].position,
                                                        w["window"].number)):
        rated = sum(w["levels"].values())
        satisfied = sum(n for level, n in w["levels"].items() if level >= Rating.Level.BASICALLY_SATISFIED)
        table.append({**w, "rated": rated, "bad": rated - satisfied,
                      "levels": [w["levels"].get(level, 0) for level in sorted(Rating.Level.values, reverse=True)],
                      "satisfaction": round(100 * satisfied / rated, 1) if rated else None,
                      "mean_minutes": round(sum(w["minutes"]) / len(w["minutes"]), 1) if w["minutes"] else None})
    by_status = Counter(status for status, *_ in rows)
    priority = Counter(p for _, p, *_ in rows if p)
    all_rated = sum(r["rated"] for r in table)
    all_satisfied = sum(r["rated"] - r["bad"] for r in table)
    by_day: dict[date, int] = defaultdict(int)
    for _, _, _, taken_at, _ in rows:
        by_day[timezone.localtime(taken_at).date()] += 1
    return {
        "taken": taken, "waits": len(waits),
        "mean_wait": round(sum(waits) / len(waits), 1) if waits else None,
        "max_wait": round(max(waits), 1) if waits else None,
        "p90_wait": round(domain.percentile(waits, 90), 1) if waits else None,
        "served": by_status.get(S.DONE, 0), "no_shows": by_status.get(S.SKIPPED, 0),
        "cancelled": by_status.get(S.CANCELLED, 0), "waiting": by_status.get(S.WAITING, 0),
        "green": sum(priority.values()),
        "green_share": round(100 * sum(priority.values()) / taken, 1) if taken else None,
        "green_by_reason": [(QueueTicket.Priority(p).label, n) for p, n in priority.most_common()],
        "help": sum(1 for _, _, needs_help, *_ in rows if needs_help),
        "windows": table, "rated": all_rated,
        "satisfaction": round(100 * all_satisfied / all_rated, 1) if all_rated else None,
        "excluded": sum(r["excluded"] for r in table),
        "by_day": sorted(by_day.items()),
    }
