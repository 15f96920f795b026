"""专属服务空间 in headless Chromium: 张桂兰 opens 我的空间 from the header, sees the correction her case waits
for at the top, and follows it to the case."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.cases.factories import key, submission_for
from tests.certificates.conftest import EMPLOYMENT_CARD, load_types
from tests.conftest import ADMIN_ID, PASSWORD, RESIDENT_ID, make_id_number
from yijianshi.accounts import services as accounts
from yijianshi.accounts.roles import Role
from yijianshi.cases import services as cases
from yijianshi.certificates.services import certificate_issue
from yijianshi.organizations.models import ServicePoint

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_resident_finds_what_waits_for_her_in_her_space(page, live_server, catalog, settings, tmp_path):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    settings.SEAL_KEY_DIR = tmp_path / "seal-keys"
    load_types()
    admin = accounts.system_admin_bootstrap(username="sysadmin", name="王建国", id_number=ADMIN_ID,
                                            mobile="13990000001", password=PASSWORD)
    resident = accounts.resident_sign_up(name="张桂兰", id_number=RESIDENT_ID, mobile="13800000001",
                                         password=PASSWORD)
    clerk = accounts.staff_account_create(
        user=admin, username="clerk", name="窗口人员", id_number=make_id_number("19900101", 17), mobile="13990000002",
        password=PASSWORD, grants=[accounts.GrantSpec(
            Role.WINDOW_CLERK, service_point_id=ServicePoint.objects.get(code="county-hall").pk)])
    case, _ = cases.case_submit(context=accounts.acting_context(resident),
                                submission=submission_for("newborn", owner=resident), idempotency_key=key())
    cases.case_request_correction(user=clerk, case=case, problems=[{"target": "", "message": "出生医学证明照片不清晰"}])
    card = certificate_issue(type_code="employment-card", holder=resident.person, data=EMPLOYMENT_CARD)
    type(card).objects.filter(pk=card.pk).update(valid_until=timezone.localdate() + timedelta(days=10))
    base = live_server.url

    page.goto(base + "/accounts/login/")
    page.get_by_label("身份证号码 / 手机号码 / 登录名").fill(RESIDENT_ID)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url("**/me/")
    page.locator(".account-nav").get_by_role("link", name="我的空间").click()
    page.wait_for_url("**/me/space/")

    todo = page.locator(".space-todo")
    assert "待我处理 2" in " ".join(todo.locator("h2").inner_text().split())
    assert "就业创业证将于" in todo.inner_text()
    assert "新生儿出生" in page.locator("#space-cases").inner_text()
    assert "就业创业证" in page.locator("#space-certificates").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "space-resident.png"), full_page=True)

    todo.get_by_role("link", name=f"“新生儿出生”（{case.number}）需要补正材料，补正前办理时限暂停计算").click()
    page.wait_for_url(f"**/cases/{case.number}/")
    assert "出生医学证明照片不清晰" in page.content()
