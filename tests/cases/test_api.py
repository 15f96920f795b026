"""The case API's refusals: bad input names its field, other people's cases and tasks stay out of reach, uploads
are checked by content, and every operation is documented in Chinese."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.cases import helpers
from tests.conftest import RELATIVE_ID
from yijianshi.accounts import services as accounts
from yijianshi.audit.models import AuditEvent
from yijianshi.cases.models import Case, Commitment, StoredFile

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.UPLOAD_ROOT = tmp_path / "uploads"


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _post(client, url, body=None, **headers):
    return client.post(url, json.dumps(body or {}), content_type="application/json", **headers)


def _newborn_body(client, person, **extra):
    answers = helpers.answers_for("newborn")
    return helpers.application_body("newborn", answers, files=helpers.upload_materials(client, "newborn", answers),
                                    applicant=person, **extra)


def _apply(client, body, key="key-1"):
    return _post(client, "/api/v1/applications", body, HTTP_IDEMPOTENCY_KEY=key)


@pytest.fixture
def newborn_case(resident):
    """张桂兰's newborn application, submitted through the API; returns (client, case number)."""
    client = _client(resident)
    response = _apply(client, _newborn_body(client, resident.person))
    assert response.status_code == 201, response.content
    return client, response.json()["number"]


@pytest.fixture
def accepted_case(newborn_case, make_staff):
    client, number = newborn_case
    clerk = _client(make_staff("clerk1", "window_clerk", service_point="county-hall"))
    assert _post(clerk, f"/api/v1/applications/{number}/accept").status_code == 200
    tasks = {t["item_code"]: t for t in client.get(f"/api/v1/applications/{number}").json()["tasks"]}
    return client, number, tasks


# --- input is checked, the field is named, nothing is half-saved ------------------------------------------------

def test_an_application_without_an_idempotency_key_is_a_400_naming_the_header(resident):
    client = _client(resident)
    response = _post(client, "/api/v1/applications", _newborn_body(client, resident.person))
    assert response.status_code == 400
    assert response.json()["field"] == "Idempotency-Key" and "Idempotency-Key" in response.json()["message"]
    assert not Case.objects.exists()


def test_a_wrong_form_value_is_a_400_naming_the_field(resident):
    client = _client(resident)
    body = _newborn_body(client, resident.person)
    body["form_data"]["child.birth_date"] = "上个月"
    events = AuditEvent.objects.count()
    response = _apply(client, body)
    assert response.status_code == 400
    assert response.json()["field"] == "form.child.birth_date"
    assert response.json()["message"].startswith("新生儿出生日期：")
    assert not Case.objects.exists() and AuditEvent.objects.count() == events


def test_a_missing_material_is_a_400_naming_it(resident):
    client = _client(resident)
    body = _newborn_body(client, resident.person)
    del body["materials"]["photo"]
    response = _apply(client, body)
    assert response.status_code == 400
    assert response.json()["field"] == "materials.photo" and "请上传" in response.json()["message"]
    assert not Case.objects.exists()


def test_an_unknown_bundle_and_an_unanswerable_question_are_400s(resident):
    client = _client(resident)
    body = _newborn_body(client, resident.person)
    unknown = _apply(client, {**body, "bundle_code": "moon-landing"}, key="a")
    assert unknown.status_code == 400 and unknown.json()["field"] == "bundle_code"
    bad_answer = _apply(client, {**body, "answers": {**body["answers"], "parents_married": "maybe"}}, key="b")
    assert bad_answer.status_code == 400 and bad_answer.json()["field"] == "answers.parents_married"
    assert not Case.objects.exists()


def test_a_malformed_body_is_a_422_naming_the_field(resident):
    client = _client(resident)
    body = _newborn_body(client, resident.person)
    response = _apply(client, {**body, "materials": {"photo": "照片.jpg"}})
    assert response.status_code == 422
    assert "materials.photo" in response.json()["message"]
    assert _apply(client, {k: v for k, v in body.items() if k != "bundle_code"}).status_code == 422


def test_post_delivery_without_an_address_is_a_400(resident):
    client = _client(resident)
    response = _apply(client, _newborn_body(client, resident.person, delivery_method="post"))
    assert response.status_code == 400 and response.json()["field"] == "delivery_address"


@pytest.mark.django_db(transaction=True)
def test_an_unknown_pickup_point_is_a_400_naming_the_field(catalog, resident):
    """Core bug: case_submit stores any pickup_point_id; an unknown one fails the foreign key at commit, and the
    IntegrityError handler meant for the idempotency race re-raises it: a 500. (Transactional, so the
    deferred foreign-key check runs inside the request as in production.)"""
    client = _client(resident)
    client.raise_request_exception = False
    response = _apply(client, _newborn_body(client, resident.person, delivery_method="pickup",
                                            pickup_point_id=999999))
    assert response.status_code == 400 and response.json()["field"] == "pickup_point_id"
    assert not Case.objects.exists()


def test_a_correction_without_an_open_notice_is_a_409(newborn_case):
    client, number = newborn_case
    response = _post(client, f"/api/v1/applications/{number}/materials", {"form_data": {"child.name": "李小宝"}})
    assert response.status_code == 409 and "没有待补正" in response.json()["message"]


def test_an_empty_one_time_notice_is_a_400(newborn_case, make_staff):
    _, number = newborn_case
    clerk = _client(make_staff("clerk1", "window_clerk", service_point="county-hall"))
    response = _post(clerk, f"/api/v1/applications/{number}/correction-request", {"problems": []})
    assert response.status_code == 400 and response.json()["field"] == "problems"
    assert Case.objects.get(number=number).status == "submitted"


def test_refusing_an_application_needs_a_legal_basis(newborn_case, make_staff):
    client, number = newborn_case
    clerk = _client(make_staff("clerk1", "window_clerk", service_point="county-hall"))
    missing = _post(clerk, f"/api/v1/applications/{number}/refuse", {"reason": "非本县户籍", "legal_basis": " "})
    assert missing.status_code == 400 and missing.json()["field"] == "legal_basis"
    refused = _post(clerk, f"/api/v1/applications/{number}/refuse",
                    {"reason": "父母户籍均不在本县", "legal_basis": "《户口登记条例》第七条"})
    assert refused.status_code == 200 and refused.json()["status"] == "refused"
    assert client.get(f"/api/v1/applications/{number}").json()["status_label"] == "不予受理"


def test_the_applicant_withdraws_and_cannot_rate_before_completion(newborn_case):
    client, number = newborn_case
    early = _post(client, f"/api/v1/applications/{number}/rating", {"level": 5})
    assert early.status_code == 409 and "办结后" in early.json()["message"]
    withdrawn = _post(client, f"/api/v1/applications/{number}/withdraw", {"reason": "信息填错，重新申请"})
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"


def test_a_deferred_material_is_supplied_later_through_the_materials_endpoint(resident):
    client = _client(resident)
    answers = helpers.answers_for("newborn")
    deferred = helpers.tolerable_materials("newborn", answers)
    assert deferred == ["household-register"]
    files = {k: v for k, v in helpers.upload_materials(client, "newborn", answers).items() if k not in deferred}
    body = helpers.application_body("newborn", answers, files=files, applicant=resident.person,
                                    deferred_materials=deferred)
    unsigned = _apply(client, body, key="a")
    assert unsigned.status_code == 400 and unsigned.json()["field"] == "commitment_signed"
    created = _apply(client, {**body, "commitment_signed": True}, key="b")
    assert created.status_code == 201, created.content
    case = created.json()
    commitment = next(c for c in case["commitments"] if c["kind"] == "deficiency")
    assert commitment["materials"] == deferred and commitment["status"] == "pending"

    register = helpers.upload(client, helpers.pdf("户口簿")).json()["id"]
    supplied = _post(client, f"/api/v1/applications/{case['number']}/materials",
                     {"commitment_id": commitment["id"], "materials": {"household-register": register}})
    assert supplied.status_code == 200, supplied.content
    assert Commitment.objects.get(pk=commitment["id"]).status == "fulfilled"
    material = {m["code"]: m for m in supplied.json()["materials"]}["household-register"]
    assert material["status"] == "provided" and material["file_id"] == register


# --- other people's cases and tasks -----------------------------------------------------------------------------

def test_a_resident_cannot_read_or_touch_another_residents_case(newborn_case, relative):
    _, number = newborn_case
    stranger = _client(relative)
    assert stranger.get(f"/api/v1/applications/{number}").status_code == 404
    assert stranger.get("/api/v1/applications/QJ20000101000001").status_code == 404  # same answer as "not there"
    assert stranger.get("/api/v1/applications").json() == []
    for action, body in [("withdraw", {}), ("rating", {"level": 1, "comment": "差"}),
                         ("materials", {"form_data": {"child.name": "王五"}}), ("accept", {})]:
        assert _post(stranger, f"/api/v1/applications/{number}/{action}", body).status_code == 404, action
    assert Case.objects.get(number=number).status == "submitted"


def test_a_mandated_agent_applies_for_and_follows_the_principals_case(resident, relative):
    accounts.mandate_grant(user=resident, principal=resident.person, agent_name="张小军",
                           agent_id_number=RELATIVE_ID, bundle_codes=["newborn"],
                           valid_until=timezone.now() + timedelta(days=30))
    agent = _client(relative)
    response = _apply(agent, _newborn_body(agent, resident.person, principal_id=resident.person.pk))
    assert response.status_code == 201, response.content
    case = Case.objects.get(number=response.json()["number"])
    assert case.applicant_id == resident.person.pk and case.channel == "agent" and case.mandate is not None
    # Both sides see it; the agent needs no principal_id to open it.
    assert agent.get(f"/api/v1/applications/{case.number}").json()["form_data"]["person.id_number"] == \
        "610830********0096"
    assert [c["number"] for c in _client(resident).get("/api/v1/applications").json()] == [case.number]
    # Without a mandate covering the bundle the agent may not act for her at all.
    other = _apply(agent, helpers.application_body("resale-housing-transfer", files={},
                                                   principal_id=resident.person.pk), key="house")
    assert other.status_code == 403


def test_staff_see_the_case_but_not_its_form_data(newborn_case, make_staff):
    _, number = newborn_case
    clerk = _client(make_staff("clerk1", "window_clerk", service_point="county-hall"))
    seen = clerk.get(f"/api/v1/applications/{number}")
    assert seen.status_code == 200 and seen.json()["form_data"] is None
    assert "610830194001010096" not in seen.content.decode()
    unrelated = _client(make_staff("officer-zjj", "department_officer", department="zjj"))
    assert unrelated.get(f"/api/v1/applications/{number}").status_code == 404
    assert _post(unrelated, f"/api/v1/applications/{number}/accept").status_code == 404


def test_only_the_window_or_the_lead_department_pre_reviews(newborn_case, make_staff):
    _, number = newborn_case
    police = _client(make_staff("officer-gaj", "department_officer", department="gaj"))
    assert police.get(f"/api/v1/applications/{number}").status_code == 404  # no 公安 task before acceptance
    lead = _client(make_staff("officer-wjj", "department_officer", department="wjj"))
    assert lead.get(f"/api/v1/applications/{number}").status_code == 200
    assert _post(lead, f"/api/v1/applications/{number}/accept").status_code == 200
    # Once accepted, the departments with a task see the case, but pre-review stays with the window and lead.
    assert police.get(f"/api/v1/applications/{number}").status_code == 200
    refused = _post(police, f"/api/v1/applications/{number}/refuse", {"reason": "不符合", "legal_basis": "无"})
    assert refused.status_code == 403 and "预审" in refused.json()["message"]


def test_an_officer_of_another_department_cannot_see_or_act_on_a_task(accepted_case, make_staff):
    _, _, tasks = accepted_case
    task = tasks["WJJ-001"]
    other = _client(make_staff("officer-rsj", "department_officer", department="rsj"))
    assert other.get(f"/api/v1/tasks/{task['id']}").status_code == 404
    assert task["id"] not in [t["id"] for t in other.get("/api/v1/tasks").json()]
    for action, body in [("claim", {}), ("approve", {"opinion": "同意"}), ("refuse", {
            "opinion": "不同意", "legal_basis": "无"}), ("return", {"opinion": "补正", "problems": [{"message": "x"}]})]:
        assert _post(other, f"/api/v1/tasks/{task['id']}/{action}", body).status_code == 404, action
    own = _client(make_staff("officer-wjj", "department_officer", department="wjj"))
    assert task["id"] in [t["id"] for t in own.get("/api/v1/tasks").json()]
    assert own.get(f"/api/v1/tasks/{task['id']}").json()["status"] == "ready"


def test_an_officer_cannot_approve_a_task_another_officer_claimed(accepted_case, make_staff):
    _, _, tasks = accepted_case
    first = _client(make_staff("officer-wjj", "department_officer", department="wjj"))
    second = _client(make_staff("officer-wjj-2", "department_officer", department="wjj"))
    assert _post(first, f"/api/v1/tasks/{tasks['WJJ-001']['id']}/claim").status_code == 200
    response = _post(second, f"/api/v1/tasks/{tasks['WJJ-001']['id']}/approve", {"opinion": "同意办理"})
    assert response.status_code == 409 and "其他经办人" in response.json()["message"]


def test_only_the_departments_leader_extends_a_task(accepted_case, make_staff):
    _, _, tasks = accepted_case
    officer = _client(make_staff("officer-wjj", "department_officer", department="wjj"))
    leader = _client(make_staff("leader-wjj", "department_leader", department="wjj"))
    url = f"/api/v1/tasks/{tasks['WJJ-001']['id']}/extend"
    assert _post(officer, url, {"days": 3, "reason": "需现场核查"}).status_code == 403
    too_long = _post(leader, url, {"days": 60, "reason": "需现场核查"})
    assert too_long.status_code == 400 and too_long.json()["field"] == "days"
    extended = _post(leader, url, {"days": 3, "reason": "需现场核查出生情况"})
    assert extended.status_code == 200 and extended.json()["due_date"] > tasks["WJJ-001"]["due_date"]


def test_a_returned_task_goes_back_to_the_applicant_and_resumes_after_correction(accepted_case, make_staff):
    client, number, tasks = accepted_case
    officer = _client(make_staff("officer-wjj", "department_officer", department="wjj"))
    url = f"/api/v1/tasks/{tasks['WJJ-001']['id']}"
    assert _post(officer, f"{url}/claim").status_code == 200
    returned = _post(officer, f"{url}/return", {"opinion": "身份证照片不清晰", "problems": [
        {"target": "material:id-card", "message": "身份证：请重新拍摄，四角完整"}]})
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    case = client.get(f"/api/v1/applications/{number}").json()
    assert case["open_notices"][0]["problems"][0]["message"] == "身份证：请重新拍摄，四角完整"
    card = helpers.upload(client, helpers.pdf("新的身份证")).json()["id"]
    corrected = _post(client, f"/api/v1/applications/{number}/materials", {"materials": {"id-card": card}})
    assert corrected.status_code == 200 and corrected.json()["status"] == "accepted"
    assert officer.get(url).json()["status"] == "claimed"


def test_the_task_queue_and_unknown_actions(accepted_case, make_staff, resident):
    _, _, tasks = accepted_case
    officer = _client(make_staff("officer-wjj", "department_officer", department="wjj"))
    ready = officer.get("/api/v1/tasks?status=ready").json()
    assert {t["item_code"] for t in ready} == {"WJJ-001", "WJJ-002"}
    assert officer.get("/api/v1/tasks?status=approved").json() == []
    bad = officer.get("/api/v1/tasks?status=done")
    assert bad.status_code == 400 and bad.json()["field"] == "status"
    assert _post(officer, f"/api/v1/tasks/{tasks['WJJ-001']['id']}/delete").status_code == 404
    assert _post(officer, "/api/v1/tasks/999999/claim").status_code == 404
    residents_queue = _client(resident).get("/api/v1/tasks")
    assert residents_queue.status_code == 403 and "部门经办人员" in residents_queue.json()["message"]


def test_timeline_entries_for_staff_only_stay_hidden_from_the_applicant(accepted_case, make_staff):
    client, number, tasks = accepted_case
    officer = _client(make_staff("officer-wjj", "department_officer", department="wjj"))
    _post(officer, f"/api/v1/tasks/{tasks['WJJ-001']['id']}/claim")
    clerk = _client(make_staff("clerk2", "window_clerk", service_point="county-hall"))
    assert "task_claimed" in [e["kind"] for e in clerk.get(f"/api/v1/applications/{number}").json()["timeline"]]
    assert "task_claimed" not in [e["kind"] for e in client.get(f"/api/v1/applications/{number}").json()["timeline"]]


def test_id_numbers_in_output_data_reach_the_next_task_masked(accepted_case, make_staff):
    client, number, tasks = accepted_case
    wjj = _client(make_staff("officer-wjj", "department_officer", department="wjj"))
    url = f"/api/v1/tasks/{tasks['WJJ-001']['id']}"
    _post(wjj, f"{url}/claim")
    child_id = helpers.id_number("20261120", 31)
    _post(wjj, f"{url}/approve", {"opinion": "已签发", "output_data": {
        "birth_certificate_number": "Q610123456", "note": f"新生儿身份证号 {child_id}"}})
    police = _client(make_staff("officer-gaj", "department_officer", department="gaj"))
    inputs = police.get(f"/api/v1/tasks/{tasks['GAJ-002']['id']}").json()["inputs"]
    assert inputs["birth_certificate_number"] == "Q610123456"
    assert child_id not in inputs["note"] and inputs["note"].endswith(child_id[-4:])


def test_the_status_of_a_case_takes_the_same_queries_however_many_tasks_it_has(resident, make_staff):
    """Core bug: selectors.case_status reads each task's item code through item_version.item without
    select_related, one query per task (N+1); at a million cases that is most of the request's queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(resident)
    clerk = _client(make_staff("clerk1", "window_clerk", service_point="county-hall"))
    numbers = []
    for key, answers in [("five", helpers.answers_for("newborn")), ("three", helpers.answers_for(
            "newborn", social_security_card="no", vaccination_card_received="yes"))]:
        files = helpers.upload_materials(client, "newborn", answers)
        body = helpers.application_body("newborn", answers, files=files, applicant=resident.person)
        numbers.append(_apply(client, body, key=key).json()["number"])
        assert _post(clerk, f"/api/v1/applications/{numbers[-1]}/accept").status_code == 200
    counts = []
    for number in numbers:
        with CaptureQueriesContext(connection) as captured:
            tasks = client.get(f"/api/v1/applications/{number}").json()["tasks"]
        counts.append((len(tasks), len(captured.captured_queries)))
    assert [n for n, _ in counts] == [5, 3]
    assert counts[0][1] == counts[1][1], counts


# --- who may call at all ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("method, url", [
    ("get", "/api/v1/applications"), ("get", "/api/v1/applications/QJ20261130000001"),
    ("post", "/api/v1/applications"), ("post", "/api/v1/files"), ("get", "/api/v1/tasks"),
    ("get", "/api/v1/tasks/1"), ("post", "/api/v1/tasks/1/claim"),
    ("post", "/api/v1/applications/QJ20261130000001/accept")])
def test_anonymous_callers_get_401(method, url):
    response = getattr(Client(), method)(url)
    assert response.status_code == 401 and "请先登录" in response.json()["message"]


def test_a_system_account_cannot_apply_for_anyone(system_admin):
    from yijianshi.accounts.system_accounts import system_account_create

    hall = system_account_create(user=system_admin, username="hall-queue", name="大厅排队叫号系统")
    _, secret = accounts.api_token_issue(user=system_admin, owner=hall, name="叫号对接")
    response = Client().post("/api/v1/applications", json.dumps({"bundle_code": "newborn"}),
                             content_type="application/json", HTTP_IDEMPOTENCY_KEY="k",
                             HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 403 and "实名" in response.json()["message"]


# --- uploads ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("data, name", [
    (helpers.EXE, "照片.exe"), (helpers.HTML, "材料.html"), (helpers.EXE, "伪装成PDF.pdf")])
def test_the_upload_refuses_programs_and_web_pages(resident, data, name):
    response = helpers.upload(_client(resident), data, name=name)
    assert response.status_code == 400
    assert response.json() == {"field": "file", "message": "文件：只接受 PDF、JPG、PNG 格式的文件"}
    assert not StoredFile.objects.exists()


def test_the_upload_refuses_a_pdf_with_javascript(resident):
    response = helpers.upload(_client(resident), helpers.PDF_WITH_JAVASCRIPT, name="申请表.pdf")
    assert response.status_code == 400 and response.json()["field"] == "file"
    assert "脚本" in response.json()["message"]
    assert not StoredFile.objects.exists()


def test_the_upload_stores_pdf_and_png_once_by_content(resident):
    client = _client(resident)
    first = helpers.upload(client, helpers.pdf("户口簿"), name="户口簿.pdf")
    assert first.status_code == 201
    assert set(first.json()) == {"id", "sha256", "size", "content_type"}
    assert first.json()["content_type"] == "application/pdf"
    again = helpers.upload(client, helpers.pdf("户口簿"), name="另一个名字.pdf")
    assert again.json()["id"] == first.json()["id"]
    photo = helpers.upload(client, helpers.png(), name="photo.jpg")  # the name does not decide the type
    assert photo.status_code == 201 and photo.json()["content_type"] == "image/png"
    missing = client.post("/api/v1/files", {})
    assert missing.status_code == 422 and "file" in missing.json()["message"]


# --- documentation ----------------------------------------------------------------------------------------------

def test_every_case_operation_is_documented_in_chinese():
    schema = Client().get("/api/openapi.json").json()
    operations = [(path, method, op) for path, methods in schema["paths"].items() for method, op in methods.items()
                  if path.startswith(("/api/v1/applications", "/api/v1/tasks", "/api/v1/files"))]
    assert len(operations) == 18
    for path, method, op in operations:
        assert op["tags"] == ["办件"], path
        assert any("\u4e00" <= ch <= "\u9fff" for ch in op["summary"]), (path, method)
        assert op.get("security"), (path, method)
    apply = schema["paths"]["/api/v1/applications"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in apply["parameters"]]
    assert {"200", "201"} <= set(apply["responses"])
