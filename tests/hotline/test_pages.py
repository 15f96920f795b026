"""The 12345 pages through the test client: intake with field errors, the caller look-up, dispatch suggestions,
who may open which ticket, and the supervisors' overdue view."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from yijianshi.hotline import services
from yijianshi.hotline.models import DispatchDecision, Ticket

pytestmark = pytest.mark.django_db
S = Ticket.Status
HEATING = "宽州镇秀延路小区连续三天停暖，家里老人受冻，请尽快处理"


def _login(client, user):
    client.force_login(user)
    return client


def _call(operator, **overrides):
    data = dict(channel="phone", kind="complaint", content=HEATING, caller_name="张桂兰",
                caller_mobile="13800000001", town_code="610830100", address="秀延路小区 3 号楼")
    return services.ticket_intake(user=operator, **(data | overrides))


def test_the_operator_takes_a_call_and_lands_on_the_ticket_to_dispatch(client, staff):
    response = _login(client, staff["operator"]).post(reverse("hotline:console"), {
        "caller_mobile": "138 0000 0001", "caller_name": "张女士", "kind": "complaint", "urgency": "normal",
        "town_code": "610830100", "address": "秀延路小区", "content": HEATING, "wants_reply": "on"})
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("hotline:ticket", args=[ticket.pk])
    assert ticket.channel == Ticket.Channel.PHONE and ticket.caller_mobile == "13800000001"


@pytest.mark.parametrize("change, field, words", [
    (dict(content="停暖"), "content", "诉求内容：请至少写 5 个字"),
    (dict(caller_mobile="12345"), "caller_mobile", "联系电话"),
    (dict(caller_mobile=""), "caller_mobile", "联系电话：需要答复时必填"),
    (dict(content=""), "content", "诉求内容：必填"),
])
def test_intake_with_a_bad_field_answers_400_naming_it_and_saves_nothing(client, staff, change, field, words):
    data = {"caller_mobile": "13800000001", "kind": "complaint", "urgency": "normal", "content": HEATING,
            "wants_reply": "on"} | change
    response = _login(client, staff["operator"]).post(reverse("hotline:console"), data)
    assert response.status_code == 400
    assert any(words in error for error in response.context["form"].errors[field])
    assert words in response.content.decode()
    assert not Ticket.objects.exists()


def test_the_caller_look_up_shows_previous_tickets_of_that_mobile_and_the_registered_person(
        client, staff, resident):
    earlier = _call(staff["operator"])
    other = _call(staff["operator"], caller_mobile="13800000009", content="下廿里铺镇路灯不亮已经一周了")
    response = _login(client, staff["operator"]).post(reverse("hotline:caller-lookup"),
                                                       {"caller_mobile": "13800000001"})
    page = response.content.decode()
    assert response.status_code == 200
    assert earlier.number in page and other.number not in page
    assert "已实名注册" in page and "张**" in page and "张桂兰" not in page
    assert "13800000001" not in page  # the mobile comes back masked only


def test_the_ticket_page_offers_the_classifiers_suggestions_and_dispatch_records_them(client, staff):
    ticket = _call(staff["operator"])
    _login(client, staff["operator"])
    response = client.get(reverse("hotline:ticket", args=[ticket.pk]))
    page = response.content.decode()
    suggestions = response.context["suggestions"]
    assert response.status_code == 200 and len(suggestions) == 3
    assert suggestions[0]["name"] in page and f"{suggestions[0]['percent']}%" in page
    assert response.context["forms"]["dispatch"].initial["department_code"] == suggestions[0]["code"]
    assert "138****0001" in page and "13800000001" not in page

    console = client.get(reverse("hotline:console")).content.decode()
    assert ticket.number in console and suggestions[0]["name"] in console

    response = client.post(reverse("hotline:dispatch", args=[ticket.pk]), {
        "department_code": "zjj", "co_department_codes": ["gdgs"], "service_point_code": "town-610830100"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == S.DISPATCHED and ticket.lead_department.code == "zjj"
    decision = DispatchDecision.objects.get(ticket=ticket)
    assert [s[0] for s in decision.suggested] == [s["code"] for s in suggestions]


def test_dispatch_without_a_department_answers_400(client, staff):
    ticket = _call(staff["operator"])
    response = _login(client, staff["operator"]).post(reverse("hotline:dispatch", args=[ticket.pk]),
                                                       {"department_code": ""})
    assert response.status_code == 400 and "主办单位：必填" in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).status == S.RECEIVED


def test_a_department_officer_of_another_department_gets_404(client, staff):
    ticket = services.ticket_dispatch(user=staff["operator"], ticket=_call(staff["operator"]), department_code="zjj")
    assert _login(client, staff["gdgs"]).get(reverse("hotline:ticket", args=[ticket.pk])).status_code == 404
    assert client.post(reverse("hotline:accept", args=[ticket.pk])).status_code == 404
    _login(client, staff["zjj"])
    assert client.get(reverse("hotline:ticket", args=[ticket.pk])).status_code == 200
    assert ticket.number in client.get(reverse("hotline:department")).content.decode()


def test_the_lead_department_accepts_and_a_short_reply_is_refused_with_400(client, staff):
    ticket = services.ticket_dispatch(user=staff["operator"], ticket=_call(staff["operator"]), department_code="zjj")
    _login(client, staff["zjj"])
    assert client.post(reverse("hotline:accept", args=[ticket.pk])).status_code == 302
    response = client.post(reverse("hotline:reply", args=[ticket.pk]), {"reply": "已处理"})
    assert response.status_code == 400 and "答复内容：至少 10 个字" in response.content.decode()
    response = client.post(reverse("hotline:reply", args=[ticket.pk]), {"reply": "已联系供热公司更换循环泵，当晚恢复供暖"})
    assert response.status_code == 302 and Ticket.objects.get(pk=ticket.pk).status == S.REPLIED
    # a second accept is a conflict, not an error page
    assert client.post(reverse("hotline:accept", args=[ticket.pk])).status_code == 409


def test_a_resident_cannot_open_another_residents_ticket(client, resident, relative):
    _login(client, resident)
    assert "12345 网上留言" in client.get(reverse("hotline:new")).content.decode()
    response = client.post(reverse("hotline:new"), {"kind": "request", "content": "村里的路灯坏了一个月了",
                                                     "town_code": "610830101", "wants_reply": "on"})
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and ticket.channel == Ticket.Channel.WEB
    assert ticket.caller.pk == resident.person.pk
    assert client.get(reverse("hotline:mine-detail", args=[ticket.number])).status_code == 200
    assert ticket.number in client.get(reverse("hotline:mine")).content.decode()

    _login(client, relative)
    assert client.get(reverse("hotline:mine-detail", args=[ticket.number])).status_code == 404
    assert client.post(reverse("hotline:mine-rate", args=[ticket.number]), {"level": 5}).status_code == 404
    assert ticket.number not in client.get(reverse("hotline:mine")).content.decode()
    assert client.get(reverse("hotline:ticket", args=[ticket.pk])).status_code == 403  # not staff at all


def test_the_resident_rates_the_reply_and_a_bad_rating_needs_a_reason(client, staff, resident):
    ticket = _call(staff["operator"], caller=resident.person)
    ticket = services.ticket_dispatch(user=staff["operator"], ticket=ticket, department_code="zjj")
    services.ticket_accept(user=staff["zjj"], ticket=ticket)
    services.ticket_reply(user=staff["zjj"], ticket=ticket, reply="已联系供热公司更换循环泵，当晚恢复供暖")
    _login(client, resident)
    page = client.get(reverse("hotline:mine-detail", args=[ticket.number])).content.decode()
    assert "请您评价办理结果" in page and "非常不满意" in page and "恢复供暖" in page
    url = reverse("hotline:mine-rate", args=[ticket.number])
    response = client.post(url, {"level": 2})
    assert response.status_code == 400 and "评价说明：不满意时请说明原因" in response.content.decode()
    assert client.post(url, {"level": 2, "comment": "第二天又不热了"}).status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).status == S.REOPEN_REQUESTED


def test_the_overdue_view_lists_a_past_due_ticket_for_supervisors_only(client, staff):
    late = services.ticket_dispatch(user=staff["operator"], ticket=_call(staff["operator"]), department_code="zjj")
    Ticket.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=3))
    soon = services.ticket_dispatch(user=staff["operator"], ticket=_call(staff["operator"], content="燃气管道漏气请处理"),
                                    department_code="trqgs")
    Ticket.objects.filter(pk=soon.pk).update(due_at=timezone.now() + timedelta(hours=1))
    fine = _call(staff["operator"], content="咨询社保卡补办的地方")

    response = _login(client, staff["supervisor"]).get(reverse("hotline:overdue"))
    page = response.content.decode()
    assert response.status_code == 200
    assert late.number in page and soon.number in page and fine.number not in page
    flags = {row["ticket"].number: row["flag"] for row in response.context["rows"]}
    assert flags == {late.number: "red", soon.number: "yellow"}
    filtered = client.get(reverse("hotline:overdue"), {"department": "zjj"}).content.decode()
    assert late.number in filtered and soon.number not in filtered

    response = client.post(reverse("hotline:supervise", args=[late.pk]), {"note": "老人受冻，请今日内上门"})
    assert response.status_code == 302 and late.events.filter(kind="supervised").exists()

    for user in (staff["operator"], staff["zjj"]):
        assert _login(client, user).get(reverse("hotline:overdue")).status_code == 403


def test_the_operator_answers_a_consultation_at_once_and_merges_a_duplicate(client, staff):
    _login(client, staff["operator"])
    question = _call(staff["operator"], kind="consultation", content="新生儿上户口需要带什么材料？")
    response = client.post(reverse("hotline:answer", args=[question.pk]), {"answer": "出生医学证明、父母户口簿和身份证"})
    assert response.status_code == 302 and Ticket.objects.get(pk=question.pk).status == S.CLOSED

    first = _call(staff["operator"])
    second = _call(staff["operator"], caller_mobile="13800000005")
    response = client.post(reverse("hotline:merge", args=[second.pk]), {"into": "RX000"})
    assert response.status_code == 400 and "并入工单编号：没有这个工单" in response.content.decode()
    assert client.post(reverse("hotline:merge", args=[second.pk]), {"into": first.number}).status_code == 302
    second.refresh_from_db()
    assert second.status == S.MERGED and second.merged_into_id == first.pk


def test_a_resident_attaches_photos_that_only_she_and_the_staff_can_open(resident, relative, make_staff, settings,
                                                                          tmp_path):
    from django.test import Client

    from yijianshi.hotline.models import Ticket

    settings.UPLOAD_ROOT = tmp_path
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    client = Client()
    client.force_login(resident)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post("/hotline/new/", {
        "kind": "request", "content": "折家坪镇街道自来水管破裂，水流了一整天没人管", "town_code": "610830102",
        "wants_reply": "on", "photos": [SimpleUploadedFile("a.png", png, "image/png")]})
    assert response.status_code == 302, [l for l in response.content.decode().splitlines() if "error" in l][:5]
    ticket = Ticket.objects.get()
    photo = ticket.photos.get()
    url = f"/hotline/{ticket.pk}/photos/{photo.pk}/"
    assert client.get(url).content == png
    stranger = Client()
    stranger.force_login(relative)
    assert stranger.get(url).status_code == 404
    operator = Client()
    operator.force_login(make_staff("operator", "hotline_operator"))
    assert operator.get(url).status_code == 200

    bad = client.post("/hotline/new/", {"kind": "request", "content": "路灯坏了一个多月了", "wants_reply": "on",
                                        "photos": [SimpleUploadedFile("a.pdf", b"%PDF-1.4 x", "application/pdf")]})
    assert bad.status_code == 400 and "照片" in bad.content.decode() and Ticket.objects.count() == 1
