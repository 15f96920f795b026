"""电子证照 API: public verification (never a 500, bad input named) and a person's own certificates."""

import json

import pytest
from django.test import Client

from tests.certificates.conftest import BUSINESS_LICENCE, EMPLOYMENT_CARD
from yijianshi.certificates import services
from yijianshi.certificates.selectors import verify_url

pytestmark = pytest.mark.django_db


def _verify(client, body):
    return client.post("/api/v1/certificates/verify", json.dumps(body), content_type="application/json")


@pytest.fixture
def card(issue, resident):
    return issue("employment-card", resident.person, **EMPLOYMENT_CARD)


def test_anyone_verifies_a_qr_text_or_an_identifier(client, card, make_staff):
    answer = _verify(client, {"text": card.qr_text})
    assert answer.status_code == 200
    body = answer.json()
    assert (body["verdict"], body["label"]) == ("valid", "有效")
    assert body["summary"]["type"] == "就业创业证" and body["summary"]["holder"] == "张**"
    assert EMPLOYMENT_CARD["id_number"] not in answer.content.decode()
    leader = make_staff("leader-rsj", "department_leader", department="rsj")
    services.certificate_suspend(user=leader, certificate=card, reason="核查就业状态")
    body = _verify(client, {"text": card.identifier}).json()
    assert body["verdict"] == "suspended" and "核查就业状态" in body["reason"]


def test_a_forgery_is_a_verdict_not_an_error(client, card):
    body = _verify(client, {"text": card.qr_text[:-6] + "ABCDEF"}).json()
    assert body["verdict"] in ("forged", "unknown") and body["summary"] is None


def test_bad_input_names_the_field_and_is_never_a_500(client):
    for payload in ({}, {"text": "   "}):
        answer = _verify(client, payload)
        assert answer.status_code == 400 and answer.json()["field"] == "text"
        assert answer.json()["message"].startswith("二维码内容或电子证照标识")
    too_long = _verify(client, {"text": "x" * 6000})
    assert too_long.status_code == 422 and "text" in too_long.json()["message"]
    wrong_type = _verify(client, {"text": ["QJC1:"]})
    assert wrong_type.status_code == 422 and "text" in wrong_type.json()["message"]
    garbage = client.post("/api/v1/certificates/verify", b"\xff\xfe{", content_type="application/json")
    assert 400 <= garbage.status_code < 500


def test_a_person_lists_their_own_and_their_enterprises_certificates(client, card, issue, representative, resident):
    licence = issue("business-licence", representative.enterprise, **BUSINESS_LICENCE)
    client.force_login(resident)
    [mine] = client.get("/api/v1/certificates/mine").json()
    assert mine["identifier"] == card.identifier and mine["type_name"] == "就业创业证"
    assert mine["pdf_url"] == f"/me/certificates/{card.pk}.pdf" and mine["verify_url"] == verify_url(card.qr_text)
    assert {"key": "id_number", "label": "公民身份号码", "value": "610830********0096"} in mine["data"]
    other = Client()
    other.force_login(representative)
    assert other.get("/api/v1/certificates/mine").json() == []
    [listed] = other.get("/api/v1/certificates/mine", {"principal_id": representative.enterprise.pk}).json()
    assert listed["identifier"] == licence.identifier
    refused = other.get("/api/v1/certificates/mine", {"principal_id": resident.person.pk})
    assert refused.status_code == 403


def test_listing_needs_a_signed_in_person(client, card):
    assert client.get("/api/v1/certificates/mine").status_code == 401
