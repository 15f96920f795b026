"""The QR payload: signed claims round-trip for both algorithms, and every kind of bad text is refused with the
right reason: a forgery as bad_signature, a stranger's key as unknown_key, anything else as malformed."""

import tracemalloc
import zlib

import base45
import cbor2
import pytest

from yijianshi.certificates.crypto import qr, signers
from yijianshi.certificates.crypto.qr import PREFIX, PayloadError, decode_payload, encode_payload

CLAIMS = {
    "id": "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
    "type": "11100000000013338W009",
    "holder": "清涧县黄河红枣商贸有限公司",
    "uscc": "91610830MA6Y123458",
    "issued": "2026-03-02",
    "expires": "长期",
    "status_index": 40961,
    "revoked": False,
    "extra": None,
    "scopes": ["红枣收购", "销售"],
}


@pytest.fixture(params=signers.ALGORITHMS)
def signer(request):
    return signers.signer_from_private_bytes(
        request.param, f"qj-{request.param.lower()}-2026", signers.generate_private_key(request.param))


def lookup_for(*known):
    keys = {s.key_id: (s.algorithm, s.public_key()) for s in known}
    return keys.get


def cose_of(text: str) -> list:
    """The COSE_Sign1 array inside a QR text."""
    tagged = cbor2.loads(zlib.decompress(base45.b45decode(text[len(PREFIX):])))
    assert tagged.tag == 18
    return list(tagged.value)


def text_of(cose: list) -> str:
    return PREFIX + base45.b45encode(zlib.compress(cbor2.dumps(cbor2.CBORTag(18, cose)))).decode()


def reason(text, lookup) -> str:
    with pytest.raises(PayloadError) as caught:
        decode_payload(text, lookup)
    return caught.value.reason


def test_claims_round_trip_through_the_qr_text(signer):
    text = encode_payload(CLAIMS, signer)
    assert text.startswith(PREFIX)
    assert set(text) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")  # QR alphanumeric mode
    verified = decode_payload(text, lookup_for(signer))
    assert verified.claims == CLAIMS
    assert (verified.key_id, verified.algorithm) == (signer.key_id, signer.algorithm)


def test_the_text_is_a_standard_cose_sign1(signer):
    """Checked here with the signers alone, as another implementation would: the protected header holds the
    algorithm and kid, and the signature covers the RFC 9052 Sig_structure."""
    protected, unprotected, payload, signature = cose_of(encode_payload(CLAIMS, signer))
    header = cbor2.loads(protected)
    assert header == {1: {"Ed25519": -8, "SM2": qr.ALG_SM2_SM3}[signer.algorithm], 4: signer.key_id.encode()}
    assert unprotected == {} and cbor2.loads(payload) == CLAIMS
    assert qr.ALG_SM2_SM3 < -65536  # the COSE Private Use range
    sig_structure = cbor2.dumps(["Signature1", protected, b"", payload])
    assert signers.verify_signature(signer.algorithm, signer.public_key(), sig_structure, signature)


def test_a_flipped_byte_in_the_signed_payload_is_a_bad_signature(signer):
    text = encode_payload(CLAIMS, signer)
    cose = cose_of(text)
    payload = cose[2]
    for position in (0, len(payload) // 2, len(payload) - 1):
        tampered = bytearray(payload)
        tampered[position] ^= 0x01
        cose[2] = bytes(tampered)
        assert reason(text_of(cose), lookup_for(signer)) == "bad_signature"


def test_changed_claims_re_signed_by_nobody_are_a_bad_signature(signer):
    cose = cose_of(encode_payload(CLAIMS, signer))
    cose[2] = cbor2.dumps({**CLAIMS, "expires": "2099-12-31"}, canonical=True)
    assert reason(text_of(cose), lookup_for(signer)) == "bad_signature"


def test_a_text_signed_by_an_unknown_key_is_reported_as_such(signer):
    stranger = signers.signer_from_private_bytes(
        signer.algorithm, "not-ours", signers.generate_private_key(signer.algorithm))
    assert reason(encode_payload(CLAIMS, stranger), lookup_for(signer)) == "unknown_key"


def test_a_known_kid_with_another_key_behind_it_is_a_bad_signature(signer):
    impostor = signers.signer_from_private_bytes(
        signer.algorithm, signer.key_id, signers.generate_private_key(signer.algorithm))
    assert reason(encode_payload(CLAIMS, impostor), lookup_for(signer)) == "bad_signature"


def test_a_header_naming_another_algorithm_than_the_keys_is_a_bad_signature():
    ed = signers.signer_from_private_bytes("Ed25519", "k1", signers.generate_private_key("Ed25519"))
    cose = cose_of(encode_payload(CLAIMS, ed))
    cose[0] = cbor2.dumps({1: qr.ALG_SM2_SM3, 4: b"k1"})
    assert reason(text_of(cose), lookup_for(ed)) == "bad_signature"


def test_the_messages_are_chinese_and_the_reason_is_machine_readable(signer):
    with pytest.raises(PayloadError) as caught:
        decode_payload(encode_payload(CLAIMS, signer), lambda kid: None)
    assert caught.value.reason == "unknown_key" and "密钥" in str(caught.value)
    assert isinstance(caught.value, ValueError)


def malformed_texts(signer) -> dict[str, str]:
    good = encode_payload(CLAIMS, signer)
    cose = cose_of(good)
    raw = zlib.decompress(base45.b45decode(good[len(PREFIX):]))

    def wrap(cbor_bytes: bytes) -> str:
        return PREFIX + base45.b45encode(zlib.compress(cbor_bytes)).decode()

    return {
        "empty": "",
        "prefix only": PREFIX,
        "wrong prefix": "HC1:" + good[len(PREFIX):],
        "lower case": PREFIX + good[len(PREFIX):].lower(),
        "not base45": PREFIX + "ABC~",
        "base45 of a wrong length": good + "A",
        "base45 triple over 65535": PREFIX + "GGW",
        "truncated": good[:-6],
        "not zlib": PREFIX + base45.b45encode(b"plain bytes, not compressed").decode(),
        "trailing zlib bytes": PREFIX + base45.b45encode(zlib.compress(raw) + b"\x00").decode(),
        "not cbor": wrap(b"\xd2\xff\xff"),
        "untagged": wrap(cbor2.dumps(cose)),
        "other tag": wrap(cbor2.dumps(cbor2.CBORTag(98, cose))),
        "three members": wrap(cbor2.dumps(cbor2.CBORTag(18, cose[:3]))),
        "trailing cbor": wrap(raw + b"\x00"),
        "unprotected header used": wrap(cbor2.dumps(cbor2.CBORTag(18, [cose[0], {4: b"x"}, *cose[2:]]))),
        "payload not bytes": wrap(cbor2.dumps(cbor2.CBORTag(18, [cose[0], {}, CLAIMS, cose[3]]))),
        "header without kid": wrap(cbor2.dumps(cbor2.CBORTag(18, [cbor2.dumps({1: -8}), *cose[1:]]))),
        "header with more": wrap(cbor2.dumps(cbor2.CBORTag(
            18, [cbor2.dumps({1: -8, 4: b"k", 3: 0}), *cose[1:]]))),
        "unknown alg": wrap(cbor2.dumps(cbor2.CBORTag(18, [cbor2.dumps({1: -7, 4: b"k"}), *cose[1:]]))),
        "kid not utf-8": wrap(cbor2.dumps(cbor2.CBORTag(18, [cbor2.dumps({1: -8, 4: b"\xff"}), *cose[1:]]))),
        "tag inside": wrap(cbor2.dumps(cbor2.CBORTag(18, [cose[0], {}, cose[2], cbor2.CBORTag(2, cose[3])]))),
        "too long": PREFIX + "0" * qr.MAX_TEXT,
        "not text": b"QJC1:00",
    }


def test_garbage_and_damaged_texts_are_malformed(signer):
    lookup = lookup_for(signer)
    for name, text in malformed_texts(signer).items():
        assert reason(text, lookup) == "malformed", name


def test_a_zip_bomb_is_malformed_and_never_inflated_past_the_cap(signer):
    bomb = PREFIX + base45.b45encode(zlib.compress(b"\xd2" + b"\x00" * 3_000_000, 9)).decode()
    assert len(bomb) <= qr.MAX_TEXT  # it passes the length check and reaches the inflater
    tracemalloc.start()
    try:
        assert reason(bomb, lookup_for(signer)) == "malformed"
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 200_000  # bytes: the 3 MB never existed


def test_deeply_nested_cbor_is_malformed(signer):
    nested = b"\x81" * 10_000 + b"\x00"
    text = PREFIX + base45.b45encode(zlib.compress(b"\xd2" + nested, 9)).decode()
    assert reason(text, lookup_for(signer)) == "malformed"


def test_a_correctly_signed_payload_that_is_not_claims_is_still_refused(signer):
    """An issuer bug, not a forgery; the verifier must not hand a non-dict (or a tagged date) onwards."""
    for payload in (cbor2.dumps([1, 2]), cbor2.dumps({"d": cbor2.CBORTag(1004, "2026-01-01")}),
                    cbor2.dumps({1: "int key"})):
        protected = cbor2.dumps({1: qr._ALG_BY_NAME[signer.algorithm], 4: signer.key_id.encode()})
        signature = signer.sign(cbor2.dumps(["Signature1", protected, b"", payload]))
        assert reason(text_of([protected, {}, payload, signature]), lookup_for(signer)) == "malformed"


def test_claims_that_a_qr_cannot_carry_plainly_are_refused_when_encoding(signer):
    import datetime

    for claims in ({"issued": datetime.date(2026, 1, 1)}, {1: "x"}, {"f": 1.5}, {"b": b"bytes"}, ["not a dict"]):
        with pytest.raises(TypeError):
            encode_payload(claims, signer)
    with pytest.raises(ValueError):
        encode_payload({"big": "证" * 4000}, signer)


def test_a_key_store_naming_an_unknown_algorithm_is_a_configuration_error(signer):
    with pytest.raises(signers.UnknownAlgorithm):
        decode_payload(encode_payload(CLAIMS, signer), lambda kid: ("ed25519", b"\x00" * 32))
