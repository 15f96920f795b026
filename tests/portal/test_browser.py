"""A resident's path in headless Chromium: home, search in their own words, the guide, its PDF."""

from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_resident_searches_opens_the_newborn_guide_and_downloads_its_pdf(page, live_server, catalog, tmp_path):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(live_server.url + "/")
    assert "一件事，一次办" in page.locator("h1").inner_text()

    page.fill("#search-q", "孩子刚出生要办什么")  # htmx shows results as the resident types
    first_hit = page.locator("#search-results .hit a").first
    first_hit.wait_for(timeout=10_000)
    page.screenshot(path=str(SCREENSHOTS / "home-search.png"), full_page=False)
    assert first_hit.inner_text() == "新生儿出生"

    first_hit.click()
    page.wait_for_url("**/bundles/newborn/")
    assert page.locator("h1").inner_text() == "新生儿出生“一件事”"
    assert page.locator("svg.flow .flow-node").count() == 5
    assert page.get_by_text("一表申请：需要填写的信息").is_visible()
    page.screenshot(path=str(SCREENSHOTS / "bundle-guide.png"), full_page=True)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载办事指南（PDF）").click()
    download = download_info.value
    target = tmp_path / "guide.pdf"
    download.save_as(target)
    assert download.suggested_filename.endswith(".pdf")
    assert target.read_bytes().startswith(b"%PDF-") and target.stat().st_size > 20_000


def test_resident_submits_the_search_form_without_javascript_results(page, live_server, catalog):
    page.goto(live_server.url + "/search/?q=" + "开饭馆")
    hits = page.locator(".hit a")
    assert "企业准营（以餐饮店为例）" in [hits.nth(i).inner_text() for i in range(min(3, hits.count()))]
