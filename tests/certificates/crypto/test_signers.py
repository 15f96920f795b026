"""Signing keys for certificates: both algorithms round-trip, bad input is refused without exceptions, and SM2
is proven against the example of GB/T 32918.5-2017 Annex A (also GM/T 0003.5-2012 A.2)."""

import pytest
from cryptography.hazmat.primitives import hashes

from yijianshi.certificates.crypto import signers
from yijianshi.certificates.crypto.signers import (
    ALGORITHMS,
    Signer,
    UnknownAlgorithm,
    generate_private_key,
    public_key_from_private,
    signer_from_private_bytes,
    verify_signature,
)

# GB/T 32918.5-2017 Annex A: signature example on the recommended curve. The signer ID of this example is
# 1234567812345678 (the test-curve examples of GB/T 32918.2 use ALICE123@YAHOO.COM instead); Z_A and e below
# are the standard's intermediate values for that pairing.
D_A = bytes.fromhex("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8")
X_A = bytes.fromhex("09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020")
Y_A = bytes.fromhex("CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13")
ID_A = b"1234567812345678"
MESSAGE = b"message digest"
Z_A = bytes.fromhex("B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3")
E = bytes.fromhex("F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640")
R = bytes.fromhex("F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3")
S = bytes.fromhex("B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA")


def sm3(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def test_the_sm2_public_key_derived_from_the_standards_private_key_is_the_standards():
    assert public_key_from_private("SM2", D_A) == b"\x04" + X_A + Y_A
    assert signer_from_private_bytes("SM2", "gbt", D_A).public_key() == b"\x04" + X_A + Y_A


def test_the_standards_example_binds_the_default_signer_id():
    """Z_A = SM3(ENTL || ID || a || b || xG || yG || xA || yA) and e = SM3(Z_A || M) reproduce the standard's
    values with 1234567812345678, the ID the signers use: the vector pairs with that ID."""
    curve = b"".join(n.to_bytes(32, "big") for n in (signers.SM2_A, signers.SM2_B, *signers.SM2_G))
    z_a = sm3((len(ID_A) * 8).to_bytes(2, "big") + ID_A + curve + X_A + Y_A)
    assert signers.SM2_SIGNER_ID == ID_A
    assert z_a == Z_A
    assert sm3(Z_A + MESSAGE) == E
    assert signers.sm2_z(b"\x04" + X_A + Y_A) == Z_A  # the Z_A the signer prepends before hashing


def test_the_library_verifies_the_standards_sm2_signature():
    # gmssl-pyx cannot be given the standard's k (59276E27...), so it cannot reproduce (r, s) itself;
    # verifying the standard's signature and deriving its key pair is the proof of conformance.
    assert verify_signature("SM2", b"\x04" + X_A + Y_A, MESSAGE, R + S)


def test_the_standards_sm2_signature_fails_for_another_message_or_s():
    public = b"\x04" + X_A + Y_A
    assert not verify_signature("SM2", public, b"message digesT", R + S)
    changed_s = S[:-1] + bytes([S[-1] ^ 1])
    assert not verify_signature("SM2", public, MESSAGE, R + changed_s)
    assert not verify_signature("SM2", public, MESSAGE, S + R)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_a_generated_key_signs_and_its_public_key_verifies(algorithm):
    private = generate_private_key(algorithm)
    signer = signer_from_private_bytes(algorithm, "qj-2026-01", private)
    assert isinstance(signer, Signer) and signer.algorithm == algorithm and signer.key_id == "qj-2026-01"
    assert len(private) == 32
    assert len(signer.public_key()) == {"Ed25519": 32, "SM2": 65}[algorithm]
    assert signer.public_key() == public_key_from_private(algorithm, private)

    signature = signer.sign(b"certificate bytes")
    assert len(signature) == 64  # Ed25519, and SM2 as r||s
    assert verify_signature(algorithm, signer.public_key(), b"certificate bytes", signature)
    assert not verify_signature(algorithm, signer.public_key(), b"certificate bytez", signature)
    other = signer_from_private_bytes(algorithm, "other", generate_private_key(algorithm))
    assert not verify_signature(algorithm, other.public_key(), b"certificate bytes", signature)


def test_an_sm2_signature_is_r_and_s_and_verifies_in_gmssls_own_message_path():
    """Signing with the standard's key gives an (r, s) that GmSSL's sm2_verify(P, M, DER, ID) accepts, which
    computes Z_A itself: the signer's digest path matches the standard's, and the 64 bytes are r||s, not DER."""
    import gmssl_pyx
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    signature = signer_from_private_bytes("SM2", "gbt", D_A).sign(MESSAGE)
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    assert gmssl_pyx.sm2_verify(X_A + Y_A, MESSAGE, encode_dss_signature(r, s), ID_A)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("public_key, data, signature", [
    (b"", b"m", b"\x00" * 64),
    (b"\x04" + b"\x01" * 64, b"m", b"\x01" * 64),  # SM2-sized but not on the curve
    (b"\x01" * 32, b"m", b"\x01" * 64),
    (b"\x01" * 32, b"m", b""),
    (b"\x04" + X_A + Y_A, b"m", b"\x00" * 64),  # r = s = 0
    (b"\x04" + X_A + Y_A, b"m", b"\xff" * 64),  # r, s >= n
    ("not bytes", b"m", b"\x00" * 64),
    (b"\x01" * 32, 5, b"\x00" * 64),
    (None, None, None),
])
def test_verify_returns_false_for_bad_input_and_never_raises(algorithm, public_key, data, signature):
    assert verify_signature(algorithm, public_key, data, signature) is False


def test_unknown_algorithms_are_refused():
    for call in (lambda: generate_private_key("RSA"), lambda: signer_from_private_bytes("sm2", "k", D_A),
                 lambda: public_key_from_private("ECDSA", D_A), lambda: verify_signature("X", b"", b"", b"")):
        with pytest.raises(UnknownAlgorithm):
            call()


@pytest.mark.parametrize("private", [b"\x00" * 32, signers.SM2_N.to_bytes(32, "big"), b"\x01" * 31])
def test_sm2_private_keys_outside_the_range_are_refused(private):
    with pytest.raises(signers.InvalidKey):
        signer_from_private_bytes("SM2", "k", private)


def test_without_the_native_library_ed25519_still_works_and_sm2_says_what_is_missing(monkeypatch):
    monkeypatch.setattr(signers, "gmssl_pyx", None)
    signer = signer_from_private_bytes("Ed25519", "k", generate_private_key("Ed25519"))
    assert verify_signature("Ed25519", signer.public_key(), b"m", signer.sign(b"m"))
    with pytest.raises(signers.AlgorithmUnavailable, match="gmssl-pyx"):
        signer_from_private_bytes("SM2", "k", D_A)
    with pytest.raises(UnknownAlgorithm):  # AlgorithmUnavailable is one
        verify_signature("SM2", b"\x04" + X_A + Y_A, MESSAGE, R + S)


def test_the_module_imports_without_the_native_library():
    """In a fresh interpreter where `import gmssl_pyx` fails (not a reload here, which would swap the classes
    under the other tests)."""
    import subprocess
    import sys

    script = (
        "import sys; sys.modules['gmssl_pyx'] = None\n"
        "from yijianshi.certificates.crypto import signers, qr\n"
        "assert signers.gmssl_pyx is None\n"
        "try:\n    signers.generate_private_key('SM2')\nexcept signers.AlgorithmUnavailable as e:\n    print(e)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "gmssl-pyx" in done.stdout


def test_a_signer_does_not_show_its_private_key():
    for algorithm in ALGORITHMS:
        private = generate_private_key(algorithm)
        signer = signer_from_private_bytes(algorithm, "k", private)
        assert private.hex() not in repr(signer) and str(private) not in repr(signer)
