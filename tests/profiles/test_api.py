"""POST /api/v1/profiles/read and GET /api/v1/profiles/sharing-entries: the catalogue's rules over the API, for a
staff session and for a department's system with a bearer token; refusals say why and read nothing."""

import json

import pytest

from tests.conftest import RESIDENT_ID, make_id_number
from yijianshi.accounts.roles import Role
from yijianshi.accounts.services import GrantSpec, api_token_issue, staff_roles_set
from yijianshi.accounts.system_accounts import system_account_create
from yijianshi.audit.models import AuditEvent
from yijianshi.organizations.models import Department
from yijianshi.profiles.services import profile_record

pytestmark = pytest.mark.django_db
EMPLOYMENT = "就业困难人员认定"
URL = "/api/v1/profiles/read"


@pytest.fixture
def person(resident, officers):
    profile_record(party=resident.person, element_code="cl.disability_level", value="二级", source_department="cl",
                   source="certificate", evidence="61083019400101009642")
    return resident.person


def _post(client, body, **headers):
    return client.post(URL, json.dumps(body), content_type="application/json", **headers)


def test_an_officer_reads_over_the_api_with_their_session(client, officers, person):
    client.force_login(officers["rsj"])
    response = _post(client, {"subject": RESIDENT_ID, "purpose": EMPLOYMENT,
                              "elements": ["cl.disability_level", "person.hukou_address"]})
    assert response.status_code == 200
    body = response.json()
    assert body["subject"] == {"kind": "person", "name": "张**"}
    level, address = body["values"]
    assert level["value"] == "二级" and level["source_department"] == {"code": "cl", "name": "县残联"}
    assert level["source"] == "certificate" and level["evidence"] == "61083019400101009642"
    assert address == {"element": "person.hukou_address", "name": "户籍地址", "value": None, "source_department": None,
                       "source": None, "effective_on": None, "recorded_at": None, "evidence": None}
    assert AuditEvent.objects.filter(action="personal_data.read", actor_user_id=officers["rsj"].pk).count() == 1


def test_a_departments_system_reads_with_its_token_and_the_read_is_recorded_as_the_system(client, system_admin,
                                                                                         officers, person):
    system = system_account_create(user=system_admin, username="rsj-jobs", name="县人社局公共就业服务系统")
    staff_roles_set(user=system_admin, staff=system, grants=[
        GrantSpec(Role.DEPARTMENT_OFFICER, Department.objects.get(code="rsj").pk)])
    _, secret = api_token_issue(user=system_admin, owner=system, name="就业困难人员认定对接")
    response = _post(client, {"subject": RESIDENT_ID, "purpose": EMPLOYMENT, "elements": ["cl.disability_level"]},
                     HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200 and response.json()["values"][0]["value"] == "二级"
    event = AuditEvent.objects.filter(action="personal_data.read").latest("seq")
    assert event.actor_user_id == system.pk and event.subject_party_id == person.pk


def test_an_element_the_catalogue_does_not_grant_is_refused_with_its_name_and_nothing_is_read(client, officers,
                                                                                             person):
    client.force_login(officers["rsj"])
    events = AuditEvent.objects.count()
    response = _post(client, {"subject": RESIDENT_ID, "purpose": EMPLOYMENT,
                              "elements": ["cl.disability_level", "cl.disability_certificate_number"]})
    assert response.status_code == 403
    assert "残疾人证号（cl.disability_certificate_number）" in response.json()["message"]
    assert "本次未读取任何数据" in response.json()["message"]
    free_text = _post(client, {"subject": RESIDENT_ID, "purpose": "了解一下情况", "elements": ["cl.disability_level"]})
    assert free_text.status_code == 403 and "不在本部门的共享责任清单中" in free_text.json()["message"]
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("body, status, words", [
    ({"subject": "610830194001010097", "purpose": EMPLOYMENT, "elements": ["cl.disability_level"]}, 400,
     "身份证号码：校验位不正确"),
    ({"subject": make_id_number("20000101", 5), "purpose": EMPLOYMENT, "elements": ["cl.disability_level"]}, 404,
     "未找到"),
    ({"subject": RESIDENT_ID, "purpose": EMPLOYMENT, "elements": []}, 422, "elements"),
    ({"subject": RESIDENT_ID, "elements": ["cl.disability_level"]}, 422, "purpose：必填"),
])
def test_bad_requests_say_what_is_wrong(client, officers, person, body, status, words):
    client.force_login(officers["rsj"])
    response = _post(client, body)
    assert response.status_code == status and words in response.json()["message"]


def test_residents_and_other_roles_cannot_read_and_anonymous_callers_must_authenticate(client, person, make_staff):
    assert _post(client, {"subject": RESIDENT_ID, "purpose": EMPLOYMENT, "elements": ["cl.disability_level"]}
                 ).status_code == 401
    for user in (person.user, make_staff("op", "hotline_operator")):
        client.force_login(user)
        response = _post(client, {"subject": RESIDENT_ID, "purpose": EMPLOYMENT, "elements": ["cl.disability_level"]})
        assert response.status_code == 403 and "不能查阅档案数据" in response.json()["message"]
        assert client.get("/api/v1/profiles/sharing-entries").status_code == 403


def test_the_caller_lists_its_departments_entries(client, officers):
    client.force_login(officers["cl"])
    assert client.get("/api/v1/profiles/sharing-entries").json() == []
    client.force_login(officers["rsj"])
    entries = client.get("/api/v1/profiles/sharing-entries").json()
    assert {e["department"] for e in entries} == {"rsj"}
    employment = next(e for e in entries if e["purpose"] == EMPLOYMENT)
    assert {"code": "cl.disability_level", "name": "残疾等级"} in employment["elements"]
    assert employment["subject_kind"] == "person" and employment["needs_confirmation"] is True
