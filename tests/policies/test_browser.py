"""In headless Chromium: the resident finds 高龄补贴 matched with the reasons and confirms it; the enterprise's
representative, acting for the enterprise, confirms 稳岗返还; 县民政局's officer sees the resident's grant in the
payment queue with its working-day due date, starts the payment and marks it paid; the resident sees it paid."""

from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import ADMIN_ID, PASSWORD, REPRESENTATIVE_ID, RESIDENT_ID, make_id_number
from tests.policies.conftest import ENTERPRISE_FACTS, RESIDENT_FACTS, record
from yijianshi.accounts import services as accounts
from yijianshi.accounts.roles import Role
from yijianshi.organizations.models import Department
from yijianshi.policies import services
from yijianshi.policies.models import Grant

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, base, identifier):
    page.goto(base + "/accounts/login/")
    page.get_by_label("身份证号码 / 手机号码 / 登录名").fill(identifier)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def _log_out(page):
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_load_state()


def test_resident_and_enterprise_confirm_and_the_department_pays(page, live_server, catalog):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    call_command("load_sharing_catalogue", stdout=open("/dev/null", "w"))
    call_command("load_policies", stdout=open("/dev/null", "w"))
    admin = accounts.system_admin_bootstrap(username="sysadmin", name="王建国", id_number=ADMIN_ID,
                                            mobile="13990000001", password=PASSWORD)
    accounts.staff_account_create(user=admin, username="wufang", name="吴芳", password=PASSWORD,
                                  id_number=make_id_number("19860404", 23), mobile="13991000001",
                                  grants=[accounts.GrantSpec(Role.DEPARTMENT_OFFICER,
                                                             Department.objects.get(code="mzj").pk)])
    resident = accounts.resident_sign_up(name="张桂兰", id_number=RESIDENT_ID, mobile="13800000001", password=PASSWORD)
    representative = accounts.resident_sign_up(name="马丽", id_number=REPRESENTATIVE_ID, mobile="13800000003",
                                               password=PASSWORD)
    enterprise = accounts.enterprise_register(user=representative, name="清涧县红枣食品有限公司",
                                              credit_code="91610830MA7QJ0001J", representative_name="马丽",
                                              representative_id_number=REPRESENTATIVE_ID)
    record(resident.person, RESIDENT_FACTS)
    record(enterprise, ENTERPRISE_FACTS)
    services.match_run()
    base = live_server.url

    # 1. The resident sees her matches with the reasons and confirms 高龄补贴.
    _log_in(page, base, RESIDENT_ID)
    page.get_by_role("link", name="政策直达").click()
    card = page.locator("[data-policy='elderly-allowance-80']")
    card.get_by_text("年龄在80—89周岁之间（现86周岁）").wait_for()
    assert "户籍在清涧县" in card.inner_text() and "待部门确认" in card.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "policies-resident-matches.png"), full_page=True)
    card.get_by_role("link", name="查看并确认").click()
    page.get_by_role("button", name="确认享受").click()
    page.get_by_text("已确认享受，已转交经办部门发放").wait_for()
    assert "待发放" in page.inner_text("main")
    page.screenshot(path=str(SCREENSHOTS / "policies-resident-confirmed.png"), full_page=True)
    _log_out(page)

    # 2. The representative switches to the enterprise and confirms 稳岗返还.
    _log_in(page, base, REPRESENTATIVE_ID)
    page.goto(base + "/me/")
    page.get_by_label("清涧县红枣食品有限公司").check()
    page.get_by_role("button", name="切换").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="政策直达").click()
    card = page.locator("[data-policy='job-retention-refund-sme']")
    card.get_by_text("查看并确认").wait_for()
    assert "失业保险" in card.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "policies-enterprise-matches.png"), full_page=True)
    card.get_by_role("link", name="查看并确认").click()
    page.get_by_role("button", name="确认享受").click()
    page.get_by_text("已确认享受，已转交经办部门发放").wait_for()
    _log_out(page)
    assert Grant.objects.filter(match__party=enterprise, department__code="jysy").exists()

    # 3. 县民政局's officer sees the resident's grant (not the enterprise's, which is 县就业失业保障中心's) and pays it.
    _log_in(page, base, "wufang")
    page.get_by_role("link", name="工作台").click()
    page.get_by_role("link", name="政策兑现").click()
    row = page.locator("tr[data-grant]")
    row.get_by_text("高龄老人生活补贴（80—89周岁）").wait_for()
    assert row.count() == 1 and "剩余" in row.inner_text() and "张**" in row.inner_text()
    row.get_by_role("button", name="开始发放").click()
    page.get_by_text("已开始发放").first.wait_for()
    page.locator("tr[data-grant]").get_by_role("button", name="标记已发放").click()
    page.get_by_text("已标记为已发放").first.wait_for()
    assert "已发放" in page.locator("tr[data-grant]").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "policies-department-paid.png"), full_page=True)
    _log_out(page)

    # 4. The resident sees it paid.
    _log_in(page, base, RESIDENT_ID)
    page.goto(base + "/me/policies/")
    assert "发放：已发放" in page.locator("[data-policy='elderly-allowance-80']").inner_text()
