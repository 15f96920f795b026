"""The certificate pages through the Django test client: public verification and the documents for offline
verifiers, the holder's 我的证照 (and who else may open it), the issuing department's list and status changes."""

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from tests.certificates.conftest import BUSINESS_LICENCE, EMPLOYMENT_CARD
from yijianshi.accounts.services import mandate_grant
from yijianshi.audit.models import AuditEvent
from yijianshi.certificates import services
from yijianshi.certificates.crypto import statuslist
from yijianshi.certificates.models import Certificate
from yijianshi.certificates.selectors import verify_path

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def card(issue, resident):
    return issue("employment-card", resident.person, **EMPLOYMENT_CARD)


@pytest.fixture
def licence(issue, representative):
    return issue("business-licence", representative.enterprise, **BUSINESS_LICENCE)


# --- public --------------------------------------------------------------------------------------------------------

def test_anyone_verifies_a_certificate_by_opening_its_qr_url(client, card):
    page = client.get(verify_path(card.qr_text))  # what the QR code's URL opens
    text = _text(page)
    assert page.status_code == 200 and "有效" in text and "就业创业证" in text and "张**" in text
    assert 'class="verdict verdict-valid"' in page.content.decode()
    assert EMPLOYMENT_CARD["id_number"] not in page.content.decode() and "张桂兰" not in text
    assert 'class="verdict verdict-valid"' in client.get("/certificates/verify/?q=" + quote(card.qr_text)).content.decode()
    empty = client.get("/certificates/verify/")
    assert empty.status_code == 200 and "verdict-" not in empty.content.decode()


def test_the_verify_form_also_takes_an_identifier_and_says_revoked_in_red(client, card, make_staff):
    leader = make_staff("leader-rsj", "department_leader", department="rsj")
    services.certificate_revoke(user=leader, certificate=card, reason="以欺骗手段取得就业创业证")
    page = client.get("/certificates/verify/", {"q": card.identifier}, HTTP_HX_REQUEST="true")
    assert 'class="verdict verdict-revoked"' in page.content.decode()
    assert "吊销：理由：以欺骗手段取得就业创业证" in _text(page)


def test_the_status_lists_and_keys_are_public_cacheable_json(client, card, make_staff):
    leader = make_staff("leader-rsj", "department_leader", department="rsj")
    services.certificate_suspend(user=leader, certificate=card, reason="核查就业状态")
    response = client.get("/certificates/status/suspension.json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert response["Cache-Control"] == "public, max-age=300" and response["Access-Control-Allow-Origin"] == "*"
    document = response.json()
    assert statuslist.status_bit(document["credentialSubject"]["encodedList"], card.status_list_index)
    assert client.get("/certificates/status/suspension.json", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    assert client.get("/certificates/status/everything.json").status_code == 404
    keys = client.get("/certificates/keys.json").json()
    assert [k["key_id"] for k in keys["seal_keys"]] == [card.key_id] and keys["qr_prefix"] == "QJC1:"


# --- the holder ----------------------------------------------------------------------------------------------------

def test_the_holder_lists_opens_and_downloads_their_certificate(client, resident, card):
    client.force_login(resident)
    listing = client.get("/me/certificates/")
    assert "就业创业证" in _text(listing) and card.identifier in _text(listing)
    page = client.get(f"/me/certificates/{card.pk}/")
    text = _text(page)
    assert page.status_code == 200 and "610830********0096" in text and EMPLOYMENT_CARD["id_number"] not in text
    assert card.key_id in text and "清涧县人力资源和社会保障局电子印章" in page.content.decode()  # the seal
    download = client.get(f"/me/certificates/{card.pk}.pdf")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download.content.startswith(b"%PDF")


def test_a_stranger_and_staff_never_open_someone_elses_certificate(client, relative, card, make_staff):
    for user in (relative, make_staff("officer-rsj", "department_officer", department="rsj")):
        client.force_login(user)
        assert client.get(f"/me/certificates/{card.pk}/").status_code == 404
        assert client.get(f"/me/certificates/{card.pk}.pdf").status_code == 404
        assert card.identifier not in _text(client.get("/me/certificates/"))


def test_anonymous_visitors_are_sent_to_log_in(client, card):
    for url in ("/me/certificates/", f"/me/certificates/{card.pk}/", f"/me/certificates/{card.pk}.pdf",
                "/certificates/issued/", f"/certificates/issued/{card.pk}/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_an_agent_under_a_mandate_opens_the_principals_certificate_and_it_is_recorded(client, resident, relative, card):
    mandate_grant(user=resident, principal=resident.person, agent_name=relative.person.name,
                  agent_id_number=relative.person.id_number, all_services=True,
                  valid_until=timezone.now() + timedelta(days=30))
    client.force_login(relative)
    assert client.get(f"/me/certificates/{card.pk}/").status_code == 200
    read = AuditEvent.objects.get(action="personal_data.read", object_type="certificates.certificate")
    assert read.actor_user_id == relative.pk and read.subject_party_id == resident.person.pk


def test_the_legal_representative_sees_the_enterprises_certificates_when_acting_for_it(client, representative,
                                                                                         licence):
    client.force_login(representative)
    assert licence.identifier not in _text(client.get("/me/certificates/"))  # acting for herself
    assert "清涧县红枣食品有限公司" in _text(client.get("/me/certificates/"))  # offered as a principal to switch to
    client.post("/me/acting/", {"principal_id": representative.enterprise.pk, "next": "/me/certificates/"})
    assert licence.identifier in _text(client.get("/me/certificates/"))
    assert client.get(f"/me/certificates/{licence.pk}/").status_code == 200


# --- the issuing department --------------------------------------------------------------------------------------------

def test_department_staff_see_only_their_departments_certificates(client, licence, card, spj_officer, make_staff):
    client.force_login(spj_officer)
    listing = _text(client.get("/certificates/issued/"))
    assert licence.identifier in listing and card.identifier not in listing and "清涧县红枣食品有限公司" in listing
    assert client.get(f"/certificates/issued/{licence.pk}/").status_code == 200
    assert client.get(f"/certificates/issued/{card.pk}/").status_code == 404
    filtered = _text(client.get("/certificates/issued/", {"status": "revoked"}))
    assert licence.identifier not in filtered
    page = _text(client.get(f"/certificates/issued/{licence.pk}/"))
    assert "须由本部门审批负责人办理" in page  # an officer sees no status forms
    assert client.get("/certificates/issued/", {"type": "no-such"}).status_code == 200
    clerk = make_staff("clerk", "window_clerk", service_point="county-hall")
    client.force_login(clerk)
    assert client.get("/certificates/issued/").status_code == 403


def test_a_leader_suspends_reinstates_and_revokes_with_a_reason(client, licence, spj_leader, spj_officer):
    client.force_login(spj_leader)
    url = f"/certificates/issued/{licence.pk}/"
    missing = client.post(url + "suspend/", {"suspend-reason": ""})
    assert missing.status_code == 400 and "理由：必填" in _text(missing)
    short = client.post(url + "suspend/", {"suspend-reason": "违规"})
    assert short.status_code == 400 and "至少 4 个字" in _text(short)
    assert client.post(url + "suspend/", {"suspend-reason": "涉嫌虚假登记，立案调查"}).status_code == 302
    assert client.post(url + "reinstate/", {"reinstate-reason": "调查结束，登记属实"}).status_code == 302
    assert client.post(url + "revoke/", {"revoke-reason": "以欺骗手段取得登记"}).status_code == 302
    licence.refresh_from_db()
    assert licence.status == Certificate.Status.REVOKED
    again = client.post(url + "reinstate/", {"reinstate-reason": "撤回吊销决定"})
    assert again.status_code == 409 and "不能恢复有效" in _text(again)
    page = _text(client.get(url))
    assert "以欺骗手段取得登记" in page and "吊销" in page
    client.force_login(spj_officer)
    refused = client.post(url + "suspend/", {"suspend-reason": "涉嫌虚假登记，立案调查"})
    assert refused.status_code == 403


def test_the_workbench_shows_the_certificates_section_to_department_staff(client, spj_officer):
    client.force_login(spj_officer)
    page = client.get("/certificates/issued/")
    assert page.status_code == 200 and 'href="/certificates/issued/" aria-current="page"' in page.content.decode()
