"""Reads for the 12345 pages: who may see which ticket, the operators' queue, a department's tickets, the
supervisors' overdue view (with the 办不成事 to assign, the rating appeals to decide and each department's
satisfaction) and a resident's own tickets."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from yijianshi.accounts.models import Person
from yijianshi.accounts.permissions import departments_with, has_permission
from yijianshi.accounts.services import mobile_index
from yijianshi.hotline.models import CoHandling, Ticket, TicketRating
from yijianshi.organizations.models import Department

S = Ticket.Status
OPEN_STATUSES = [S.RECEIVED, S.TO_SUPERVISOR, S.DISPATCHED, S.RETURNED, S.IN_PROGRESS]
HANDLING_STATUSES = [S.DISPATCHED, S.IN_PROGRESS, S.REPLIED, S.REOPEN_REQUESTED]
YELLOW_WINDOW = timedelta(hours=2)


def _base() -> QuerySet[Ticket]:
    return Ticket.objects.select_related("lead_department", "town", "service_point", "merged_into")


def tickets_visible_to(user) -> QuerySet[Ticket]:
    """Operators and supervisors see every ticket; department staff those their department leads or co-handles;
    anyone else none."""
    if has_permission(user, "hotline.intake") or has_permission(user, "hotline.supervise"):
        return _base()
    departments = departments_with(user, "hotline.handle")
    if not departments:
        return Ticket.objects.none()
    return _base().filter(Q(lead_department_id__in=departments) | Q(co_departments__in=departments)).distinct()


def alert_level(ticket: Ticket, now=None) -> str:
    """Red past the limit, yellow within 2 hours of it, for tickets still being worked (the sweep's flag may lag)."""
    if ticket.status not in OPEN_STATUSES or ticket.due_at is None:
        return ""
    now = now or timezone.now()
    if now > ticket.due_at:
        return "red"
    return "yellow" if ticket.due_at - now <= YELLOW_WINDOW else ""


def dispatch_queue() -> QuerySet[Ticket]:
    """Tickets waiting for the operators: new ones and those a department returned (a 办不成事 waits for the
    supervisors instead); urgent and oldest first."""
    return (_base().filter(status__in=[S.RECEIVED, S.RETURNED]).exclude(kind=Ticket.Kind.SERVICE_FAILURE)
            .order_by("-urgency", "created_at"))


def service_failures_to_assign() -> list[Ticket]:
    """办不成事 waiting for a supervisor to assign it (new, or returned by a department); oldest first."""
    return list(_base().filter(kind=Ticket.Kind.SERVICE_FAILURE, status__in=[S.TO_SUPERVISOR, S.RETURNED])
                .order_by("created_at")[:300])


def appeals_to_decide() -> list[TicketRating]:
    """Ratings a department appealed that no supervisor has decided yet; oldest appeal first."""
    return list(TicketRating.objects.filter(appealed_at__isnull=False, appeal_decision="")
                .select_related("ticket__lead_department", "appealed_by").order_by("appealed_at"))


def satisfaction_by_department(*, days: int = 90, now=None) -> list[dict]:
    """Each lead department's callers' ratings over the last ``days``: how many count and how many of those were
    satisfied (基本满意 or better). Ratings excluded on appeal stay on record but do not count."""
    since = (now or timezone.now()) - timedelta(days=days)
    rows = (TicketRating.objects.filter(rated_at__gte=since, ticket__lead_department__isnull=False)
            .values("ticket__lead_department__code", "ticket__lead_department__name")
            .annotate(counted=Count("pk", filter=~Q(appeal_decision=TicketRating.AppealDecision.EXCLUDED)),
                      satisfied=Count("pk", filter=Q(level__gte=3)
                                      & ~Q(appeal_decision=TicketRating.AppealDecision.EXCLUDED)),
                      excluded=Count("pk", filter=Q(appeal_decision=TicketRating.AppealDecision.EXCLUDED)))
            .order_by("ticket__lead_department__code"))
    return [{"code": r["ticket__lead_department__code"], "name": r["ticket__lead_department__name"],
             "counted": r["counted"], "satisfied": r["satisfied"], "excluded": r["excluded"],
             "percent": round(100 * r["satisfied"] / r["counted"]) if r["counted"] else None} for r in rows]


def co_handlings(ticket: Ticket) -> list[CoHandling]:
    return list(ticket.co_handlings.select_related("department", "done_by"))


def tickets_by_mobile(mobile: str, limit: int = 10) -> list[Ticket]:
    """The caller's earlier tickets, found by the blind index of a validated mobile."""
    return list(_base().filter(caller_mobile_index=mobile_index(mobile)).order_by("-created_at")[:limit])


def persons_by_mobile(mobile: str) -> list[Person]:
    return list(Person.objects.filter(mobile_index=mobile_index(mobile)).order_by("pk")[:5])


def merge_candidates(ticket: Ticket, limit: int = 20) -> list[Ticket]:
    """Open tickets a duplicate could join: same town first, newest first."""
    candidates = _base().exclude(pk=ticket.pk).exclude(status__in=[S.CLOSED, S.MERGED]).filter(merged_into=None)
    if ticket.town_id:
        candidates = candidates.filter(town_id=ticket.town_id)
    return list(candidates.order_by("-created_at")[:limit])


def department_tickets(user) -> list[Ticket]:
    """The tickets of the user's departments (lead or co-handler), soonest limit first. Each carries
    ``co_part``: the co-handling part of the user's department, None where it leads."""
    departments = departments_with(user, "hotline.handle")
    tickets = list(_base().filter(Q(lead_department_id__in=departments) | Q(co_departments__in=departments))
                   .filter(status__in=HANDLING_STATUSES).distinct().order_by("due_at")[:300])
    parts = {p.ticket_id: p for p in CoHandling.objects.filter(ticket__in=tickets, department_id__in=departments)}
    for ticket in tickets:
        ticket.co_part = None if ticket.lead_department_id in departments else parts.get(ticket.pk)
    return tickets


def overdue_tickets(*, department=None, town=None, now=None) -> list[Ticket]:
    """Open tickets within 2 hours of their limit or past it, most overdue first."""
    now = now or timezone.now()
    tickets = _base().filter(status__in=OPEN_STATUSES, due_at__lte=now + YELLOW_WINDOW)
    if department is not None:
        tickets = tickets.filter(lead_department=department)
    if town is not None:
        tickets = tickets.filter(town=town)
    return list(tickets.order_by("due_at")[:300])


def reopen_requested() -> list[Ticket]:
    return list(_base().filter(status=S.REOPEN_REQUESTED).prefetch_related("ratings").order_by("created_at"))


def tickets_of_resident(user) -> QuerySet[Ticket]:
    person = getattr(user, "person", None) if getattr(user, "is_authenticated", False) else None
    if person is None:
        return Ticket.objects.none()
    return _base().filter(caller=person).order_by("-created_at")


def timeline(ticket: Ticket, *, staff: bool):
    events = ticket.events.select_related("actor")
    return events if staff else events.filter(internal=False)


def department_names() -> dict[str, str]:
    return dict(Department.objects.values_list("code", "name"))
