"""The caller's full number on the ticket page: masked until an operator or the handling departments' staff
reveal it with a purpose; every reveal is audited (audit_read); htmx swaps it in without a reload; a department
not involved never gets it, and the number never reaches the page before the reveal or any log."""

import logging

import pytest
from django.urls import reverse

from yijianshi.accounts.permissions import NotAllowed
from yijianshi.accounts.services import InvalidInput
from yijianshi.audit.models import AuditEvent
from yijianshi.hotline import services
from yijianshi.hotline.models import Ticket
from yijianshi.hotline.services import Conflict

pytestmark = pytest.mark.django_db
NUMBER = "13800000007"
PURPOSE = "电话回访办理结果"
HTMX = {"HTTP_HX_REQUEST": "true"}


def _ticket(staff, **overrides):
    data = dict(channel="phone", kind="complaint", caller_name="王先生", caller_mobile=NUMBER,
                content="折家坪镇街道自来水管破裂，水流了一整天没人管", town_code="610830102")
    ticket = services.ticket_intake(user=staff["operator"], **(data | overrides))
    return services.ticket_dispatch(user=staff["operator"], ticket=ticket, department_code="zjj",
                                    co_department_codes=["gdgs"])


def _reads(ticket):
    return AuditEvent.objects.filter(action="personal_data.read", object_type="hotline.ticket",
                                     object_id=ticket.number)


def test_the_operator_reveals_the_number_with_a_purpose_through_htmx_and_it_is_audited(client, staff, caplog):
    ticket = _ticket(staff)
    client.force_login(staff["operator"])
    caplog.set_level(logging.DEBUG)
    page = client.get(reverse("hotline:ticket", args=[ticket.pk])).content.decode()
    assert "138****0007" in page and NUMBER not in page and "查看完整号码" in page
    assert 'hx-post="/hotline/%d/caller-mobile/"' % ticket.pk in page

    url = reverse("hotline:caller-reveal", args=[ticket.pk])
    refused = client.post(url, {"purpose": ""}, **HTMX)
    assert refused.status_code == 400 and "查看事由：必填" in refused.content.decode()
    assert NUMBER not in refused.content.decode() and not _reads(ticket).exists()

    response = client.post(url, {"purpose": PURPOSE}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and NUMBER in body and "<html" not in body  # a fragment to swap in
    assert 'id="caller-mobile"' in body and "已记入审计日志" in body
    assert "no-store" in response["Cache-Control"]
    read = _reads(ticket).get()
    assert read.actor_user_id == staff["operator"].pk and read.reason == PURPOSE
    assert read.after == {"fields": ["mobile"]} and read.subject_party_id is None  # an anonymous caller
    assert any("caller-mobile" in record.getMessage() for record in caplog.records)  # the 400 was logged
    assert all(NUMBER not in record.getMessage() for record in caplog.records)
    assert NUMBER not in str(read.after) + read.reason + read.object_id


def test_without_javascript_the_ticket_page_comes_back_with_the_number(client, staff):
    ticket = _ticket(staff)
    client.force_login(staff["zjj"])
    response = client.post(reverse("hotline:caller-reveal", args=[ticket.pk]), {"purpose": "上门前电话联系诉求人"})
    assert response.status_code == 200 and NUMBER in response.content.decode()
    assert "办理记录" in response.content.decode()  # the whole ticket page
    assert _reads(ticket).count() == 1


def test_the_lead_and_co_handling_departments_may_reveal_but_an_uninvolved_department_and_supervisors_may_not(
        client, staff, outsider):
    ticket = _ticket(staff)
    url = reverse("hotline:caller-reveal", args=[ticket.pk])
    for user in (staff["zjj"], staff["zjj_leader"], staff["gdgs"]):
        client.force_login(user)
        assert NUMBER in client.post(url, {"purpose": PURPOSE}, **HTMX).content.decode()
    assert _reads(ticket).count() == 3

    client.force_login(outsider)
    response = client.post(url, {"purpose": PURPOSE}, **HTMX)
    assert response.status_code == 404 and NUMBER not in response.content.decode()
    client.force_login(staff["supervisor"])  # sees the ticket, not the number
    page = client.get(reverse("hotline:ticket", args=[ticket.pk])).content.decode()
    assert "查看完整号码" not in page and NUMBER not in page
    response = client.post(url, {"purpose": PURPOSE}, **HTMX)
    assert response.status_code == 403 and NUMBER not in response.content.decode()
    with pytest.raises(NotAllowed):
        services.ticket_caller_reveal(user=outsider, ticket=ticket, purpose=PURPOSE)
    assert _reads(ticket).count() == 3


def test_a_registered_callers_number_is_audited_against_her(staff, resident):
    ticket = _ticket(staff, caller=resident.person, caller_mobile="")
    assert services.ticket_caller_reveal(user=staff["operator"], ticket=ticket, purpose=PURPOSE) == "13800000001"
    read = _reads(ticket).get()
    assert read.subject_party_id == resident.person.pk and read.principal_party_id == resident.person.pk


def test_a_short_purpose_or_a_ticket_without_a_number_is_refused(staff):
    ticket = _ticket(staff)
    with pytest.raises(InvalidInput, match="查看事由"):
        services.ticket_caller_reveal(user=staff["operator"], ticket=ticket, purpose="看看")
    silent = _ticket(staff, caller_mobile="", wants_reply=False)
    with pytest.raises(Conflict, match="没有留联系电话"):
        services.ticket_caller_reveal(user=staff["operator"], ticket=silent, purpose=PURPOSE)
    assert not AuditEvent.objects.filter(action="personal_data.read").exists()
    assert Ticket.objects.get(pk=ticket.pk).caller_mobile == NUMBER
