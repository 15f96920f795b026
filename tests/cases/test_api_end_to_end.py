"""Three bundles driven end to end through the JSON API only: upload, apply, one-time notice, correction,
acceptance, department tasks in their 前后置 order, unified delivery, rating."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from tests.cases import helpers
from yijianshi.audit.models import AuditEvent
from yijianshi.cases.models import Case, CaseMaterial, RectificationTask, StoredFile
from yijianshi.organizations.models import Department, ServicePoint

pytestmark = pytest.mark.django_db
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.UPLOAD_ROOT = tmp_path / "uploads"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(client, url, body=None, **headers):
    return client.post(url, json.dumps(body or {}), content_type="application/json", **headers)


def _apply(client, body, key):
    return _post(client, "/api/v1/applications", body, HTTP_IDEMPOTENCY_KEY=key)


class Departments:
    """One officer per department, made the first time a task of that department turns up."""

    def __init__(self, make_staff):
        self.make_staff = make_staff
        self.clients: dict[str, Client] = {}

    def officer(self, department_name: str) -> Client:
        code = Department.objects.get(name=department_name).code
        if code not in self.clients:
            self.clients[code] = _client(self.make_staff(f"officer-{code}", "department_officer", department=code))
        return self.clients[code]


def _tasks(client, number) -> dict[str, dict]:
    """The case's tasks by item code, as the applicant sees them."""
    response = client.get(f"/api/v1/applications/{number}")
    assert response.status_code == 200, response.content
    return {t["item_code"]: t for t in response.json()["tasks"]}


def _correct_then_accept(applicant, clerk, number, *, problems, correction):
    """The clerk lists two problems at once; the applicant fixes both; the clerk accepts."""
    notice = _post(clerk, f"/api/v1/applications/{number}/correction-request", {"problems": problems})
    assert notice.status_code == 200, notice.content
    assert notice.json()["status"] == "correction_requested"

    seen = applicant.get(f"/api/v1/applications/{number}").json()
    assert seen["status"] == "correction_requested"
    assert [p["message"] for p in seen["open_notices"][0]["problems"]] == [p["message"] for p in problems]
    # Accepting before the applicant answers is refused: the case waits for the correction.
    assert _post(clerk, f"/api/v1/applications/{number}/accept").status_code == 409

    corrected = _post(applicant, f"/api/v1/applications/{number}/materials", correction)
    assert corrected.status_code == 200, corrected.content
    assert corrected.json()["status"] == "submitted" and corrected.json()["open_notices"] == []

    accepted = _post(clerk, f"/api/v1/applications/{number}/accept")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "accepted"
    return accepted.json()


def _work_through(applicant, departments: Departments, number, waves: list[set[str]], *, rival=None) -> None:
    """Officers approve the case wave by wave. Each wave is the set of tasks that must be ready together; every
    other unfinished task waits for a prerequisite and cannot be claimed (409). Each approval's output data must
    reach the tasks after it as their inputs; the case completes only with the last approval. `rival`, an
    officer of the first task's department, tries to claim that task too: exactly one of the two gets it."""
    outputs: dict[int, dict] = {}
    for n, wave in enumerate(waves):
        tasks = _tasks(applicant, number)
        ready = {code for code, t in tasks.items() if t["status"] == "ready"}
        assert ready == wave, f"wave {n + 1}: expected {sorted(wave)} ready together, got {sorted(ready)}"
        for code, task in tasks.items():
            if task["status"] == "waiting":
                refused = _post(departments.officer(task["department"]), f"/api/v1/tasks/{task['id']}/claim")
                assert refused.status_code == 409, (code, refused.content)
                assert "等待前置事项" in refused.json()["message"]
        for code in sorted(wave):
            task = tasks[code]
            officer = departments.officer(task["department"])
            detail = officer.get(f"/api/v1/tasks/{task['id']}").json()
            expected_inputs = {}
            for prerequisite in detail["prerequisites"]:
                assert prerequisite["status"] == "approved"
                expected_inputs.update(outputs[prerequisite["id"]])
            assert detail["inputs"] == expected_inputs, code
            assert detail["case_number"] == number and detail["item_code"] == code

            claimed = _post(officer, f"/api/v1/tasks/{task['id']}/claim")
            assert claimed.status_code == 200, claimed.content
            assert claimed.json()["status"] == "claimed"
            if rival is not None:
                lost = _post(rival, f"/api/v1/tasks/{task['id']}/claim")
                assert lost.status_code == 409, lost.content
                assert CHINESE.search(lost.json()["message"]) and "办理中" in lost.json()["message"]
                rival = None
            assert applicant.get(f"/api/v1/applications/{number}").json()["status"] == "accepted"
            outputs[task["id"]] = {f"{code}.number": f"{code}-2026-0001"}
            approved = _post(officer, f"/api/v1/tasks/{task['id']}/approve", {
                "opinion": "材料齐全，准予办理", "result": {"证照编号": f"{code}-2026-0001"},
                "output_data": outputs[task["id"]]})
            assert approved.status_code == 200, approved.content
            assert approved.json()["status"] == "approved"
            # What the platform produced on approval (a registered enterprise's credit code) flows on too.
            assert outputs[task["id"]].items() <= approved.json()["output_data"].items()
            outputs[task["id"]] = approved.json()["output_data"]
    assert all(t["status"] == "approved" for t in _tasks(applicant, number).values())


def test_newborn_end_to_end(resident, make_staff):
    applicant = _client(resident)
    clerk = _client(make_staff("clerk1", "window_clerk", service_point="county-hall"))
    departments = Departments(make_staff)
    answers = helpers.answers_for("newborn")
    files = helpers.upload_materials(applicant, "newborn", answers)
    pickup = ServicePoint.objects.get(code="county-hall").pk
    body = helpers.application_body("newborn", answers, files=files, applicant=resident.person,
                                    delivery_method="pickup", pickup_point_id=pickup)

    created = _apply(applicant, body, "newborn-1")
    assert created.status_code == 201, created.content
    case = created.json()
    number = case["number"]
    assert case["status"] == "submitted" and case["bundle"]["code"] == "newborn"
    assert case["situation"]["included"] == ["WJJ-001", "WJJ-002", "GAJ-002", "YBJ-001", "RSJ-010"]
    assert case["form_data"]["person.id_number"] == "610830********0096"
    assert {m["code"] for m in case["materials"]} == set(files)

    # A retry with the same key (a double click, a lost answer) returns the same case and creates nothing.
    counts = (Case.objects.count(), CaseMaterial.objects.count(), StoredFile.objects.count(),
              AuditEvent.objects.count())
    replay = _apply(applicant, body, "newborn-1")
    assert replay.status_code == 200 and replay.json()["number"] == number
    assert (Case.objects.count(), CaseMaterial.objects.count(), StoredFile.objects.count(),
            AuditEvent.objects.count()) == counts
    assert [c["number"] for c in applicant.get("/api/v1/applications").json()] == [number]

    photo = helpers.upload(applicant, helpers.png(), name="孩子照片.png").json()["id"]
    _correct_then_accept(applicant, clerk, number, problems=[
        {"target": "material:photo", "message": "照片：请上传近期白底证件照"},
        {"target": "field:child.name", "message": "新生儿姓名：与出生医学证明不一致"}],
        correction={"form_data": {"child.name": "李小宝贝"}, "materials": {"photo": photo}})
    seen = applicant.get(f"/api/v1/applications/{number}").json()
    assert seen["form_data"]["child.name"] == "李小宝贝"
    assert {m["code"]: (m["status"], m["file_id"]) for m in seen["materials"]}["photo"] == ("provided", photo)

    rival = _client(make_staff("officer-wjj-2", "department_officer", department="wjj"))
    _work_through(applicant, departments, number, [{"WJJ-001", "WJJ-002"}, {"GAJ-002"}, {"YBJ-001"}, {"RSJ-010"}],
                  rival=rival)

    done = applicant.get(f"/api/v1/applications/{number}").json()
    assert done["status"] == "completed"  # to be picked up at the window: not delivered yet
    delivered = _post(clerk, f"/api/v1/applications/{number}/deliver", {"note": "申请人本人领取"})
    assert delivered.status_code == 200 and delivered.json()["status"] == "delivered"

    rating = _post(applicant, f"/api/v1/applications/{number}/rating", {"level": 5, "comment": "一次就办好了"})
    assert rating.status_code == 201, rating.content
    assert rating.json()["label"] == "非常满意" and rating.json()["rectification_due_date"] is None
    final = applicant.get(f"/api/v1/applications/{number}").json()
    assert final["rating"] == {"level": 5, "label": "非常满意"}
    assert not any(e["internal"] for e in final["timeline"])  # claims and alerts are staff-only


def test_business_startup_end_to_end_registers_her_new_enterprise(representative, make_staff):
    """马丽 founds a second company. The enterprise does not exist yet, so she applies as herself; approving the
    设立登记 registers it with a new credit code, which reaches the tax, social-insurance and housing-fund tasks.
    Results go to her space at once (download); she rates it 非常不满意, which opens a rectification task."""
    applicant = _client(representative)
    clerk = _client(make_staff("clerk1", "window_clerk", service_point="county-hall"))
    departments = Departments(make_staff)
    answers = helpers.answers_for("business-startup")
    files = helpers.upload_materials(applicant, "business-startup", answers)
    form = helpers.form_data("business-startup", answers, applicant=representative.person,
                             enterprise__name="清涧县秀延河餐饮管理有限公司")
    body = helpers.application_body("business-startup", answers, files=files, form=form)

    # For her existing enterprise the founding bundle is refused, naming the field; as herself it is taken.
    enterprise = representative.enterprise
    for_enterprise = _apply(applicant, {**body, "principal_id": enterprise.pk}, "startup-0")
    assert for_enterprise.status_code == 400 and for_enterprise.json()["field"] == "bundle_code"
    created = _apply(applicant, body, "startup-1")
    assert created.status_code == 201, created.content
    number = created.json()["number"]
    assert Case.objects.get(number=number).applicant_id == representative.person.pk
    assert created.json()["form_data"]["enterprise.legal_representative_id_number"] == "610830********0110"

    premises = helpers.upload(applicant, helpers.pdf("新的租赁合同")).json()["id"]
    _correct_then_accept(applicant, clerk, number, problems=[
        {"target": "material:premises-proof", "message": "住所证明：租赁合同未签字"},
        {"target": "field:enterprise.registered_capital", "message": "注册资本：与公司章程不一致"}],
        correction={"form_data": {"enterprise.registered_capital": "200"},
                    "materials": {"premises-proof": premises}})

    _work_through(applicant, departments, number, [
        {"SPJ-001"}, {"GAJ-003", "RSJ-011", "SWJ-002", "GJJZX-001"}, {"SYYH-001", "SWJ-003"}])

    founded = Case.objects.get(number=number).established_enterprise
    assert founded.name == "清涧县秀延河餐饮管理有限公司" and founded.credit_code.startswith("91610830MA")
    assert founded.legal_representative_id == representative.person.pk
    tax = _tasks(applicant, number)["SWJ-002"]
    assert departments.officer(tax["department"]).get(f"/api/v1/tasks/{tax['id']}").json()["inputs"][
        "enterprise.credit_code"] == founded.credit_code
    # She now acts for the new enterprise as its legal representative.
    assert founded.pk in {p["id"] for p in applicant.get("/api/v1/me").json()["may_act_for"]}

    done = applicant.get(f"/api/v1/applications/{number}").json()
    assert done["status"] == "delivered"  # every result at once, in her space
    assert [e["kind"] for e in done["timeline"]][-2:] == ["completed", "delivered"]
    assert done["form_data"]["enterprise.registered_capital"] == "200"

    rating = _post(applicant, f"/api/v1/applications/{number}/rating",
                   {"level": 1, "comment": "银行开户来回跑了两趟"})
    assert rating.status_code == 201, rating.content
    assert rating.json()["label"] == "非常不满意" and rating.json()["rectification_due_date"]
    rectification = RectificationTask.objects.get(rating__case__number=number)
    assert rectification.department.code == "spj" and rectification.status == "open"
    again = _post(applicant, f"/api/v1/applications/{number}/rating", {"level": 5})
    assert again.status_code == 409 and "已经评价" in again.json()["message"]


def test_resale_housing_transfer_end_to_end(resident, make_staff):
    """网签 -> 税费 -> 转移登记 in order, then water, power, gas and heating together; results by post."""
    applicant = _client(resident)
    clerk = _client(make_staff("clerk1", "window_clerk", service_point="county-hall"))
    departments = Departments(make_staff)
    answers = helpers.answers_for("resale-housing-transfer")
    files = helpers.upload_materials(applicant, "resale-housing-transfer", answers)
    body = helpers.application_body("resale-housing-transfer", answers, files=files, applicant=resident.person,
                                    delivery_method="post", delivery_address="清涧县宽州镇秀延西路6号2单元301室")
    created = _apply(applicant, body, "house-1")
    assert created.status_code == 201, created.content
    number = created.json()["number"]
    form = created.json()["form_data"]
    # Buyer's and seller's ID numbers come back masked, even to the applicant.
    assert form["house.buyer_id_number"] == "610830********0096"
    assert form["house.seller_id_number"].startswith("610830********")

    contract = helpers.upload(applicant, helpers.pdf("补签的买卖合同")).json()["id"]
    _correct_then_accept(applicant, clerk, number, problems=[
        {"target": "material:house-sale-contract", "message": "房屋买卖合同：缺少卖方签字页"},
        {"target": "field:house.area", "message": "建筑面积：与不动产权证书记载不符"}],
        correction={"form_data": {"house.area": "89.46"}, "materials": {"house-sale-contract": contract}})

    _work_through(applicant, departments, number, [
        {"ZJJ-002"}, {"SWJ-001"}, {"ZRZYJ-001"}, {"SLJ-001", "GDGS-001", "TRQGS-001", "ZJJ-003"}])

    assert applicant.get(f"/api/v1/applications/{number}").json()["status"] == "completed"
    # Only the window registers the posting; the department officers cannot.
    registry = departments.officer(Department.objects.get(code="zrzyj").name)
    assert _post(registry, f"/api/v1/applications/{number}/deliver").status_code == 403
    delivered = _post(clerk, f"/api/v1/applications/{number}/deliver", {"note": "EMS 1234567890"})
    assert delivered.status_code == 200 and delivered.json()["status"] == "delivered"

    rating = _post(applicant, f"/api/v1/applications/{number}/rating", {"level": 4})
    assert rating.status_code == 201 and rating.json()["label"] == "满意"
