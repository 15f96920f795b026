"""授权代办 in headless Chromium: a resident signs up, grants a mandate to a 帮办代办员, and the helper acts for
her — the banner says so and the new mobile number lands in her record."""

from pathlib import Path

import pytest

from tests.conftest import ADMIN_ID, PASSWORD, RESIDENT_ID, make_id_number
from yijianshi.accounts import services
from yijianshi.accounts.models import Mandate, Person
from yijianshi.accounts.roles import Role
from yijianshi.audit.models import AuditEvent
from yijianshi.organizations.models import ServicePoint

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _create_helper():
    admin = services.system_admin_bootstrap(username="sysadmin", name="王建国", id_number=ADMIN_ID,
                                            mobile="13990000001", password=PASSWORD)
    point = ServicePoint.objects.get(code="town-610830100")
    return services.staff_account_create(
        user=admin, username="zhouli", name="周丽", id_number=make_id_number("19950606", 8), mobile="13990000008",
        password=PASSWORD, grants=[services.GrantSpec(Role.HELPER, service_point_id=point.pk)])


def _log_in(page, base, identifier):
    page.goto(base + "/accounts/login/")
    page.get_by_label("身份证号码 / 手机号码 / 登录名").fill(identifier)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url("**/me/")


def _log_out(page):
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(lambda url: "/me/" not in url)
    assert page.get_by_role("link", name="登录", exact=True).is_visible()


def test_resident_grants_a_helper_who_then_changes_her_mobile_for_her(page, live_server, catalog):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    helper = _create_helper()
    base = live_server.url

    # She signs up; a mistyped check digit is caught next to the field first.
    page.goto(base + "/")
    page.get_by_role("link", name="注册", exact=True).click()
    page.get_by_label("姓名").fill("张桂兰")
    page.get_by_label("身份证号码").fill(RESIDENT_ID[:-1] + "1")
    page.get_by_label("手机号码").fill("13800000001")
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("确认密码").fill(PASSWORD)
    page.get_by_role("button", name="注册", exact=True).click()
    assert page.locator("#id_id_number_error").inner_text().endswith("身份证号码：校验位不正确，请核对最后一位")
    page.screenshot(path=str(SCREENSHOTS / "accounts-signup-error.png"), full_page=True)
    page.get_by_label("身份证号码").fill(RESIDENT_ID)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("确认密码").fill(PASSWORD)
    page.get_by_role("button", name="注册", exact=True).click()
    page.wait_for_url("**/me/")
    assert page.get_by_text("610830********0096").is_visible()

    _log_out(page)
    _log_in(page, base, RESIDENT_ID)

    # She lets the helper of her town act for her, for everything, for a year.
    page.get_by_role("link", name="我的授权").first.click()
    page.wait_for_url("**/me/mandates/")
    page.get_by_role("radio", name="帮办代办员").check()
    assert page.get_by_label("受托人身份证号码").is_hidden()  # only the chosen kind's inputs show
    page.locator("#id_helper").select_option(label="周*（宽州镇便民服务中心）")
    page.get_by_role("radio", name="全部事项").check()
    page.get_by_role("button", name="授权", exact=True).click()
    page.wait_for_url("**/me/mandates/")
    assert "已授权 周* 代本人办理" in page.locator(".messages").inner_text()
    row = page.locator("#granted-{} tbody tr".format(Person.objects.get(name="张桂兰").pk)).first
    assert "周*" in row.inner_text() and "全部事项" in row.inner_text() and "有效" in row.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "accounts-mandates.png"), full_page=True)
    _log_out(page)

    # The helper logs in with her login name, switches to acting for her, and changes her mobile.
    _log_in(page, base, "zhouli")
    page.get_by_label("张**").check()
    page.get_by_role("button", name="切换").click()
    page.wait_for_url("**/me/")
    banner = page.locator(".acting-banner")
    assert banner.is_visible() and "正在代 张** 办理" in banner.inner_text()
    assert page.locator("#profile-mobile").inner_text() == "138****0001"
    page.get_by_label("手机号码").fill("139 1234 5678")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/me/")
    assert "已更新张** 的手机号码：139****5678" in page.locator(".messages").inner_text()
    assert page.locator("#profile-mobile").inner_text() == "139****5678"
    page.screenshot(path=str(SCREENSHOTS / "accounts-acting.png"), full_page=True)

    resident = Person.objects.get(name="张桂兰")
    assert resident.mobile == "13912345678"
    assert Person.objects.get(pk=helper.person.pk).mobile == "13990000008"
    mandate = Mandate.objects.get(principal=resident)
    assert mandate.agent_id == helper.person.pk and mandate.all_services
    event = AuditEvent.objects.filter(action="person.update_mobile").get()
    assert event.actor_user_id == helper.pk and event.principal_party_id == resident.pk

    # Back to herself: the banner goes.
    banner.get_by_role("button", name="切换回本人办理").click()
    page.wait_for_url("**/me/")
    assert page.locator(".acting-banner").count() == 0
