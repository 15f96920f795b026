"""A supervisor in headless Chromium: logs in, verifies the chain, and finds every event about one resident."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PASSWORD = "Qingjian-demo-2026"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, base_url: str, username: str):
    page.context.clear_cookies()
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def test_a_supervisor_filters_the_audit_log_by_a_person_and_sees_her_events(page, live_server, catalog):
    from yijianshi.accounts.models import Person, User
    from yijianshi.accounts.services import mandate_grant, person_reveal
    from yijianshi.audit.services import checkpoint_create

    call_command("seed_demo", force=True, stdout=open("/dev/null", "w"))
    guilan = Person.objects.get(name="张桂兰")
    person_reveal(user=User.objects.get(username="clerk"), person=guilan, field="mobile", purpose="电话回访办件进度")
    mandate_grant(user=guilan.user, principal=guilan, agent_name="周丽", agent_id_number="610830199506060083",
                  all_services=True, valid_until=timezone.now() + timedelta(days=180), note="帮办社保认证")
    checkpoint = checkpoint_create()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    _log_in(page, live_server.url, "supervisor")
    page.goto(f"{live_server.url}/supervision/audit/")
    assert "审计链尚未校验" in page.locator(".chain-status").inner_text()
    page.get_by_role("button", name="立即校验").click()
    page.wait_for_load_state()
    assert "审计链完整" in page.locator(".chain-status").inner_text()
    assert "检查点 1 个" in page.locator(".chain-status").inner_text()
    assert checkpoint.head_hash[:24] in page.content()

    page.fill("#filter-id-number", "610830194001010096")
    page.get_by_role("button", name="筛选", exact=True).click()
    page.wait_for_url("**/supervision/audit/?subject=*")
    assert "610830194001010096" not in page.url
    assert "张**" in page.locator(".filter-subject").inner_text()
    table = page.locator("table.audit-table")
    actions = table.locator("tbody tr td:nth-child(5)").all_inner_texts()
    assert any("查看完整个人信息" in a for a in actions) and any("授权代办" in a for a in actions)
    assert any("群众注册" in a for a in actions)
    assert "电话回访办件进度" in table.inner_text()
    assert "创建工作人员账号" not in table.inner_text()  # the staff accounts are not about her

    first_details = table.locator("details.event-details").first
    first_details.locator("summary").click()
    assert first_details.locator("pre").first.is_visible()
    page.screenshot(path=str(SCREENSHOTS / "audit-viewer.png"), full_page=True)

    _log_in(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/staff/")
    assert page.locator("table.staff-table tbody tr").count() == User.objects.exclude(kind="public").count()
    assert "综合窗口人员（清涧县政务服务中心）" in page.locator("table.staff-table").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "staff-admin.png"), full_page=True)
