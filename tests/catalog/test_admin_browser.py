"""Catalog staff in headless Chromium: draft an item in the admin, publish it, see the public guide change."""

from pathlib import Path

import pytest
from django.core.management import call_command

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_catalog_administrator_drafts_edits_and_publishes_an_item_and_the_public_guide_shows_it(
        page, live_server, catalog):
    from yijianshi.catalog.models import ServiceItem

    call_command("seed_demo", force=True, stdout=open("/dev/null", "w"))
    item = ServiceItem.objects.get(code="RSJ-003")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "catalog")
    page.fill("#id_password", "Qingjian-demo-2026")
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/catalog/serviceitem/{item.pk}/change/")
    page.get_by_role("button", name="新建草稿版本").click()
    page.wait_for_selector("input[name=_publish]")
    assert "改好后点“保存并发布”" in page.content()

    page.fill("#id_handling_hours", "法定工作日 上午9:00-12:00，下午14:00-17:30")
    page.click("input[name=_publish]")
    page.wait_for_load_state()
    page.screenshot(path=str(SCREENSHOTS / "admin-published.png"))
    assert "已发布 RSJ-003 v2" in page.content()

    page.goto(live_server.url + "/items/RSJ-003/")
    assert "第 2 版" in page.content()
    assert "下午14:00-17:30" in page.locator("table.elements").inner_text()
