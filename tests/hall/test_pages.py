"""The hall's pages: the kiosk, the ticket's page, the call screen, the window desk, the rating page and pad, the
helpers' list, 我的空间, the supervisors' figures and the appeal pages."""

import re

import pytest
from django.test import Client

from tests.conftest import RESIDENT_ID
from yijianshi.cases.models import Rating, RectificationTask
from yijianshi.hall import services
from yijianshi.hall.models import QueueTicket

pytestmark = pytest.mark.django_db
S = QueueTicket.Status


def client_for(user=None):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_the_kiosk_gives_a_number_and_the_ticket_page_shows_the_wait(hall):
    kiosk = client_for()
    page = kiosk.get("/hall/county-hall/take/?bundle=newborn")
    assert page.status_code == 200
    html = page.content.decode()
    assert "综合受理" in html and "水电气暖" in html
    assert re.search(r'value="general"[^>]*checked', html)            # 新生儿出生 is taken at 综合受理
    response = kiosk.post("/hall/county-hall/take/", {"category": "general", "id_number": RESIDENT_ID,
                                                      "declared_priority": "", "mobile": ""})
    assert response.status_code == 302
    ticket = QueueTicket.objects.get()
    assert response["Location"] == f"/hall/tickets/{services.ticket_token(ticket)}/?new=1"
    slip = kiosk.get(response["Location"]).content.decode()
    assert "A001" in slip and "绿色通道 · 70 岁以上老年人" in slip and "前面还有" in slip
    assert "data:image/svg+xml" in slip                                 # the QR code to rate later
    assert RESIDENT_ID not in slip


def test_the_kiosk_names_the_wrong_field_in_chinese(hall):
    kiosk = client_for()
    response = kiosk.post("/hall/county-hall/take/", {"category": "general", "mobile": "12345"})
    assert response.status_code == 400
    assert "短信提醒手机号：应为 11 位中国大陆手机号" in response.content.decode()
    response = kiosk.post("/hall/county-hall/take/", {"mobile": ""})
    assert response.status_code == 400 and "办理业务：必填" in response.content.decode()
    assert not QueueTicket.objects.exists()
    assert client_for().get("/hall/town-610830108/take/").status_code == 404   # no queue system there


def test_a_signed_in_resident_takes_a_number_on_the_phone_and_finds_it_in_me(hall, resident):
    phone = client_for(resident)
    assert phone.post("/hall/county-hall/take/", {"category": "social"}).status_code == 302
    ticket = QueueTicket.objects.get()
    assert ticket.user == resident and ticket.channel == "online" and ticket.priority == "aged"
    me = phone.get("/me/").content.decode()
    assert "我的取号" in me and "C001" in me and services.ticket_url(ticket) in me


def test_the_holder_cancels_the_number(hall):
    ticket = services.ticket_take(service_point=hall, category_code="general")
    response = client_for().post(f"/hall/tickets/{services.ticket_token(ticket)}/cancel/")
    assert response.status_code == 302
    assert QueueTicket.objects.get().status == S.CANCELLED
    assert client_for().post(f"/hall/tickets/{ticket.pk}-{'0' * 24}/cancel/").status_code == 404


def test_the_call_screen_shows_the_latest_call_and_refreshes_itself(hall, window, clerk):
    screen = client_for()
    assert "请取号等候叫号" in screen.get("/hall/county-hall/screen/").content.decode()
    services.ticket_take(service_point=hall, category_code="general")
    services.ticket_take(service_point=hall, category_code="social")
    services.call_next(user=clerk, window=window("C02"))
    page = screen.get("/hall/county-hall/screen/").content.decode()
    assert 'hx-trigger="every 3s"' in page and "site-header" not in page
    assert re.search(r'screen-number">C001</span> 号 到 <span class="screen-window">C02', page)
    partial = screen.get("/hall/county-hall/screen/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "C001" in partial and "综合受理" in partial   # 1 waiting for 综合受理


def test_the_clerk_works_a_number_through_the_window_page(hall, window, clerk):
    ticket = services.ticket_take(service_point=hall, category_code="general", declared_priority="pregnant")
    a04 = window("A04")
    desk = client_for(clerk)
    page = desk.get(f"/hall/windows/{a04.pk}/").content.decode()
    assert "叫下一位（等候 1 人）" in page and "A001" in page
    assert desk.post(f"/hall/windows/{a04.pk}/call/").status_code == 302
    assert "群众已到，开始办理" in desk.get(f"/hall/windows/{a04.pk}/").content.decode()
    assert desk.post(f"/hall/windows/{a04.pk}/start/", {"ticket": ticket.pk}).status_code == 302
    response = desk.post(f"/hall/windows/{a04.pk}/finish/", {"ticket": ticket.pk, "case_number": "QJ1"})
    assert response.status_code == 400 and "办件编号：不存在" in response.content.decode()
    response = desk.post(f"/hall/windows/{a04.pk}/finish/", {"ticket": ticket.pk, "case_number": ""})
    assert response.status_code == 302
    assert QueueTicket.objects.get().status == S.DONE
    # A second press on the stale page meets a conflict, not someone else's number.
    response = desk.post(f"/hall/windows/{a04.pk}/start/", {"ticket": ticket.pk})
    assert response.status_code == 409 and "刷新" in response.content.decode()


def test_the_clerk_transfers_with_a_reason_and_marks_a_disabled_resident(hall, window, clerk):
    first = services.ticket_take(service_point=hall, category_code="general")
    second = services.ticket_take(service_point=hall, category_code="general")
    a01 = window("A01")
    desk = client_for(clerk)
    assert desk.post(f"/hall/queue/{second.pk}/priority/", {"reason": "disabled",
                                                            "back": f"/hall/windows/{a01.pk}/"}).status_code == 302
    assert QueueTicket.objects.get(pk=second.pk).priority == "disabled"
    desk.post(f"/hall/windows/{a01.pk}/call/")
    desk.post(f"/hall/windows/{a01.pk}/start/", {"ticket": second.pk})
    response = desk.post(f"/hall/windows/{a01.pk}/transfer/", {"ticket": second.pk, "category": "", "to_window": ""})
    assert response.status_code == 400 and "转办去向：请选择一个业务类别或一个窗口" in response.content.decode()
    response = desk.post(f"/hall/windows/{a01.pk}/transfer/", {"ticket": second.pk, "category": "social",
                                                              "reason": "办理残疾人社保补贴"})
    assert response.status_code == 302
    moved = QueueTicket.objects.get(pk=second.pk)
    assert moved.status == S.WAITING and moved.category.code == "social" and first.status == S.WAITING


def test_a_clerk_of_another_service_point_does_not_see_the_county_windows(hall, window, town_clerk):
    ticket = services.ticket_take(service_point=hall, category_code="general")
    desk = client_for(town_clerk)
    a01 = window("A01")
    assert desk.get(f"/hall/windows/{a01.pk}/").status_code == 404
    assert desk.post(f"/hall/windows/{a01.pk}/call/").status_code == 404
    assert desk.post(f"/hall/queue/{ticket.pk}/priority/", {"reason": "disabled"}).status_code == 404
    listing = desk.get("/hall/windows/").content.decode()
    assert "宽州镇便民服务中心" in listing and "A01" not in listing
    assert QueueTicket.objects.get().status == S.WAITING


def test_the_resident_rates_once_on_the_rating_page(hall, window, clerk):
    ticket = services.ticket_take(service_point=hall, category_code="pickup")
    rate_url = f"/hall/rate/{services.ticket_token(ticket)}/"
    phone = client_for()
    assert "服务办结后才能评价" in phone.get(rate_url).content.decode()
    g01 = window("G01")
    services.call_next(user=clerk, window=g01)
    services.ticket_start(user=clerk, window=g01, ticket_id=ticket.pk)
    services.ticket_finish(user=clerk, window=g01, ticket_id=ticket.pk)
    assert "非常满意" in phone.get(rate_url).content.decode()
    response = phone.post(rate_url, {"level": "2", "comment": ""})
    assert response.status_code == 400 and "评价说明：不满意时请写明原因" in response.content.decode()
    response = phone.post(rate_url, {"level": "4", "comment": "态度好"})
    assert response.status_code == 200 and "您已评价：满意" in response.content.decode()
    again = phone.post(rate_url, {"level": "1", "comment": "再评一次"})
    assert again.status_code == 409 and "您已评价：满意" in again.content.decode()
    assert Rating.objects.get().level == 4
    assert client_for().get(f"/hall/rate/{ticket.pk}-{'a' * 24}/").status_code == 404


def test_the_rating_pad_offers_the_last_service_of_its_window(hall, window, clerk):
    ticket = services.ticket_take(service_point=hall, category_code="police")
    d01 = window("D01")
    pad = client_for(clerk)
    assert "办结后，这里会出现评价选项" in pad.get(f"/hall/windows/{d01.pk}/pad/").content.decode()
    services.call_next(user=clerk, window=d01)
    services.ticket_start(user=clerk, window=d01, ticket_id=ticket.pk)
    services.ticket_finish(user=clerk, window=d01, ticket_id=ticket.pk)
    page = pad.get(f"/hall/windows/{d01.pk}/pad/").content.decode()
    assert "号码 <strong>D001</strong>" in page and "退出登录" not in page
    response = pad.post(f"/hall/rate/{services.ticket_token(ticket)}/", {"level": "5", "pad": d01.pk})
    assert response.status_code == 302 and response["Location"] == f"/hall/windows/{d01.pk}/pad/"
    assert Rating.objects.get().rated_by is None                       # the clerk's session is not the rater
    assert "办结后，这里会出现评价选项" in pad.get(f"/hall/windows/{d01.pk}/pad/").content.decode()


def test_helpers_see_their_points_help_requests(hall, helper, make_staff):
    ticket = services.ticket_take(service_point=hall, category_code="social", needs_help=True)
    desk = client_for(helper)
    page = desk.get("/hall/help/").content.decode()
    assert "C001" in page and "接单陪同" in page and "H01" in page
    assert desk.post(f"/hall/help/{ticket.pk}/accompany/").status_code == 302
    assert desk.post(f"/hall/help/{ticket.pk}/record/", {"note": "代"}).status_code == 302
    assert QueueTicket.objects.get().help_note == ""
    desk.post(f"/hall/help/{ticket.pk}/record/", {"note": "指导填写参保登记表"})
    assert QueueTicket.objects.get().help_note == "指导填写参保登记表"
    town_helper = make_staff("town-helper", "helper", service_point="town-610830100")
    assert client_for(town_helper).post(f"/hall/help/{ticket.pk}/accompany/").status_code == 404
    assert "C001" not in client_for(town_helper).get("/hall/help/").content.decode()


def test_the_supervisors_figures_page(hall, window, clerk, supervisor):
    ticket = services.ticket_take(service_point=hall, category_code="general", declared_priority="veteran")
    services.ticket_take(service_point=hall, category_code="general")
    a01 = window("A01")
    services.call_next(user=clerk, window=a01)
    services.ticket_start(user=clerk, window=a01, ticket_id=ticket.pk)
    services.ticket_finish(user=clerk, window=a01, ticket_id=ticket.pk)
    services.ticket_rate(token=services.ticket_token(ticket), level=3)
    page = client_for(supervisor).get("/hall/supervision/?point=county-hall").content.decode()
    assert "大厅监督" in page and "绿色通道占比" in page and "50.0" in page and "100.0%" in page
    bad = client_for(supervisor).get("/hall/supervision/?start=2026-12-01&end=2026-11-01")
    assert bad.status_code == 400 and "结束日期：不能早于开始日期" in bad.content.decode()
    assert client_for(clerk).get("/hall/supervision/").status_code == 403


def test_a_window_rectification_is_appealed_and_decided_on_the_pages(hall, window, clerk, make_staff, supervisor):
    leader = make_staff("gaj-leader", "department_leader", department="gaj")
    ticket = services.ticket_take(service_point=hall, category_code="police")
    d01 = window("D01")
    services.call_next(user=clerk, window=d01)
    services.ticket_start(user=clerk, window=d01, ticket_id=ticket.pk)
    services.ticket_finish(user=clerk, window=d01, ticket_id=ticket.pk)
    services.ticket_rate(token=services.ticket_token(ticket), level=1, comment="骂人的话，与服务无关")
    rectification = RectificationTask.objects.get()
    tasks = client_for(leader).get("/tasks/").content.decode()
    assert "窗口服务 D01" in tasks and "提出申诉" in tasks
    assert client_for(leader).post(f"/tasks/rectifications/{rectification.pk}/appeal/",
                                   {"reason": "评价内容为辱骂，与户政窗口服务无关"}).status_code == 302
    appeals = client_for(supervisor).get("/supervision/rating-appeals/").content.decode()
    assert "D01 窗口（D001" in appeals and "评价内容为辱骂" in appeals
    rating = Rating.objects.get()
    response = client_for(supervisor).post(f"/supervision/rating-appeals/{rating.pk}/decide/", {"decision": "maybe"})
    assert response.status_code == 302 and Rating.objects.get().appeal_decision == ""
    client_for(supervisor).post(f"/supervision/rating-appeals/{rating.pk}/decide/",
                                {"decision": "exclude", "reason": "属实，不计入"})
    assert Rating.objects.get().appeal_decision == "excluded"
    assert RectificationTask.objects.get().status == RectificationTask.Status.DONE


def test_every_page_header_links_to_the_hall_for_taking_a_number(hall, resident, clerk, supervisor):
    for user in (None, resident, clerk, supervisor):
        header = client_for(user).get("/").content.decode().split("</header>")[0]
        assert '<a href="/hall/" class="nowrap">取号</a>' in header, user
    index = client_for().get("/hall/").content.decode()
    assert 'href="/hall/county-hall/take/"' in index
