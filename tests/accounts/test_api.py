"""The identity API: session or bearer token, masked answers, refusals with a Chinese message."""

import json
from datetime import date, timedelta

import pytest
from django.test import Client

from tests.conftest import RELATIVE_ID
from yijianshi.accounts import services
from yijianshi.accounts.models import Mandate

pytestmark = pytest.mark.django_db
NEXT_YEAR = (date.today() + timedelta(days=365)).isoformat()


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _post(client, url, body, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def test_me_shows_masked_personal_data(resident):
    body = _client(resident).get("/api/v1/me").json()
    assert body["person"] == {"name": "张**", "id_number": "610830********0096", "mobile": "138****0001"}
    assert body["may_act_for"] == [{"id": resident.person.pk, "kind": "person", "name": "张**"}]


def test_anonymous_callers_get_401_with_a_message():
    response = Client().get("/api/v1/me")
    assert response.status_code == 401 and "请先登录" in response.json()["message"]


def test_a_resident_grants_and_revokes_a_mandate_through_the_api(resident, relative):
    client = _client(resident)
    response = _post(client, "/api/v1/me/mandates", {
        "agent_name": "张小军", "agent_id_number": RELATIVE_ID, "bundle_codes": ["newborn"], "valid_until": NEXT_YEAR})
    assert response.status_code == 201, response.content
    mandate = response.json()
    assert mandate["agent"]["name"] == "张**" and mandate["bundles"] == ["newborn"] and mandate["status"] == "active"
    assert _client(relative).get("/api/v1/me/mandates").json()["held"][0]["id"] == mandate["id"]

    revoked = _post(client, f"/api/v1/me/mandates/{mandate['id']}/revoke", {"reason": "已办完"})
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"


def test_bad_mandate_input_is_a_400_naming_the_field(resident):
    response = _post(_client(resident), "/api/v1/me/mandates", {
        "agent_name": "张小军", "agent_id_number": "610830198307070103", "all_services": True, "valid_until": NEXT_YEAR})
    assert response.status_code == 400
    assert response.json() == {"message": "受托人身份证号码：校验位不正确，请核对最后一位", "field": "agent_id_number"}
    assert not Mandate.objects.exists()


def test_a_malformed_date_is_a_422_naming_the_field(resident):
    response = _post(_client(resident), "/api/v1/me/mandates", {"agent_name": "张小军", "valid_until": "明年"})
    assert response.status_code == 422 and "valid_until" in response.json()["message"]


def test_a_resident_cannot_revoke_someone_elses_mandate(resident, relative, representative):
    mandate = services.mandate_grant(user=resident, principal=resident.person, agent_name="张小军",
                                     agent_id_number=RELATIVE_ID, all_services=True,
                                     valid_until=services.timezone.now() + timedelta(days=30))
    response = _post(_client(representative), f"/api/v1/me/mandates/{mandate.pk}/revoke", {})
    assert response.status_code == 404 and response.json()["message"] == "未找到，或您无权查看"
    mandate.refresh_from_db()
    assert mandate.status == "active"


def test_a_resident_cannot_grant_for_an_enterprise_they_do_not_manage(resident, representative):
    response = _post(_client(resident), "/api/v1/me/mandates", {
        "principal_id": representative.enterprise.pk, "agent_name": "张小军", "agent_id_number": RELATIVE_ID,
        "all_services": True, "valid_until": NEXT_YEAR})
    assert response.status_code == 404


def test_session_writes_need_the_csrf_token(resident):
    client = Client(enforce_csrf_checks=True)
    client.force_login(resident)
    response = _post(client, "/api/v1/me/mandates", {"agent_name": "张小军", "agent_id_number": RELATIVE_ID,
                                                     "all_services": True, "valid_until": NEXT_YEAR})
    assert response.status_code in (401, 403)
    assert not Mandate.objects.exists()


def test_a_system_calls_the_audit_api_with_a_bearer_token(system_admin, resident):
    from yijianshi.accounts.system_accounts import system_account_create

    city = system_account_create(user=system_admin, username="city-supervision", name="市级效能监督平台")
    services.staff_roles_set(user=system_admin, staff=city, grants=[services.GrantSpec("supervisor")])
    _, secret = services.api_token_issue(user=system_admin, owner=city, name="审计日志对接")
    response = Client().get(f"/api/v1/audit/events?subject_party_id={resident.person.pk}",
                            HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert {e["action"] for e in response.json()} >= {"account.sign_up", "person.create"}
    assert Client().get("/api/v1/audit/events", HTTP_AUTHORIZATION="Bearer qjt_wrong").status_code == 401


def test_a_resident_may_not_read_the_audit_log(resident):
    response = _client(resident).get("/api/v1/audit/events")
    assert response.status_code == 403 and response.json()["message"]


def test_anyone_can_fetch_the_checkpoint_public_key():
    keys = Client().get("/api/v1/audit/checkpoint-keys").json()
    assert keys[0]["algorithm"] == "Ed25519" and len(keys[0]["public_key"]) == 44


def test_the_openapi_schema_documents_both_authentication_methods():
    schema = Client().get("/api/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} >= {"http", "apiKey"}
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
