"""Appeals of abusive ticket ratings: the lead department's leader appeals, a supervisor excludes the rating (kept
on record, no longer counted, the reopen request it caused closed with the supervisor's reason) or upholds it."""

import pytest
from django.urls import reverse

from yijianshi.accounts.permissions import NotAllowed
from yijianshi.accounts.services import InvalidInput
from yijianshi.audit.models import AuditEvent
from yijianshi.hotline import selectors, services
from yijianshi.hotline.models import Ticket, TicketRating
from yijianshi.hotline.services import Conflict
from yijianshi.notifications.models import Notification

pytestmark = pytest.mark.django_db
S = Ticket.Status
ABUSE = "办事的全是废物，骂人的话不写了"
REASON = "评价内容为辱骂工作人员，且供暖已于当晚恢复，有回访录音为证"


def _rate(staff, ticket, level, comment=ABUSE) -> TicketRating:
    services.ticket_rate(user=staff["operator"], ticket=ticket, level=level, comment=comment)
    return ticket.ratings.order_by("-pk").first()


def test_an_excluded_rating_stays_on_record_stops_counting_and_closes_the_reopen_request(
        staff, replied, django_capture_on_commit_callbacks):
    ticket = replied()
    rating = _rate(staff, ticket, 1)
    assert Ticket.objects.get(pk=ticket.pk).status == S.REOPEN_REQUESTED
    assert selectors.satisfaction_by_department()[0] == {
        "code": "zjj", "name": "县住建局", "counted": 1, "satisfied": 0, "excluded": 0, "percent": 0}

    for not_leader in (staff["zjj"], staff["gdgs"], staff["operator"], staff["supervisor"]):
        with pytest.raises(NotAllowed):
            services.ticket_rating_appeal(user=not_leader, rating=rating, reason=REASON)
    with pytest.raises(InvalidInput, match="申诉理由：至少 10 个字"):
        services.ticket_rating_appeal(user=staff["zjj_leader"], rating=rating, reason="恶意差评")
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_rating_appeal(user=staff["zjj_leader"], rating=rating, reason=REASON)
    assert Notification.objects.filter(recipient=staff["supervisor"], subject="评价申诉待复核").exists()
    with pytest.raises(Conflict, match="已申诉过"):
        services.ticket_rating_appeal(user=staff["zjj_leader"], rating=rating, reason=REASON)
    assert [r.pk for r in selectors.appeals_to_decide()] == [rating.pk]

    with pytest.raises(NotAllowed):
        services.ticket_rating_appeal_decide(user=staff["zjj_leader"], rating=rating, exclude=True, reason="同意")
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_rating_appeal_decide(user=staff["supervisor"], rating=rating, exclude=True,
                                             reason="经核听录音，评价为辱骂，不计入")
    rating.refresh_from_db()
    ticket.refresh_from_db()
    assert rating.level == 1 and rating.comment == ABUSE  # still on record
    assert rating.appeal_decision == "excluded" and not rating.counts and rating.decided_by == staff["supervisor"]
    assert ticket.status == S.CLOSED and ticket.close_reason == "评价经申诉不计入：经核听录音，评价为辱骂，不计入"
    assert selectors.satisfaction_by_department()[0] == {
        "code": "zjj", "name": "县住建局", "counted": 0, "satisfied": 0, "excluded": 1, "percent": None}
    assert selectors.appeals_to_decide() == []

    kinds = list(ticket.events.values_list("kind", "internal"))
    assert kinds[-3:] == [("rating_appealed", True), ("rating_appeal_decided", True), ("closed", False)]
    # the caller's own page does not show the departments' dispute
    assert "rating_appealed" not in selectors.timeline(ticket, staff=False).values_list("kind", flat=True)
    actions = set(AuditEvent.objects.filter(object_id=ticket.number).values_list("action", flat=True))
    assert {"ticket.rating_appeal", "ticket.rating_appeal_decide", "ticket.closed"} <= actions
    assert Notification.objects.filter(recipient=staff["zjj_leader"], subject="评价申诉复核结果").exists()


def test_an_upheld_rating_counts_and_the_ticket_still_waits_for_review(staff, replied):
    ticket = replied()
    rating = _rate(staff, ticket, 2, comment="第二天又不热了，说明没修好")
    services.ticket_rating_appeal(user=staff["zjj_leader"], rating=rating, reason=REASON)
    services.ticket_rating_appeal_decide(user=staff["supervisor"], rating=rating, exclude=False,
                                         reason="诉求人反映的是实际情况，评价有效")
    rating.refresh_from_db()
    assert rating.appeal_decision == "upheld" and rating.counts
    assert Ticket.objects.get(pk=ticket.pk).status == S.REOPEN_REQUESTED
    assert selectors.satisfaction_by_department()[0]["counted"] == 1
    with pytest.raises(Conflict, match="没有待复核的申诉"):
        services.ticket_rating_appeal_decide(user=staff["supervisor"], rating=rating, exclude=True, reason="改判")


def test_excluding_a_rating_after_the_ticket_was_reopened_leaves_the_new_handling_alone(staff, replied):
    ticket = replied()
    rating = _rate(staff, ticket, 1)
    services.ticket_review(user=staff["supervisor"], ticket=ticket, reopen=True, reason="差评重办，再次上门")
    services.ticket_rating_appeal(user=staff["zjj_leader"], rating=rating, reason=REASON)
    services.ticket_rating_appeal_decide(user=staff["supervisor"], rating=rating, exclude=True, reason="评价为辱骂")
    assert Ticket.objects.get(pk=ticket.pk).status == S.IN_PROGRESS
    assert not TicketRating.objects.get(pk=rating.pk).counts


def test_a_satisfied_rating_cannot_be_appealed(staff, replied):
    ticket = replied()
    rating = _rate(staff, ticket, 4, comment="")
    with pytest.raises(Conflict, match="只能对"):
        services.ticket_rating_appeal(user=staff["zjj_leader"], rating=rating, reason=REASON)


def test_the_leader_appeals_on_the_ticket_page_and_the_supervisor_decides_from_the_supervision_view(
        client, staff, replied):
    ticket = replied()
    rating = _rate(staff, ticket, 1)
    url = reverse("hotline:ticket", args=[ticket.pk])

    client.force_login(staff["zjj"])  # an officer sees the rating but not the appeal form
    assert "appeal" not in client.get(url).context["forms"]
    assert client.post(reverse("hotline:appeal", args=[ticket.pk]),
                       {"rating": rating.pk, "reason": REASON}).status_code == 403

    client.force_login(staff["zjj_leader"])
    page = client.get(url)
    assert "评价申诉" in page.content.decode() and "appeal" in page.context["forms"]
    response = client.post(reverse("hotline:appeal", args=[ticket.pk]), {"rating": rating.pk, "reason": ""})
    assert response.status_code == 400 and "申诉理由：必填" in response.content.decode()
    response = client.post(reverse("hotline:appeal", args=[ticket.pk]), {"rating": rating.pk, "reason": REASON})
    assert response.status_code == 302 and TicketRating.objects.get(pk=rating.pk).appeal_pending
    assert "appeal" not in client.get(url).context["forms"]  # appealed once; nothing more to appeal

    client.force_login(staff["supervisor"])
    overview = client.get(reverse("hotline:overdue")).content.decode()
    assert "评价申诉待复核" in overview and ticket.number in overview and REASON[:20] in overview
    page = client.get(url).content.decode()
    assert "评价申诉复核" in page and REASON in page
    response = client.post(reverse("hotline:appeal-decide", args=[ticket.pk]),
                           {"rating": rating.pk, "decision": "exclude", "reason": "经核听录音，评价为辱骂"})
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).status == S.CLOSED
    page = client.get(url).content.decode()
    assert "申诉成立，不计入评价" in page and ABUSE in page
    assert "评价申诉复核" not in page
