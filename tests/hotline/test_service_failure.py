"""办不成事: the ticket goes to the supervisors, not the operators' queue; a supervisor assigns it (交办) to the
responsible department as lead handler, with co-handlers and a 督办 attached; then it follows the normal loop, and a
return sends it back to the supervisors."""

import pytest
from django.urls import reverse

from yijianshi.accounts.permissions import NotAllowed
from yijianshi.accounts.services import InvalidInput
from yijianshi.hotline import selectors, services
from yijianshi.hotline.models import Ticket
from yijianshi.hotline.services import Conflict
from yijianshi.notifications.models import Notification

pytestmark = pytest.mark.django_db
S = Ticket.Status
FAILURE = "在县政务大厅办房屋交易网签备案，跑了三趟都说系统不通，窗口让回家等通知，到现在办不成"


def _failure(operator, **overrides):
    data = dict(channel="phone", kind="service_failure", content=FAILURE, caller_name="李秀兰",
                caller_mobile="13800000005", town_code="610830100")
    return services.ticket_intake(user=operator, **(data | overrides))


def test_a_service_failure_is_assigned_by_a_supervisor_with_a_supervision_and_runs_the_whole_loop(
        staff, django_capture_on_commit_callbacks):
    operator, supervisor = staff["operator"], staff["supervisor"]
    with django_capture_on_commit_callbacks(execute=True):
        ticket = _failure(operator)
    assert ticket.status == S.TO_SUPERVISOR
    assert Notification.objects.filter(recipient=supervisor, subject="办不成事工单待交办").exists()
    assert ticket not in selectors.dispatch_queue() and ticket in selectors.service_failures_to_assign()

    with pytest.raises(Conflict, match="由效能监督员交办"):
        services.ticket_dispatch(user=operator, ticket=ticket, department_code="zjj")
    with pytest.raises(NotAllowed):
        services.ticket_assign(user=operator, ticket=ticket, department_code="zjj", note="请尽快办理")
    with pytest.raises(InvalidInput, match="督办意见：必填"):
        services.ticket_assign(user=supervisor, ticket=ticket, department_code="zjj", note="")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.ticket_assign(user=supervisor, ticket=ticket, department_code="zjj",
                                        co_department_codes=["gdgs"], note="群众跑了三趟未办成，请今日内联系并办结")
    assert ticket.status == S.DISPATCHED and ticket.lead_department.code == "zjj"
    assert [d.code for d in ticket.co_departments.all()] == ["gdgs"]
    assert ticket.events.filter(kind="supervised", message__contains="跑了三趟未办成").exists()
    # the leader hears of the 督办 at once, the handlers and the co-handler too
    for user in (staff["zjj_leader"], staff["zjj"], staff["gdgs"]):
        assert Notification.objects.filter(recipient=user, subject="办不成事工单交办督办").exists()

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_return(user=staff["zjj"], ticket=ticket, reason="网签系统由县自然资源局维护，非本局职责")
    assert Notification.objects.filter(recipient=supervisor, subject="办不成事工单退单，请重新交办").exists()
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket in selectors.service_failures_to_assign() and ticket not in selectors.dispatch_queue()
    with pytest.raises(Conflict):
        services.ticket_dispatch(user=operator, ticket=ticket, department_code="zjj")
    ticket = services.ticket_assign(user=supervisor, ticket=ticket, department_code="zjj",
                                    note="网签备案属住建局职责，系统问题请协调解决，今日办结")

    services.ticket_accept(user=staff["zjj"], ticket=ticket)
    services.ticket_reply(user=staff["zjj"], ticket=ticket, reply="已修复网签系统接口，当日为群众办结网签备案")
    services.ticket_rate(user=operator, ticket=ticket, level=5)
    ticket.refresh_from_db()
    assert ticket.status == S.CLOSED
    assert list(ticket.events.values_list("kind", flat=True)) == [
        "received", "to_supervisor", "assigned", "supervised", "returned", "assigned", "supervised",
        "in_progress", "replied", "closed"]


def test_only_a_service_failure_is_assigned_by_a_supervisor(staff):
    complaint = services.ticket_intake(user=staff["operator"], channel="phone", kind="complaint",
                                       content="路灯坏了一个多月没人修", caller_mobile="13800000001")
    with pytest.raises(Conflict, match="只有办不成事"):
        services.ticket_assign(user=staff["supervisor"], ticket=complaint, department_code="zjj", note="请尽快办理")


def test_a_residents_service_failure_from_the_web_form_also_waits_for_the_supervisors(client, resident):
    client.force_login(resident)
    response = client.post(reverse("hotline:new"), {"kind": "service_failure", "content": FAILURE,
                                                     "town_code": "610830100", "wants_reply": "on"})
    assert response.status_code == 302
    assert Ticket.objects.get().status == S.TO_SUPERVISOR


def test_the_supervisor_assigns_from_the_supervision_view_and_the_operator_is_not_offered_dispatch(client, staff):
    ticket = _failure(staff["operator"])
    client.force_login(staff["operator"])
    page = client.get(reverse("hotline:ticket", args=[ticket.pk]))
    assert "dispatch" not in page.context["forms"] and "assign" not in page.context["forms"]
    assert ticket.number not in client.get(reverse("hotline:console")).content.decode()

    client.force_login(staff["supervisor"])
    overview = client.get(reverse("hotline:overdue")).content.decode()
    assert "办不成事待交办" in overview and ticket.number in overview
    page = client.get(reverse("hotline:ticket", args=[ticket.pk]))
    assert len(page.context["suggestions"]) == 3 and "交办并督办" in page.content.decode()
    response = client.post(reverse("hotline:assign", args=[ticket.pk]), {"department_code": "zjj", "note": ""})
    assert response.status_code == 400 and "督办意见：必填" in response.content.decode()
    response = client.post(reverse("hotline:assign", args=[ticket.pk]), {
        "department_code": "zjj", "service_point_code": "town-610830100", "note": "请今日内联系群众办结"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == S.DISPATCHED and ticket.service_point.code == "town-610830100"
