"""The resident's own numbers on 我的空间."""

from django import template
from django.utils import timezone

from yijianshi.cases.models import Rating
from yijianshi.hall import selectors, services

register = template.Library()


@register.inclusion_tag("hall/_my_tickets.html", takes_context=True)
def my_hall_tickets(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"tickets": []}
    tickets = list(selectors.my_tickets(user))
    rated = set(Rating.objects.filter(hall_ticket__in=tickets).values_list("hall_ticket_id", flat=True))
    now = timezone.now()
    rows = []
    for ticket in tickets:
        can_rate = (ticket.status == ticket.Status.DONE and ticket.pk not in rated
                    and services.rating_open_until(ticket) >= now)
        rows.append({"ticket": ticket, "url": services.ticket_url(ticket),
                     "rate": services.rating_url(ticket) if can_rate else ""})
    return {"tickets": rows}
