"""The 12345 loop in headless Chromium: an operator takes a call, sees the caller's history and the suggested
departments, dispatches; the department replies; the operator records a 不满意 call-back; the supervisor finds
the ticket in the overdue view and reopens it (差评重办)."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.conftest import ADMIN_ID, PASSWORD, make_id_number
from yijianshi.accounts import services as accounts
from yijianshi.accounts.roles import Role
from yijianshi.hotline import services
from yijianshi.hotline.models import Ticket
from yijianshi.organizations.models import Department

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
S = Ticket.Status


def _staff(admin, username, name, serial, role, department=None):
    dept = Department.objects.get(code=department).pk if department else None
    return accounts.staff_account_create(
        user=admin, username=username, name=name, id_number=make_id_number("19880808", serial),
        mobile=f"1399000{serial:04d}", password=PASSWORD, grants=[accounts.GrantSpec(role, dept)])


def _log_in(page, base, identifier):
    page.goto(base + "/accounts/login/")
    page.get_by_label("身份证号码 / 手机号码 / 登录名").fill(identifier)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def _log_out(page):
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(lambda url: "/hotline/" not in url)


def test_a_call_is_dispatched_answered_rated_badly_and_reopened_by_the_supervisor(page, live_server, catalog):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    admin = accounts.system_admin_bootstrap(username="sysadmin", name="王建国", id_number=ADMIN_ID,
                                            mobile="13990000001", password=PASSWORD)
    operator = _staff(admin, "liping", "李萍", 11, Role.HOTLINE_OPERATOR)
    _staff(admin, "zhaogang", "赵刚", 12, Role.DEPARTMENT_OFFICER, "zjj")
    _staff(admin, "sunhong", "孙红", 13, Role.SUPERVISOR)
    # The same caller rang last month about the water; another ticket is already past its limit.
    earlier = services.ticket_intake(user=operator, channel="phone", kind="request", caller_name="张女士",
                                     caller_mobile="13800000001", town_code="610830100",
                                     content="秀延路小区自来水水压太低，高层用不上水")
    late = services.ticket_dispatch(user=operator, department_code="slj", ticket=services.ticket_intake(
        user=operator, channel="phone", kind="complaint", caller_name="王先生", caller_mobile="13800000007",
        town_code="610830102", content="折家坪镇街道自来水管破裂，水流了一整天没人管"))
    Ticket.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=5))
    base = live_server.url

    # 1. The operator takes the call; typing the number brings up the caller's earlier ticket.
    _log_in(page, base, "liping")
    page.goto(base + "/hotline/console/")
    page.get_by_label("来电号码").fill("13800000001")
    lookup = page.locator("#caller-lookup")
    lookup.get_by_text(earlier.number).wait_for()
    assert "13800000001" not in lookup.inner_text()
    page.get_by_label("诉求人称呼").fill("张女士")
    page.get_by_label("诉求类型").select_option(label="投诉")
    page.get_by_label("所在镇").select_option(label="宽州镇")
    page.get_by_label("具体位置").fill("秀延路小区 3 号楼")
    page.get_by_label("诉求内容（通话记录）").fill("秀延路小区连续三天停暖，供热管道不热，家里老人受冻，请住建局督促供热公司尽快处理")
    page.screenshot(path=str(SCREENSHOTS / "hotline-console.png"), full_page=True)
    page.get_by_role("button", name="受理", exact=True).click()
    page.get_by_text("已受理，工单编号").wait_for()
    ticket = Ticket.objects.exclude(pk__in=[earlier.pk, late.pk]).get()

    # 2. The suggestions are on the dispatch form; the operator sends it to 县住建局 with the town's centre.
    suggestions = page.locator("#dispatch .suggestions li")
    assert suggestions.count() == 3 and "%" in suggestions.first.inner_text()
    page.get_by_label("主办单位", exact=True).select_option("zjj")
    assert page.get_by_label("属地便民服务中心").input_value() == "town-610830100"
    assert page.locator(".time-limit-rule").inner_text() == "时限依据：投诉·一般 5 个工作日"
    page.screenshot(path=str(SCREENSHOTS / "hotline-ticket.png"), full_page=True)
    page.get_by_role("button", name="分拨", exact=True).click()
    page.get_by_text("已分拨。").wait_for()
    ticket.refresh_from_db()
    assert ticket.status == S.DISPATCHED and ticket.lead_department.code == "zjj"
    _log_out(page)

    # 3. The department officer finds it in the department's list, accepts and replies.
    _log_in(page, base, "zhaogang")
    page.goto(base + "/hotline/department/")
    page.get_by_role("link", name=ticket.number).click()
    page.get_by_role("button", name="签收办理").click()
    page.get_by_text("已签收，开始办理。").wait_for()
    page.get_by_label("答复内容").fill("已联系供热公司更换循环泵，当晚 20 时恢复供暖")
    page.get_by_role("button", name="提交答复").click()
    page.get_by_text("已答复诉求人。").wait_for()
    _log_out(page)

    # 4. The operator calls back: the caller is not satisfied.
    _log_in(page, base, "liping")
    page.goto(base + f"/hotline/{ticket.pk}/")
    page.get_by_label("不满意", exact=True).check()
    page.get_by_label("评价说明").fill("第二天又不热了")
    page.get_by_role("button", name="记录回访").click()
    page.get_by_text("回访评价已记录。").wait_for()
    assert Ticket.objects.get(pk=ticket.pk).status == S.REOPEN_REQUESTED
    _log_out(page)

    # 5. The supervisor sees the overdue ticket in red and the bad rating waiting, and reopens the ticket.
    _log_in(page, base, "sunhong")
    page.goto(base + "/hotline/overdue/")
    overdue_row = page.locator(".overdue-table tr", has_text=late.number)
    assert "已超时" in overdue_row.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "hotline-overdue.png"), full_page=True)
    page.locator("tr", has_text=ticket.number).get_by_role("link", name="复核", exact=True).click()
    page.get_by_label("差评重办").check()
    page.get_by_label("复核意见").fill("回访仍不热，差评重办，请住建局上门查看管网")
    page.get_by_role("button", name="提交复核").click()
    page.get_by_text("复核已完成。").wait_for()
    ticket.refresh_from_db()
    assert ticket.status == S.IN_PROGRESS and ticket.reopen_count == 1
    assert "（自重办时起算）" in page.locator(".time-limit-rule").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "hotline-reopened.png"), full_page=True)


def test_the_callers_number_is_revealed_in_place_and_the_supervisor_assigns_a_failure_and_decides_an_appeal(
        page, live_server, catalog):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    admin = accounts.system_admin_bootstrap(username="sysadmin", name="王建国", id_number=ADMIN_ID,
                                            mobile="13990000001", password=PASSWORD)
    operator = _staff(admin, "liping", "李萍", 11, Role.HOTLINE_OPERATOR)
    officer = _staff(admin, "zhaogang", "赵刚", 12, Role.DEPARTMENT_OFFICER, "zjj")
    leader = _staff(admin, "liuqiang", "刘强", 14, Role.DEPARTMENT_LEADER, "zjj")
    _staff(admin, "sunhong", "孙红", 13, Role.SUPERVISOR)
    ticket = services.ticket_dispatch(user=operator, department_code="zjj", ticket=services.ticket_intake(
        user=operator, channel="phone", kind="complaint", caller_name="王先生", caller_mobile="13800000007",
        town_code="610830100", content="秀延路小区连续三天停暖，家里老人受冻"))
    services.ticket_accept(user=officer, ticket=ticket)
    services.ticket_reply(user=officer, ticket=ticket, reply="已联系供热公司更换循环泵，当晚恢复供暖")
    services.ticket_rate(user=operator, ticket=ticket, level=1, comment="一群废物，什么也不干")
    services.ticket_rating_appeal(user=leader, rating=ticket.ratings.get(),
                                  reason="评价为辱骂工作人员，且当晚已恢复供暖，有回访录音为证")
    failure = services.ticket_intake(user=operator, channel="phone", kind="service_failure", caller_name="李女士",
                                     caller_mobile="13800000005", town_code="610830100",
                                     content="在政务大厅办房屋网签备案跑了三趟，窗口说系统不通，一直办不成")
    base = live_server.url

    # 1. The operator reveals the caller's number on the ticket page: in place, no reload, only with a purpose.
    _log_in(page, base, "liping")
    page.goto(base + f"/hotline/{ticket.pk}/")
    number = page.locator("#caller-mobile")
    assert "138****0007" in number.inner_text() and "13800000007" not in page.content()
    page.evaluate("window.notReloaded = true")
    number.get_by_role("button", name="查看完整号码").click()
    page.get_by_text("查看事由：必填").wait_for()
    page.screenshot(path=str(SCREENSHOTS / "hotline-caller-masked.png"))
    page.get_by_label("查看事由").fill("电话回访办理结果")
    page.locator("#caller-mobile").get_by_role("button", name="查看完整号码").click()
    page.locator("#caller-mobile .revealed").wait_for()
    assert page.locator("#caller-mobile .revealed").inner_text() == "13800000007"
    assert page.evaluate("window.notReloaded === true")
    page.screenshot(path=str(SCREENSHOTS / "hotline-caller-reveal.png"), full_page=True)
    _log_out(page)

    # 2. The supervisor finds the 办不成事 and the appeal in the supervision view.
    _log_in(page, base, "sunhong")
    page.goto(base + "/hotline/overdue/")
    assert failure.number in page.locator(".failures-table").inner_text()
    assert ticket.number in page.locator(".appeals-table").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "hotline-supervision.png"), full_page=True)

    # 3. Assigns the 办不成事 to 县住建局 with a 督办.
    page.locator(".failures-table tr", has_text=failure.number).get_by_role("link", name="交办").click()
    page.locator("#assign").get_by_label("主办单位", exact=True).select_option("zjj")
    page.locator("#assign").get_by_label("督办意见").fill("群众跑了三趟未办成，请今日内联系并办结")
    page.get_by_role("button", name="交办并督办").click()
    page.get_by_text("已交办并督办。").wait_for()
    failure.refresh_from_db()
    assert failure.status == S.DISPATCHED and failure.lead_department.code == "zjj"

    # 4. Excludes the abusive rating: it stays on the page, struck through; the ticket closes.
    page.goto(base + "/hotline/overdue/")
    page.locator(".appeals-table tr", has_text=ticket.number).get_by_role("link", name="复核申诉").click()
    page.get_by_label("申诉成立，评价不计入").check()
    page.locator("#appeal-decide").get_by_label("复核意见").fill("经核听回访录音，评价为辱骂，不计入")
    page.locator("#appeal-decide").get_by_role("button", name="提交复核").click()
    page.get_by_text("申诉复核已完成。").wait_for()
    assert "申诉成立，不计入评价" in page.locator(".rating-excluded").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "hotline-appeal-decided.png"), full_page=True)
    assert Ticket.objects.get(pk=ticket.pk).status == S.CLOSED
