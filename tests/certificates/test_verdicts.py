"""The public verdict on a QR text or an identifier, the signed status lists and the trust list of seal keys."""

import base64
import hashlib
import json
import zlib
from datetime import date

import base45
import cbor2
import pytest

from tests.certificates.conftest import BUSINESS_LICENCE, EMPLOYMENT_CARD
from yijianshi.certificates import services
from yijianshi.certificates.crypto import qr, signers, statuslist
from yijianshi.certificates.keys import seal_key_create
from yijianshi.certificates.models import Certificate, SealKey
from yijianshi.certificates.selectors import (
    certificate_verdict,
    status_list_credential,
    trust_list,
    verify_url,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def licence(issue, representative):
    return issue("business-licence", representative.enterprise, **BUSINESS_LICENCE)


def _claims(text: str) -> dict:
    cose = cbor2.loads(zlib.decompress(base45.b45decode(text[len(qr.PREFIX):])))
    return cbor2.loads(cose.value[2])


def _tampered(text: str, **changes) -> str:
    """The same seal over different claims: what someone editing the QR code's content would produce."""
    cose = cbor2.loads(zlib.decompress(base45.b45decode(text[len(qr.PREFIX):])))
    protected, unprotected, payload, signature = cose.value
    claims = {**cbor2.loads(payload), **changes}
    forged = cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, cbor2.dumps(claims, canonical=True), signature]))
    return qr.PREFIX + base45.b45encode(zlib.compress(forged)).decode()


def test_a_fresh_certificate_is_valid_by_qr_text_by_identifier_and_by_its_verification_url(licence):
    for text in (licence.qr_text, licence.identifier, verify_url(licence.qr_text), f"  {licence.identifier}\n"):
        verdict = certificate_verdict(text)
        assert verdict.verdict == "valid" and verdict.label == "有效", text
        assert verdict.summary["type"] == "营业执照" and verdict.summary["identifier"] == licence.identifier
    assert "签名核验通过" in " ".join(certificate_verdict(licence.qr_text).checked)


def test_the_summary_masks_a_persons_name_and_never_shows_personal_numbers(issue, resident):
    card = issue("employment-card", resident.person, **EMPLOYMENT_CARD)
    verdict = certificate_verdict(card.qr_text)
    assert verdict.summary["holder"] == "张**"
    shown = json.dumps(verdict.summary, ensure_ascii=False) + json.dumps(_claims(card.qr_text), ensure_ascii=False)
    assert EMPLOYMENT_CARD["id_number"] not in shown and "张桂兰" not in shown


def test_a_tampered_qr_payload_is_forged(licence):
    verdict = certificate_verdict(_tampered(licence.qr_text, h="别的公司"))
    assert verdict.verdict == "forged" and verdict.reason == "签名与内容不符，证照可能被篡改"
    assert verdict.summary is None  # nothing of a forgery is repeated as if it were true


def test_a_qr_code_sealed_with_an_unknown_key_is_forged(licence):
    rogue = signers.signer_from_private_bytes("SM2", "spj-sm2-20260101-abcdef",
                                              signers.generate_private_key("SM2"))
    verdict = certificate_verdict(qr.encode_payload(_claims(licence.qr_text), rogue))
    assert verdict.verdict == "forged" and "密钥未知" in verdict.reason


def test_a_real_seal_of_another_department_does_not_vouch_for_this_one(licence, issue, resident):
    issue("employment-card", resident.person, **EMPLOYMENT_CARD)  # makes 县人社局's key
    from yijianshi.certificates.keys import active_signer
    from yijianshi.organizations.models import Department

    rsj = active_signer(Department.objects.get(code="rsj"), "SM2")
    verdict = certificate_verdict(qr.encode_payload(_claims(licence.qr_text), rsj))
    assert verdict.verdict == "forged" and "发证机关不符" in verdict.reason


def test_an_expired_certificate_says_since_when(licence):
    Certificate.objects.filter(pk=licence.pk).update(valid_until=date(2025, 3, 31))
    verdict = certificate_verdict(licence.qr_text)
    assert verdict.verdict == "expired" and verdict.reason == "已于2025年3月31日过期"
    assert certificate_verdict(licence.identifier).verdict == "expired"


def test_a_revoked_certificate_is_reported_revoked_with_the_reason(licence, spj_leader):
    services.certificate_revoke(user=spj_leader, certificate=licence, reason="以欺骗手段取得登记")
    for text in (licence.qr_text, licence.identifier):
        verdict = certificate_verdict(text)
        assert verdict.verdict == "revoked" and verdict.label == "已吊销"
        assert verdict.reason.startswith("已于") and verdict.reason.endswith("吊销：理由：以欺骗手段取得登记")


def test_a_suspended_certificate_is_reported_suspended(licence, spj_leader):
    services.certificate_suspend(user=spj_leader, certificate=licence, reason="涉嫌虚假登记，立案调查")
    verdict = certificate_verdict(licence.qr_text)
    assert verdict.verdict == "suspended" and "暂停使用：理由：涉嫌虚假登记，立案调查" in verdict.reason
    services.certificate_reinstate(user=spj_leader, certificate=licence, reason="调查结束，登记属实")
    assert certificate_verdict(licence.qr_text).verdict == "valid"


def test_a_rotated_key_still_verifies_the_certificates_it_sealed(licence, issue, representative):
    old_key = SealKey.objects.get(key_id=licence.key_id)
    new_key = seal_key_create(department=old_key.department, algorithm="SM2")
    old_key.refresh_from_db()
    assert old_key.status == SealKey.Status.RETIRED and new_key.status == SealKey.Status.ACTIVE
    assert certificate_verdict(licence.qr_text).verdict == "valid"
    newer = issue("business-licence", representative.enterprise, **BUSINESS_LICENCE)
    assert newer.key_id == new_key.key_id and certificate_verdict(newer.qr_text).verdict == "valid"


def test_an_ed25519_seal_verifies_as_well(issue, resident):
    from yijianshi.certificates.models import CertificateType

    CertificateType.objects.filter(code="employment-card").update(seal_algorithm="Ed25519")
    card = issue("employment-card", resident.person, **EMPLOYMENT_CARD)
    assert SealKey.objects.get(key_id=card.key_id).algorithm == "Ed25519"
    verdict = certificate_verdict(card.qr_text)
    assert verdict.verdict == "valid" and "Ed25519" in verdict.checked[1]


def test_unknown_or_malformed_input_is_unknown_not_an_error(licence):
    cases = {
        "": "请输入",
        "你好": "无法识别",
        "QJC1:not-base45!": "无法识别",
        licence.identifier[:-1] + ("0" if licence.identifier[-1] != "0" else "1"): "校验位",
        "1.2.156.3005.2.11610830QJ0000017C901.11610830QJ0000017C.2026999999.001.X": "",
        "x" * 6000: "过长",
    }
    for text, words in cases.items():
        verdict = certificate_verdict(text)
        assert verdict.verdict == "unknown", text[:40]
        assert words in verdict.reason


def test_an_unissued_but_well_formed_identifier_is_unknown(licence):
    from yijianshi.certificates.crypto.identifier import build_identifier

    other = build_identifier(licence.type.type_code, "11610830QJ0000017C", "2026999999", 1)
    verdict = certificate_verdict(other)
    assert verdict.verdict == "unknown" and "没有签发过" in verdict.reason


# --- the status lists ----------------------------------------------------------------------------------------------

def _verify_proof(document: dict) -> bool:
    """eddsa-jcs-2022 verification, as a verifier elsewhere would do it, with the key from keys.json."""
    document = dict(document)
    proof = dict(document.pop("proof"))
    value = proof.pop("proofValue")
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    number = 0
    for character in value[1:]:
        number = number * 58 + alphabet.index(character)
    signature = number.to_bytes(64, "big")

    def jcs(value):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()

    options = {**proof, "@context": document["@context"]}
    data = hashlib.sha256(jcs(options)).digest() + hashlib.sha256(jcs(document)).digest()
    key_id = proof["verificationMethod"].rsplit("#", 1)[1]
    [key] = [k for k in trust_list()["status_list_keys"] if k["key_id"] == key_id]
    return signers.verify_signature("Ed25519", base64.b64decode(key["public_key"]), data, signature)


def test_the_status_lists_carry_revoked_and_suspended_bits_and_a_valid_proof(
        licence, issue, representative, spj_leader, django_capture_on_commit_callbacks):
    other = issue("business-licence", representative.enterprise, **BUSINESS_LICENCE)
    before = status_list_credential("revocation")
    assert before["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert before["credentialSubject"]["statusPurpose"] == "revocation" and before["validFrom"] < before["validUntil"]
    assert not statuslist.status_bit(before["credentialSubject"]["encodedList"], licence.status_list_index)
    with django_capture_on_commit_callbacks(execute=True):
        services.certificate_revoke(user=spj_leader, certificate=licence, reason="以欺骗手段取得登记")
        services.certificate_suspend(user=spj_leader, certificate=other, reason="涉嫌虚假登记，立案调查")
    revocation, suspension = status_list_credential("revocation"), status_list_credential("suspension")
    assert statuslist.status_bit(revocation["credentialSubject"]["encodedList"], licence.status_list_index)
    assert not statuslist.status_bit(revocation["credentialSubject"]["encodedList"], other.status_list_index)
    assert statuslist.status_bit(suspension["credentialSubject"]["encodedList"], other.status_list_index)
    assert not statuslist.status_bit(suspension["credentialSubject"]["encodedList"], licence.status_list_index)
    assert _verify_proof(revocation) and _verify_proof(suspension)
    tampered = json.loads(json.dumps(revocation))
    tampered["credentialSubject"]["encodedList"] = before["credentialSubject"]["encodedList"]
    assert not _verify_proof(tampered)


def test_the_qr_claims_point_into_the_status_list(licence):
    claims = _claims(licence.qr_text)
    assert claims["sl"] == licence.status_list_index and claims["id"] == licence.identifier
    assert 0 <= licence.status_list_index < statuslist.MIN_SIZE


def test_the_trust_list_holds_every_key_ever_used_and_no_private_key(licence, seal_key_dir):
    old = SealKey.objects.get(key_id=licence.key_id)
    private = json.loads((seal_key_dir / f"{old.key_id}.json").read_text())["private_key"]
    seal_key_create(department=old.department, algorithm="SM2")
    document = trust_list()
    listed = {k["key_id"]: k for k in document["seal_keys"]}
    assert listed[old.key_id]["status"] == "retired" and len(listed) == 2
    assert base64.b64decode(listed[old.key_id]["public_key"]) == bytes(old.public_key)
    assert listed[old.key_id]["issuer_credit_code"] == "11610830QJ0000017C"
    assert private not in json.dumps(document)
