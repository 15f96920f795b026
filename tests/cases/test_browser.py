"""新生儿出生 from application to rating, in headless Chromium: a resident applies (questionnaire, one form,
uploads), the window clerk sends a one-time notice, she corrects, the clerk accepts, each department's officer
approves in 前后置 order, and she sees the results delivered and rates the service."""

from pathlib import Path

import pytest

from tests.cases import helpers
from tests.conftest import ADMIN_ID, PASSWORD, RESIDENT_ID, make_id_number
from yijianshi.accounts import services as accounts
from yijianshi.accounts.roles import Role
from yijianshi.cases.models import Case, Rating, Task
from yijianshi.organizations.models import Department, ServicePoint

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANSWERS = {"parents_hukou_local": "yes", "settle_with": "father", "parents_married": "yes",
           "social_security_card": "yes", "vaccination_card_received": "no"}
OFFICERS = {"wjj": "卫健经办", "gaj": "户籍民警", "ybj": "医保经办", "rsj": "人社经办"}



def _people():
    admin = accounts.system_admin_bootstrap(username="sysadmin", name="王建国", id_number=ADMIN_ID,
                                            mobile="13990000001", password=PASSWORD)
    resident = accounts.resident_sign_up(name="张桂兰", id_number=RESIDENT_ID, mobile="13800000001",
                                         password=PASSWORD)
    hall = ServicePoint.objects.get(code="county-hall")
    accounts.staff_account_create(user=admin, username="clerk", name="李敏", id_number=make_id_number("19910101", 1),
                                  mobile="13990000101", password=PASSWORD,
                                  grants=[accounts.GrantSpec(Role.WINDOW_CLERK, service_point_id=hall.pk)])
    for n, (code, name) in enumerate(OFFICERS.items(), 2):
        department = Department.objects.get(code=code)
        accounts.staff_account_create(
            user=admin, username=f"officer-{code}", name=name, id_number=make_id_number("19910101", n),
            mobile=f"139900001{n:02d}", password=PASSWORD,
            grants=[accounts.GrantSpec(Role.DEPARTMENT_OFFICER, department_id=department.pk)])
    return resident


def _log_in(page, base, identifier):
    page.goto(base + "/accounts/login/")
    page.get_by_label("身份证号码 / 手机号码 / 登录名").fill(identifier)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url("**/me/")


def _log_out(page):
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(lambda url: "/me/" not in url and "/cases/" not in url)


def _file(name: str, data: bytes, mime: str) -> dict:
    return {"name": name, "mimeType": mime, "buffer": data}


def test_a_newborn_case_from_application_to_rating(page, live_server, catalog):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    resident = _people()
    base = live_server.url

    # 情形引导: she says the hospital already gave the vaccination card; the outcome updates as she answers.
    _log_in(page, base, RESIDENT_ID)
    page.goto(base + "/apply/newborn/")
    page.get_by_role("button", name="开始申请").click()
    page.wait_for_url("**/situation/")
    page.locator("#id_vaccination_card_received_0").check()  # 是
    excluded = page.locator(".outcome-out", has_text="预防接种证办理")
    excluded.wait_for()
    assert "无需重复办理" in excluded.inner_text()
    page.locator("#id_vaccination_card_received_1").check()  # back to 否: all five items
    page.locator(".outcome-out").wait_for(state="detached")
    page.screenshot(path=str(SCREENSHOTS / "case-situation.png"), full_page=True)
    page.get_by_role("button", name="下一步：填写申请表").click()
    page.wait_for_url("**/form/")
    assert "本次办理 5 个事项" in page.locator(".outcome").inner_text()

    # One form: her own name and ID number come from the register, read-only; she completes the rest.
    assert page.locator('[name="person.id_number"]').input_value() == RESIDENT_ID
    assert page.locator('[name="person.id_number"]').is_disabled()
    page.get_by_role("button", name="下一步：上传材料").click()  # first with the child's fields empty
    assert page.locator("#id_child\\.name_error").inner_text() == "新生儿姓名：必填"
    for element, value in helpers.form_data("newborn", ANSWERS, applicant=resident.person).items():
        field = page.locator(f'[name="{element}"]')
        if field.is_disabled():
            continue
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(str(value))
        else:
            field.fill(str(value))
    page.get_by_role("button", name="下一步：上传材料").click()
    page.wait_for_url("**/materials/")

    # Each material once: photos as PNG, documents as PDF.
    for code in helpers.required_materials("newborn", ANSWERS):
        data = _file("照片.png", helpers.png(), "image/png") if code == "photo" else _file(
            f"{code}.pdf", helpers.pdf(code), "application/pdf")
        page.locator(f"#id_material-{code}").set_input_files(data)
    page.screenshot(path=str(SCREENSHOTS / "case-materials.png"), full_page=True)
    page.get_by_role("button", name="下一步：出件方式").click()
    page.wait_for_url("**/confirm/")
    assert page.get_by_label("邮寄地址（邮寄送达时填写）").is_hidden()  # only the chosen way's inputs show
    page.get_by_role("radio", name="邮寄送达").check()
    assert page.get_by_label("邮寄地址（邮寄送达时填写）").is_visible()
    page.get_by_role("radio", name="在个人空间下载电子结果").check()
    page.screenshot(path=str(SCREENSHOTS / "case-apply.png"), full_page=True)
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url("**/receipt/")
    case = Case.objects.get()
    assert case.number in page.locator(".receipt-box").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="下载受理回执（PDF）").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    _log_out(page)

    # The window clerk finds the photo unusable and sends one notice listing it.
    _log_in(page, base, "clerk")
    page.goto(base + "/window/")
    page.get_by_role("link", name=case.number).click()
    page.wait_for_url(f"**/window/cases/{case.number}/")
    assert "610830********0096" in page.locator(".case-head").inner_text()
    page.get_by_label("材料：近期免冠彩色证件照片").fill("照片背景不是白色，请上传白底证件照")
    page.screenshot(path=str(SCREENSHOTS / "case-window.png"), full_page=True)
    page.get_by_role("button", name="发出一次性告知书").click()
    page.wait_for_url(f"**/window/cases/{case.number}/")
    assert "待补正" in page.locator(".case-state").inner_text()
    _log_out(page)

    # She sees the notice on her case and uploads a new photo.
    _log_in(page, base, RESIDENT_ID)
    page.goto(base + f"/cases/{case.number}/")
    notice = page.locator("#correction")
    assert "照片背景不是白色，请上传白底证件照" in notice.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "case-notice.png"), full_page=True)
    notice.locator("#id_material-photo").set_input_files(_file("白底照片.png", helpers.png(),
                                                               "image/png"))
    notice.get_by_role("button", name="提交补正").click()
    page.wait_for_url(f"**/cases/{case.number}/")
    assert "补正材料已提交" in page.locator(".messages").inner_text()
    _log_out(page)

    # The clerk accepts: the departments start in parallel, in 前后置 order.
    _log_in(page, base, "clerk")
    page.goto(base + f"/window/cases/{case.number}/")
    page.get_by_role("button", name="受理", exact=True).click()
    page.wait_for_url(f"**/window/cases/{case.number}/")
    assert "已受理" in page.locator(".messages").inner_text()
    _log_out(page)

    order = []
    while ready := list(Task.objects.filter(case=case, status=Task.Status.READY)
                        .select_related("department", "item_version__item").order_by("pk")):
        for task in ready:
            code = task.item_version.item.code
            order.append(code)
            _log_in(page, base, f"officer-{task.department.code}")
            page.goto(base + "/tasks/")
            if code == "WJJ-001":
                page.screenshot(path=str(SCREENSHOTS / "case-task-queue.png"), full_page=True)
            page.get_by_role("link", name=task.item_version.name).click()
            page.wait_for_url(f"**/tasks/{task.pk}/")
            page.get_by_role("button", name="认领任务").click()
            page.wait_for_url(f"**/tasks/{task.pk}/")
            page.get_by_label("办理意见").fill("材料齐全，符合条件，同意办理")
            page.get_by_label("办理结果 第 1 项内容").fill(f"{code}-2026-0001")
            if code == "WJJ-001":  # the certificate number flows to 户口登记
                page.get_by_label("传递给后续事项的数据 第 1 项名称").fill("wjj.birth_certificate_number")
                page.get_by_label("传递给后续事项的数据 第 1 项内容").fill("T610830260001")
            if code == "GAJ-002":
                assert "T610830260001" in page.locator(".case-main").inner_text()
                page.screenshot(path=str(SCREENSHOTS / "case-tasks.png"), full_page=True)
            page.get_by_role("button", name="办结", exact=True).click()
            page.wait_for_url(f"**/tasks/{task.pk}/")
            assert "已办结" in page.locator(".messages").inner_text()
            _log_out(page)
    # Prerequisites first: the birth certificate before the household registration, and so on.
    assert order.index("WJJ-001") < order.index("GAJ-002") < order.index("YBJ-001") < order.index("RSJ-010")

    # Electronic results are delivered with completion; she rates the service.
    _log_in(page, base, RESIDENT_ID)
    page.goto(base + f"/cases/{case.number}/")
    assert "已出件" in page.locator(".case-state").inner_text()
    assert "GAJ-002-2026-0001" in page.locator(".results").inner_text()
    page.get_by_label("非常满意").check()
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_url(f"**/cases/{case.number}/")
    assert "非常满意" in page.locator(".rating-given").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "case-done.png"), full_page=True)
    assert Rating.objects.get(case=case).level == Rating.Level.VERY_SATISFIED
    case.refresh_from_db()
    assert case.status == Case.Status.DELIVERED
