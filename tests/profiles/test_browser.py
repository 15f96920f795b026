"""In headless Chromium: 县残联 feeds a disability assessment, a 县人社局 officer reads the resident's profile for
就业困难人员认定, and the resident then finds that read, with the unit, purpose and legal basis, in 数据使用记录."""

from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import ADMIN_ID, PASSWORD, RESIDENT_ID, make_id_number
from yijianshi.accounts import services as accounts
from yijianshi.accounts.roles import Role
from yijianshi.audit.models import AuditEvent
from yijianshi.organizations.models import Department
from yijianshi.profiles.services import feed_import, profile_record

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, base, identifier):
    page.goto(base + "/accounts/login/")
    page.get_by_label("身份证号码 / 手机号码 / 登录名").fill(identifier)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_an_officers_read_shows_up_on_the_residents_data_access_page(page, live_server, catalog):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    call_command("load_sharing_catalogue", stdout=open("/dev/null", "w"))
    admin = accounts.system_admin_bootstrap(username="sysadmin", name="王建国", id_number=ADMIN_ID,
                                            mobile="13990000001", password=PASSWORD)
    accounts.staff_account_create(user=admin, username="chenjing", name="陈静", password=PASSWORD,
                                  id_number=make_id_number("19750808", 46), mobile="13990000004",
                                  grants=[accounts.GrantSpec(Role.DEPARTMENT_OFFICER, Department.objects.get(code="rsj").pk)])
    resident = accounts.resident_sign_up(name="张桂兰", id_number=RESIDENT_ID, mobile="13800000001", password=PASSWORD)
    feed_import(department="cl", file_name="cl-2024.csv", content=(
        "subject,name,element,value,effective_date\n"
        f"{RESIDENT_ID},张桂兰,cl.disability_category,肢体残疾,2024-05-20\n"
        f"{RESIDENT_ID},张桂兰,cl.disability_level,二级,2024-05-20\n").encode())
    profile_record(party=resident.person, element_code="person.hukou_address", source_department="gaj",
                   value="陕西省榆林市清涧县宽州镇东关街 8 号", source="registration", evidence="户口簿")
    base = live_server.url

    # 1. The officer looks her up for 就业困难人员认定 and sees the granted elements, masked where personal.
    _log_in(page, base, "chenjing")
    page.goto(base + "/profiles/lookup/")
    page.get_by_label("证件号码").fill(RESIDENT_ID)
    page.get_by_label("用途").select_option(label="就业困难人员认定（县人社局，自然人）")
    page.get_by_role("button", name="查阅").click()
    result = page.locator("#lookup-result")
    result.get_by_text("二级").wait_for()
    assert "肢体残疾" in result.inner_text() and "东关街 8 号" in result.inner_text()
    assert "就业促进法" in result.inner_text() and RESIDENT_ID not in page.content()
    page.screenshot(path=str(SCREENSHOTS / "profiles-lookup.png"), full_page=True)
    assert AuditEvent.objects.filter(action="personal_data.read", subject_party_id=resident.person.pk).count() == 1
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(lambda url: "/profiles/" not in url)

    # 2. She opens 数据使用记录 and sees who read what, why, and on which legal basis.
    _log_in(page, base, RESIDENT_ID)
    page.goto(base + "/me/")
    page.get_by_role("link", name="数据使用记录").click()
    row = page.locator(".data-access-table tbody tr").first
    row.wait_for()
    text = row.inner_text()
    assert "县人社局" in text and "陈*" in text and "陈静" not in text
    assert "就业困难人员认定" in text and "残疾等级" in text and "户籍地址" in text and "就业促进法" in text
    page.screenshot(path=str(SCREENSHOTS / "profiles-data-access.png"), full_page=True)

    # 3. Her own file shows the values with their source; looking at it is not a read by anyone else.
    page.get_by_role("link", name="我的档案").click()
    page.get_by_text("县残联（部门批量共享").first.wait_for()
    page.screenshot(path=str(SCREENSHOTS / "profiles-me.png"), full_page=True)
    assert AuditEvent.objects.filter(action="personal_data.read", subject_party_id=resident.person.pk).count() == 1


def test_an_officer_uploads_a_feed_with_a_bad_row_and_sees_it_reported_line_by_line(page, live_server, catalog,
                                                                                    tmp_path):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    call_command("load_sharing_catalogue", stdout=open("/dev/null", "w"))
    admin = accounts.system_admin_bootstrap(username="sysadmin", name="王建国", id_number=ADMIN_ID,
                                            mobile="13990000001", password=PASSWORD)
    accounts.staff_account_create(user=admin, username="gaoyan", name="高燕", password=PASSWORD,
                                  id_number=make_id_number("19800202", 51), mobile="13990000051",
                                  grants=[accounts.GrantSpec(Role.DEPARTMENT_OFFICER, Department.objects.get(code="cl").pk)])
    feed = tmp_path / "残联-2026-11.csv"
    feed.write_text("subject,name,element,value,effective_date\n"
                    f"{RESIDENT_ID},张桂兰,cl.disability_level,二级,2024-05-20\n"
                    f"{make_id_number('19921212', 31)},刘兰芳,cl.disability_level,2级,2024-06-01\n", encoding="utf-8")
    base = live_server.url
    _log_in(page, base, "gaoyan")
    page.goto(base + "/profiles/feeds/")
    page.screenshot(path=str(SCREENSHOTS / "profiles-feeds.png"), full_page=True)
    page.get_by_label("数据文件", exact=True).set_input_files(str(feed))
    page.get_by_role("button", name="上传并导入").click()
    page.get_by_text("未导入（存在错误行）").first.wait_for()
    errors = page.locator(".feed-errors tbody tr")
    assert errors.count() == 1 and "3" in errors.first.inner_text() and "请从给定选项中选择" in errors.first.inner_text()
    assert "610830********" in errors.first.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "profiles-feed-rejected.png"), full_page=True)
