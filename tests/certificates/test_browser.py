"""电子证照 in headless Chromium: the resident opens her certificate and downloads its PDF; the QR code's URL shows
anyone "有效"; the form checks an identifier in place (htmx); 县人社局's leader suspends it and the verification page
says so."""

import subprocess
from pathlib import Path

import pytest

from tests.certificates.conftest import EMPLOYMENT_CARD, load_types
from tests.conftest import ADMIN_ID, PASSWORD, RESIDENT_ID, make_id_number
from yijianshi.accounts import services as accounts
from yijianshi.accounts.roles import Role
from yijianshi.certificates.models import Certificate
from yijianshi.certificates.selectors import verify_url
from yijianshi.certificates.services import certificate_issue
from yijianshi.organizations.models import Department

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, base, identifier):
    page.goto(base + "/accounts/login/")
    page.get_by_label("身份证号码 / 手机号码 / 登录名").fill(identifier)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url("**/me/")


def test_a_certificate_is_opened_downloaded_verified_and_suspended(page, live_server, catalog, settings):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    settings.PUBLIC_BASE_URL = live_server.url  # the QR code leads to this server
    load_types()
    admin = accounts.system_admin_bootstrap(username="sysadmin", name="王建国", id_number=ADMIN_ID,
                                            mobile="13990000001", password=PASSWORD)
    resident = accounts.resident_sign_up(name="张桂兰", id_number=RESIDENT_ID, mobile="13800000001",
                                         password=PASSWORD)
    accounts.staff_account_create(
        user=admin, username="leader-rsj", name="刘强", id_number=make_id_number("19800101", 7),
        mobile="13990000107", password=PASSWORD,
        grants=[accounts.GrantSpec(Role.DEPARTMENT_LEADER, department_id=Department.objects.get(code="rsj").pk)])
    card = certificate_issue(type_code="employment-card", holder=resident.person, data=EMPLOYMENT_CARD)
    base = live_server.url

    # The holder: 我的证照 -> the certificate -> its PDF.
    _log_in(page, base, RESIDENT_ID)
    page.goto(base + "/me/certificates/")
    page.get_by_role("link", name="就业创业证").click()
    page.wait_for_url(f"**/me/certificates/{card.pk}/")
    assert "610830********0096" in page.locator(".cert-sheet").inner_text()
    assert page.locator(".cert-issuer svg.seal").count() == 1
    page.screenshot(path=str(SCREENSHOTS / "certificate-detail.png"), full_page=True)
    with page.expect_download() as download:
        page.locator(".case-state").get_by_role("link", name="下载 PDF").click()
    pdf_path = SCREENSHOTS / "certificate.pdf"
    download.value.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF") and download.value.suggested_filename.endswith(".pdf")
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-singlefile", str(pdf_path),
                    str(SCREENSHOTS / "certificate-pdf")], check=True)
    text = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True).stdout
    assert "就业创业证" in text and "张桂兰" in text

    # Anyone scanning the QR code: its URL opens the verification page with the answer.
    page.get_by_role("button", name="退出登录").click()
    page.goto(verify_url(card.qr_text))
    verdict = page.locator(".verdict")
    assert "有效" in verdict.locator("h2").inner_text() and "张**" in verdict.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "certificate-verify-valid.png"), full_page=True)

    # Typing the identifier: the result card is replaced in place (htmx), the address follows.
    page.goto(base + "/certificates/verify/")
    page.get_by_label("二维码内容或电子证照标识").fill(card.identifier)
    page.get_by_role("button", name="核验").click()
    page.locator(".verdict-valid").wait_for()
    assert "q=" in page.url

    # 县人社局's leader suspends it with a reason; the verification page now says so.
    _log_in(page, base, "leader-rsj")
    page.goto(base + "/certificates/issued/")
    page.get_by_role("link", name="就业创业证").click()
    page.locator("#id_suspend-reason").fill("核查就业状态，暂停使用")
    page.get_by_role("button", name="暂停使用").click()
    page.locator(".message-success").wait_for()
    page.screenshot(path=str(SCREENSHOTS / "certificate-staff.png"), full_page=True)
    assert Certificate.objects.get(pk=card.pk).status == Certificate.Status.SUSPENDED
    page.goto(verify_url(card.qr_text))
    assert "已暂停使用" in page.locator(".verdict h2").inner_text()
    assert "核查就业状态，暂停使用" in page.locator(".verdict .reason").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "certificate-verify-suspended.png"), full_page=True)
