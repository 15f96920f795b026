"""The case's printed papers: each is a real PDF whose Chinese text survives extraction (fonts embedded)."""

import shutil
import subprocess

import pytest

from tests.cases import helpers
from yijianshi.accounts.services import acting_context
from yijianshi.cases import pdf, services
from yijianshi.cases.models import Case

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is needed")]


@pytest.fixture(autouse=True)
def public_address(settings):
    settings.PUBLIC_BASE_URL = "https://zwfw.qingjian.gov.cn"


def _text(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    result = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True)
    return "".join(result.stdout.decode("utf-8").split())  # CJK text may be spaced out by the layout


def _apply(resident, *, defer=()) -> Case:
    answers = helpers.answers_for("newborn")
    files = {code: fid for code, fid in helpers.store_materials("newborn", answers, owner=resident).items() if code not in defer}
    submission = helpers.submission("newborn", answers, files=files, applicant=resident.person,
                                    deferred_materials=list(defer), commitment_signed=bool(defer))
    return services.case_submit(context=acting_context(resident), submission=submission, idempotency_key="pdf-1")[0]


def test_the_receipt_names_the_case_the_masked_applicant_the_items_and_the_due_date(resident, clerk):
    case = _apply(resident)
    services.case_accept(user=clerk, case=case)
    case.refresh_from_db()
    text = _text(pdf.receipt_pdf(case))
    assert "受理回执" in text and case.number in text
    assert "张**" in text and "张桂兰" not in text and resident.person.id_number not in text
    assert "新生儿出生“一件事”" in text
    for name in ["出生医学证明签发", "户口登记", "社会保障卡申领"]:
        assert name in text
    assert f"{case.due_date.year}年{case.due_date.month}月{case.due_date.day}日" in text
    assert "办理中" in text
    # The QR code and the printed address lead to the case's public status page.
    assert pdf.case_url(case) == f"https://zwfw.qingjian.gov.cn/cases/{case.number}/"
    assert f"zwfw.qingjian.gov.cn/cases/{case.number}/" in text


def test_the_one_time_notice_lists_every_problem_with_the_date_the_unit_and_the_law(resident, clerk):
    case = _apply(resident)
    notice = services.case_request_correction(user=clerk, case=case, problems=[
        {"target": "material:photo", "message": "照片背景不是白色，请重新上传"},
        {"target": "field:child.name", "message": "与出生医学证明上的姓名不一致"},
        {"target": "", "message": "请携带户口簿原件到窗口核验"}])
    text = _text(pdf.notice_pdf(notice))
    assert "一次性告知书" in text and case.number in text
    assert "材料：近期免冠彩色证件照片" in text and "照片背景不是白色，请重新上传" in text
    assert "填报项：新生儿姓名" in text and "与出生医学证明上的姓名不一致" in text
    assert "其他" in text and "请携带户口簿原件到窗口核验" in text
    assert "清涧县政务服务中心" in text  # the clerk's service point
    issued = notice.issued_at.astimezone()
    assert f"{issued.year}年{issued.month}月{issued.day}日" in text
    assert "《中华人民共和国行政许可法》第三十二条" in text and "补正期间不计入承诺办结时限" in text


def test_a_notice_from_a_department_names_that_department(resident, clerk, make_staff):
    case = _apply(resident)
    services.case_accept(user=clerk, case=case)
    officer = make_staff("officer-wjj", "department_officer", department="wjj")
    task = case.tasks.get(item_version__item__code="WJJ-001")
    services.task_claim(user=officer, task=task)
    services.task_return(user=officer, task=task, opinion="需补正",
                         problems=[{"target": "material:id-card", "message": "父亲的身份证反面缺失"}])
    text = _text(pdf.notice_pdf(case.notices.get()))
    assert "县卫健局" in text and "出生医学证明签发" in text and "父亲的身份证反面缺失" in text


def test_the_commitment_letter_carries_the_signed_text_and_the_deferred_materials(resident):
    later = helpers.tolerable_materials("newborn")[0]
    case = _apply(resident, defer=[later])
    commitment = case.commitments.get()
    text = _text(pdf.commitment_pdf(commitment))
    assert "容缺受理承诺书" in text and case.number in text
    assert "5个工作日内补齐上述材料" in text and "记入信用记录" in text
    from yijianshi.catalog.models import Material

    assert Material.objects.get(code=later).name in text
    assert "承诺人：张桂兰（在线实名签署）" in text  # the signed letter names its signer
