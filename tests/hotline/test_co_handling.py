"""协办: a co-handling department adds its opinions and marks its part done; the lead department sees them on its
reply form and cannot reply before every part is in, unless a supervisor waives it. A department that is neither
lead nor co-handler is refused."""

import pytest
from django.urls import reverse

from yijianshi.accounts.permissions import NotAllowed
from yijianshi.accounts.services import InvalidInput
from yijianshi.audit.models import AuditEvent
from yijianshi.hotline import selectors, services
from yijianshi.hotline.models import CoHandling, Ticket
from yijianshi.hotline.services import Conflict
from yijianshi.notifications.models import Notification

pytestmark = pytest.mark.django_db
S = Ticket.Status
OUTAGE = "宽州镇秀延路小区停暖，换热站说是停电导致循环泵停转，供电公司说线路正常，两边推诿"
REPLY = "经住建局与供电公司联合排查，换热站专用变压器故障，已更换，当晚恢复供暖"


def _co_ticket(staff):
    ticket = services.ticket_intake(user=staff["operator"], channel="phone", kind="complaint", content=OUTAGE,
                                    caller_name="张桂兰", caller_mobile="13800000001", town_code="610830100")
    ticket = services.ticket_dispatch(user=staff["operator"], ticket=ticket, department_code="zjj",
                                      co_department_codes=["gdgs"])
    return services.ticket_accept(user=staff["zjj"], ticket=ticket)


def test_a_co_handler_adds_opinions_marks_its_part_done_and_only_then_the_lead_replies(
        staff, django_capture_on_commit_callbacks):
    ticket = _co_ticket(staff)
    part = CoHandling.objects.get(ticket=ticket)
    assert part.department.code == "gdgs" and part.status == "pending"
    with pytest.raises(Conflict, match="协办单位尚未完成协办：国网清涧供电公司"):
        services.ticket_reply(user=staff["zjj"], ticket=ticket, reply=REPLY)

    with pytest.raises(InvalidInput, match="协办意见：必填"):
        services.ticket_co_contribute(user=staff["gdgs"], ticket=ticket, opinion="好")
    services.ticket_co_contribute(user=staff["gdgs"], ticket=ticket, opinion="已派员到换热站，10kV 线路正常，专变待查")
    with pytest.raises(Conflict, match="协办单位尚未完成协办"):
        services.ticket_reply(user=staff["zjj"], ticket=ticket, reply=REPLY)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_co_contribute(user=staff["gdgs"], ticket=ticket, done=True,
                                      opinion="换热站专用变压器烧损，已协助更换并送电")
    part.refresh_from_db()
    assert part.status == "done" and part.done_by == staff["gdgs"] and "变压器烧损" in part.opinion
    assert Notification.objects.filter(recipient=staff["zjj"], subject="协办单位完成协办").exists()
    with pytest.raises(Conflict, match="已完成"):
        services.ticket_co_contribute(user=staff["gdgs"], ticket=ticket, opinion="补充一句")

    # the opinions are on the staff timeline (lead department, supervisors), not on the caller's
    staff_kinds = list(selectors.timeline(ticket, staff=True).values_list("kind", flat=True))
    assert staff_kinds.count("co_opinion") == 1 and staff_kinds.count("co_done") == 1
    assert not selectors.timeline(ticket, staff=False).filter(kind__startswith="co_").exists()
    assert AuditEvent.objects.filter(action="ticket.co_handle", object_id=ticket.number).count() == 2

    services.ticket_reply(user=staff["zjj"], ticket=ticket, reply=REPLY)
    assert Ticket.objects.get(pk=ticket.pk).status == S.REPLIED
    with pytest.raises(Conflict, match="不能再提交协办意见"):
        services.ticket_co_contribute(user=staff["gdgs"], ticket=ticket, opinion="回访正常")


def test_a_department_neither_lead_nor_co_handler_is_refused(client, staff, outsider):
    ticket = _co_ticket(staff)
    for user in (outsider, staff["zjj"], staff["operator"], staff["supervisor"]):
        with pytest.raises(NotAllowed):
            services.ticket_co_contribute(user=user, ticket=ticket, opinion="我们也来看看情况")
    client.force_login(outsider)
    assert client.get(reverse("hotline:ticket", args=[ticket.pk])).status_code == 404
    assert client.post(reverse("hotline:co-handle", args=[ticket.pk]),
                       {"opinion": "我们也来看看情况", "done": "on"}).status_code == 404
    client.force_login(staff["zjj"])  # the lead sees the co-handler's part but is not offered to act as one
    assert client.post(reverse("hotline:co-handle", args=[ticket.pk]),
                       {"opinion": "主办单位代为填写", "done": "on"}).status_code == 403
    assert CoHandling.objects.get(ticket=ticket).status == "pending"


def test_a_supervisor_waives_a_silent_co_handler_so_the_lead_can_reply(staff):
    ticket = _co_ticket(staff)
    part = CoHandling.objects.get(ticket=ticket)
    with pytest.raises(NotAllowed):
        services.ticket_co_waive(user=staff["zjj"], ticket=ticket, co_handling=part, reason="协办单位不回应")
    services.ticket_co_waive(user=staff["supervisor"], ticket=ticket, co_handling=part,
                             reason="经核实线路无故障，无需供电公司参与")
    assert CoHandling.objects.get(pk=part.pk).status == "waived"
    with pytest.raises(Conflict):
        services.ticket_co_waive(user=staff["supervisor"], ticket=ticket, co_handling=part, reason="再次免于协办")
    services.ticket_reply(user=staff["zjj"], ticket=ticket, reply=REPLY)
    assert Ticket.objects.get(pk=ticket.pk).status == S.REPLIED


def test_a_new_dispatch_starts_the_co_handlers_parts_afresh(staff):
    ticket = services.ticket_intake(user=staff["operator"], channel="phone", kind="complaint", content=OUTAGE,
                                    caller_mobile="13800000001")
    ticket = services.ticket_dispatch(user=staff["operator"], ticket=ticket, department_code="gdgs",
                                      co_department_codes=["zjj"])
    services.ticket_co_contribute(user=staff["zjj"], ticket=ticket, opinion="供热设施无异常", done=True)
    services.ticket_return(user=staff["gdgs"], ticket=ticket, reason="供热问题应由住建局主办")
    ticket = services.ticket_dispatch(user=staff["operator"], ticket=Ticket.objects.get(pk=ticket.pk),
                                      department_code="zjj", co_department_codes=["gdgs"])
    assert [(p.department.code, p.status) for p in CoHandling.objects.filter(ticket=ticket)] == [("gdgs", "pending")]


def test_the_co_handler_acts_on_the_ticket_page_and_the_lead_sees_it_on_the_reply_form(client, staff):
    ticket = _co_ticket(staff)
    client.force_login(staff["gdgs"])
    assert "本单位协办" in client.get(reverse("hotline:department")).content.decode()
    page = client.get(reverse("hotline:ticket", args=[ticket.pk]))
    assert "co_handle" in page.context["forms"] and "reply" not in page.context["forms"]
    response = client.post(reverse("hotline:co-handle", args=[ticket.pk]), {"opinion": ""})
    assert response.status_code == 400 and "协办意见：必填" in response.content.decode()

    client.force_login(staff["zjj"])
    page = client.get(reverse("hotline:ticket", args=[ticket.pk])).content.decode()
    assert "尚待协办单位完成：国网清涧供电公司" in page
    response = client.post(reverse("hotline:reply", args=[ticket.pk]), {"reply": REPLY})
    assert response.status_code == 409 and "协办单位尚未完成协办" in response.content.decode()

    client.force_login(staff["gdgs"])
    response = client.post(reverse("hotline:co-handle", args=[ticket.pk]),
                           {"opinion": "换热站专用变压器烧损，已协助更换并送电", "done": "on"})
    assert response.status_code == 302
    assert "co_handle" not in client.get(reverse("hotline:ticket", args=[ticket.pk])).context["forms"]

    client.force_login(staff["zjj"])
    page = client.get(reverse("hotline:ticket", args=[ticket.pk])).content.decode()
    reply_card = page[page.index('id="reply"'):]
    assert "换热站专用变压器烧损" in reply_card and "已完成" in reply_card and "尚待协办单位完成" not in page
    assert client.post(reverse("hotline:reply", args=[ticket.pk]), {"reply": REPLY}).status_code == 302


def test_the_supervisor_waives_on_the_ticket_page(client, staff):
    ticket = _co_ticket(staff)
    part = CoHandling.objects.get(ticket=ticket)
    client.force_login(staff["supervisor"])
    page = client.get(reverse("hotline:ticket", args=[ticket.pk]))
    assert "co_waive" in page.context["forms"]
    response = client.post(reverse("hotline:co-waive", args=[ticket.pk]), {"co_handling": part.pk, "reason": ""})
    assert response.status_code == 400 and "免于协办理由：必填" in response.content.decode()
    response = client.post(reverse("hotline:co-waive", args=[ticket.pk]),
                           {"co_handling": part.pk, "reason": "经核实线路无故障，无需供电公司参与"})
    assert response.status_code == 302 and CoHandling.objects.get(pk=part.pk).status == "waived"


def test_reopening_after_a_bad_rating_puts_done_and_waived_parts_back_to_pending_and_blocks_the_reply(
        staff, make_staff, django_capture_on_commit_callbacks):
    slj = make_staff("slj-officer", "department_officer", department="slj")
    ticket = services.ticket_intake(user=staff["operator"], channel="phone", kind="complaint", content=OUTAGE,
                                    caller_name="张桂兰", caller_mobile="13800000001")
    ticket = services.ticket_dispatch(user=staff["operator"], ticket=ticket, department_code="zjj",
                                      co_department_codes=["gdgs", "slj"])
    services.ticket_accept(user=staff["zjj"], ticket=ticket)
    services.ticket_co_contribute(user=staff["gdgs"], ticket=ticket, done=True, opinion="专变烧损，已协助更换并送电")
    waived = CoHandling.objects.get(ticket=ticket, department__code="slj")
    services.ticket_co_waive(user=staff["supervisor"], ticket=ticket, co_handling=waived, reason="与供水无关，免于协办")
    services.ticket_reply(user=staff["zjj"], ticket=ticket, reply=REPLY)
    services.ticket_rate(user=staff["operator"], ticket=ticket, level=2, comment="只恢复一天又停了")

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_review(user=staff["supervisor"], ticket=ticket, reopen=True, reason="复查后仍停暖，重办")
    parts = {p.department.code: p for p in CoHandling.objects.filter(ticket=ticket).select_related("department")}
    assert {code: p.status for code, p in parts.items()} == {"gdgs": "pending", "slj": "pending"}
    assert parts["gdgs"].done_by is None and parts["slj"].waive_reason == ""
    # the earlier work stays on the timeline; the reopening is appended, once per part
    kinds = list(selectors.timeline(ticket, staff=True).values_list("kind", flat=True))
    assert kinds.count("co_done") == 1 and kinds.count("co_waived") == 1 and kinds.count("co_reopened") == 2
    assert AuditEvent.objects.filter(action="ticket.co_reopen", object_id=ticket.number).count() == 2
    assert Notification.objects.filter(recipient=staff["gdgs"], subject="差评重办").exists()
    assert Notification.objects.filter(recipient=slj, subject="差评重办").exists()

    with pytest.raises(Conflict, match="协办单位尚未完成协办：县水利局、国网清涧供电公司"):
        services.ticket_reply(user=staff["zjj"], ticket=ticket, reply=REPLY)
    services.ticket_co_contribute(user=staff["gdgs"], ticket=ticket, done=True, opinion="已更换整台专变，运行正常")
    services.ticket_co_waive(user=staff["supervisor"], ticket=ticket, co_handling=waived, reason="仍与供水无关，免于协办")
    services.ticket_reply(user=staff["zjj"], ticket=ticket, reply=REPLY)
    assert Ticket.objects.get(pk=ticket.pk).status == S.REPLIED
