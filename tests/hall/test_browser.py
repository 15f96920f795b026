"""The hall in headless Chromium: an 86-year-old takes a number at the kiosk and gets the green channel; the clerk
at the green-channel window calls it; the call screen shows it; the clerk serves and finishes; the resident rates
the service on the rating page; the supervisor sees it in the figures."""

from pathlib import Path

import pytest

from tests.conftest import ADMIN_ID, PASSWORD, RESIDENT_ID, make_id_number
from tests.hall.conftest import load_windows
from yijianshi.accounts import services as accounts
from yijianshi.cases.models import Rating
from yijianshi.hall.models import QueueTicket
from yijianshi.organizations.models import ServicePoint

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, base, identifier):
    page.goto(base + "/accounts/login/")
    page.get_by_label("身份证号码 / 手机号码 / 登录名").fill(identifier)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def _new_page(page):
    context = page.context.browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    return context.new_page()


def test_a_green_channel_number_from_kiosk_to_rating(page, live_server, catalog):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    load_windows()
    admin = accounts.system_admin_bootstrap(username="sysadmin", name="王建国", id_number=ADMIN_ID,
                                            mobile="13990000001", password=PASSWORD)
    hall = ServicePoint.objects.get(code="county-hall")
    for username, name, serial, role in (("liuming", "刘明", 31, "window_clerk"), ("sunwei", "孙伟", 32, "supervisor")):
        accounts.staff_account_create(
            user=admin, username=username, name=name, id_number=make_id_number("19900520", serial),
            mobile=f"1399000{serial:04d}", password=PASSWORD,
            grants=[accounts.GrantSpec(role, None, hall.pk if role == "window_clerk" else None)])
    base = live_server.url

    # 1. From the site header's 取号 link to the county hall's page: 综合受理, her ID card read (86 years old), a
    # mobile for the SMS call.
    page.goto(base + "/")
    page.locator("header").get_by_role("link", name="取号", exact=True).click()
    page.wait_for_url(base + "/hall/")
    page.screenshot(path=str(SCREENSHOTS / "hall-index.png"), full_page=True)
    phone = page.context.browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}).new_page()
    phone.goto(base + "/hall/county-hall/take/")
    assert phone.locator("header").get_by_role("link", name="取号", exact=True).is_visible()
    phone.screenshot(path=str(SCREENSHOTS / "hall-take-phone.png"), full_page=True)
    phone.context.close()
    page.locator(".card", has_text="县政务服务中心").get_by_role("link", name="取号", exact=True).click()
    page.wait_for_url(base + "/hall/county-hall/take/")
    page.get_by_text("综合受理", exact=True).click()
    page.get_by_label("身份证号码（选填）").fill(RESIDENT_ID)
    page.get_by_label("手机号码（选填，短信提醒叫号）").fill("13800000001")
    page.screenshot(path=str(SCREENSHOTS / "hall-kiosk.png"), full_page=True)
    page.get_by_role("button", name="取 号").click()
    page.get_by_text("取号成功").wait_for()
    assert page.locator(".ticket-number").inner_text() == "A001"
    assert "绿色通道 · 70 岁以上老年人" in page.locator(".ticket-category").inner_text()
    assert "前面还有 0 人" in page.locator("#ticket-status").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "hall-ticket.png"), full_page=True)
    ticket_url = page.url.split("?")[0]
    ticket = QueueTicket.objects.get()
    assert ticket.priority == "aged" and ticket.number == "A001"

    # 2. The call screen on the wall waits.
    screen = _new_page(page)
    screen.set_viewport_size({"width": 1600, "height": 900})
    screen.goto(base + "/hall/county-hall/screen/")
    screen.get_by_text("请取号等候叫号").wait_for()

    # 3. The clerk at A04 (绿色通道窗口) sees the green number waiting and calls it.
    desk = _new_page(page)
    _log_in(desk, base, "liuming")
    desk.goto(base + "/hall/windows/")
    desk.get_by_role("link", name="A04 老年人残疾人绿色通道窗口").click()
    queue = desk.locator("#queue")
    assert "A001" in queue.inner_text() and "绿色通道" in queue.inner_text()
    desk.get_by_role("button", name="叫下一位（等候 1 人）").click()
    desk.get_by_text("已叫号 A001").wait_for()

    # 4. The screen picks the call up by itself (htmx polling).
    screen.locator(".screen-latest .screen-number", has_text="A001").wait_for(timeout=10000)
    assert screen.locator(".screen-latest .screen-window").inner_text() == "A04"
    screen.screenshot(path=str(SCREENSHOTS / "hall-call-screen.png"))
    page.reload()
    assert "请到 A04 窗口" in page.locator("#ticket-status").inner_text()

    # 5. She comes to the window; the clerk serves and finishes.
    desk.get_by_role("button", name="群众已到，开始办理").click()
    desk.get_by_text("A001 开始办理").wait_for()
    desk.screenshot(path=str(SCREENSHOTS / "hall-window-serving.png"), full_page=True)
    desk.get_by_role("button", name="办结", exact=True).click()
    desk.get_by_text("A001 已办结").wait_for()
    assert QueueTicket.objects.get().status == "done"
    desk.goto(desk.url + "pad/")  # the rating pad facing her at the window
    assert "号码 A001" in desk.locator(".pad-ticket").inner_text()
    desk.screenshot(path=str(SCREENSHOTS / "hall-rating-pad.png"), full_page=True)

    # 6. On her phone (the QR code on the ticket): rate the service.
    page.goto(ticket_url)
    page.get_by_role("link", name="评价本次服务").click()
    page.get_by_text("非常满意").click()
    page.get_by_label("意见和建议（不满意时请写明原因）").fill("老人优先，工作人员很耐心")
    page.screenshot(path=str(SCREENSHOTS / "hall-rate.png"), full_page=True)
    page.get_by_role("button", name="提交评价").click()
    page.get_by_text("您已评价：非常满意").wait_for()
    rating = Rating.objects.get()
    assert rating.hall_ticket_id == ticket.pk and rating.level == 5

    # 7. The supervisor's figures count it.
    boss = _new_page(page)
    _log_in(boss, base, "sunwei")
    boss.goto(base + "/hall/supervision/")
    figures = boss.locator(".figures").inner_text()
    assert "100.0" in figures and "绿色通道占比" in figures
    boss.screenshot(path=str(SCREENSHOTS / "hall-supervision.png"), full_page=True)
