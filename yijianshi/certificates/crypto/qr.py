"""The text of a certificate's QR code: signed claims that a verifier checks offline, with only the issuer's
public keys at hand. The layering is that of the EU Digital COVID Certificate, a proven offline design:

    claims (dict) -> CBOR -> COSE_Sign1 (RFC 9052) -> zlib -> Base45 (RFC 9285) -> "QJC1:" + text

- COSE_Sign1_Tagged = 18([protected: bstr .cbor {1: alg, 4: kid}, unprotected: {}, payload: bstr, signature])
  signed over Sig_structure ["Signature1", protected, external_aad = b"", payload].
- alg -8 is EdDSA (RFC 9053 §2.2). SM2 has no registered COSE value; ALG_SM2_SM3 comes from the Private Use
  range (below -65536 in the IANA COSE Algorithms registry). The signature is r||s, 64 bytes.
- Base45 keeps the text within the QR alphanumeric character set (0-9A-Z $%*+-./:), about 5.5 bits per
  character instead of 8 in byte mode; the prefix uses the same set.

Decoding is strict and bounded: anything that is not exactly this shape is "malformed", the decompressed
size is capped (a zip bomb stops at the cap), no CBOR tags are decoded inside, and claims are parsed only
after the signature has been checked.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import base45
import cbor2

from . import signers

PREFIX = "QJC1:"
ALG_EDDSA = -8
ALG_SM2_SM3 = -65600  # Private Use (IANA COSE Algorithms: integers less than -65536); this project's choice
_ALG_BY_NAME = {"Ed25519": ALG_EDDSA, "SM2": ALG_SM2_SM3}
_NAME_BY_ALG = {alg: name for name, alg in _ALG_BY_NAME.items()}

MAX_DECOMPRESSED = 8 * 1024
MAX_TEXT = 4400  # above the 4,296 alphanumeric characters of the largest QR code (version 40-L)
MAX_DEPTH = 8
_COSE_SIGN1_TAG = b"\xd2"  # CBOR major type 6 (tag), value 18: COSE_Sign1_Tagged

_MESSAGES = {
    "malformed": "二维码内容无法识别，不是本平台签发的电子证照二维码",
    "unknown_key": "签发密钥未登记，无法核验该二维码",
    "bad_signature": "签名核验未通过，二维码内容可能被篡改",
}


class PayloadError(ValueError):
    """reason is one of "malformed", "unknown_key", "bad_signature"; str() is the Chinese message for people,
    detail an English note for logs."""

    def __init__(self, reason: str, detail: str = ""):
        self.reason = reason
        self.detail = detail
        super().__init__(_MESSAGES[reason])


@dataclass(frozen=True)
class VerifiedPayload:
    claims: dict
    key_id: str
    algorithm: str


# --- encoding ------------------------------------------------------------------------------------------------


def _check_claims(value, depth: int = 0) -> None:
    """Only what every CBOR decoder reads the same way: text, integers, booleans, null, lists and text-keyed
    maps. Dates travel as ISO strings (a date object would need a CBOR tag)."""
    if depth > MAX_DEPTH:
        raise TypeError("claims nest too deeply")
    if value is None or isinstance(value, (str, int)):  # bool is an int
        return
    if isinstance(value, list):
        for item in value:
            _check_claims(item, depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"claim keys must be strings, not {type(key).__name__}")
            _check_claims(item, depth + 1)
        return
    raise TypeError(f"claims cannot hold {type(value).__name__}; use strings for dates")


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload])


def encode_payload(claims: dict, signer: signers.Signer) -> str:
    if not isinstance(claims, dict):
        raise TypeError("claims must be a dict")
    _check_claims(claims)
    if signer.algorithm not in _ALG_BY_NAME:
        raise signers.UnknownAlgorithm(signer.algorithm)
    payload = cbor2.dumps(claims, canonical=True)
    protected = cbor2.dumps({1: _ALG_BY_NAME[signer.algorithm], 4: signer.key_id.encode()}, canonical=True)
    signature = signer.sign(_sig_structure(protected, payload))
    cose = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature]))
    compressed = zlib.compress(cose, 9)
    if len(cose) > MAX_DECOMPRESSED:  # the decoder would refuse it: fail here, where the mistake is
        raise ValueError(f"payload of {len(cose)} bytes exceeds {MAX_DECOMPRESSED}")
    return PREFIX + base45.b45encode(compressed).decode("ascii")


# --- decoding ------------------------------------------------------------------------------------------------


def _reject_tag(decoder, *args):
    raise cbor2.CBORDecodeError("CBOR tags are not accepted here")


class _EveryTag(Mapping):
    """semantic_decoders that claims every tag: cbor2 then builds no datetimes, decimals, regexes, shared
    references, ... from untrusted input (tags it has no decoder for go to tag_hook, also a rejection)."""

    def __getitem__(self, tag):
        return _reject_tag

    def __contains__(self, tag):
        return True

    def get(self, tag, default=None):
        return _reject_tag

    def __iter__(self):
        return iter(())

    def __len__(self):
        return 0


_STRICT = dict(
    tag_hook=_reject_tag, semantic_decoders=_EveryTag(), max_depth=MAX_DEPTH + 2, allow_indefinite=False,
    allow_duplicate_keys=False,
)


def _cbor_exactly_one(data: bytes):
    """One CBOR item and nothing after it (cbor2.loads would ignore trailing bytes)."""
    stream = io.BytesIO(data)
    item = cbor2.CBORDecoder(stream, **_STRICT).decode()
    if stream.tell() != len(data):
        raise ValueError("trailing bytes after the CBOR item")
    return item


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj()
    out = inflater.decompress(data, MAX_DECOMPRESSED + 1)  # never more than the cap (+1 to notice) in memory
    if len(out) > MAX_DECOMPRESSED:
        raise ValueError("decompressed size over the cap")
    if not inflater.eof or inflater.unused_data:
        raise ValueError("truncated or trailing zlib data")
    return out


def _unwrap(text: str) -> tuple[bytes, int, str, bytes, bytes]:
    """Text -> (protected, alg, key id, payload, signature); ValueError/CBOR errors for anything else."""
    if not isinstance(text, str) or len(text) > MAX_TEXT or not text.startswith(PREFIX):
        raise ValueError("not a QJC1 text of acceptable length")
    cose = _inflate(base45.b45decode(text[len(PREFIX):]))
    if not cose.startswith(_COSE_SIGN1_TAG):
        raise ValueError("not a tagged COSE_Sign1")
    body = _cbor_exactly_one(cose[1:])
    if not isinstance(body, list) or len(body) != 4:
        raise ValueError("COSE_Sign1 is not a 4-element array")
    protected, unprotected, payload, signature = body
    if not all(isinstance(part, bytes) for part in (protected, payload, signature)) or unprotected != {}:
        raise ValueError("COSE_Sign1 members of the wrong type")
    header = _cbor_exactly_one(protected)
    if not isinstance(header, dict) or set(header) != {1, 4}:
        raise ValueError("protected header must hold exactly alg and kid")
    alg, kid = header[1], header[4]
    if alg not in _NAME_BY_ALG or not isinstance(kid, bytes) or not kid:
        raise ValueError("unknown alg or bad kid")
    return protected, alg, kid.decode("utf-8"), payload, signature


def decode_payload(text: str, key_lookup: Callable[[str], tuple[str, bytes] | None]) -> VerifiedPayload:
    """key_lookup(key_id) gives (algorithm, public key bytes) of a known issuing key, or None."""
    try:
        protected, alg, key_id, payload, signature = _unwrap(text)
    except (ValueError, TypeError, cbor2.CBORError, zlib.error, RecursionError) as error:
        # (base45, UnicodeDecodeError and CBOR errors are ValueErrors too)
        raise PayloadError("malformed", str(error)) from None
    found = key_lookup(key_id)
    if found is None:
        raise PayloadError("unknown_key", f"kid {key_id!r}")
    algorithm, public_key = found
    if algorithm not in signers.ALGORITHMS:  # the key store is wrong, not the QR code: say so loudly
        raise signers.UnknownAlgorithm(algorithm)
    # A header naming another algorithm than the key's is an attempt at algorithm confusion: not valid.
    if _NAME_BY_ALG[alg] != algorithm:
        raise PayloadError("bad_signature", f"alg {alg} does not match the {algorithm} key {key_id!r}")
    if not signers.verify_signature(algorithm, public_key, _sig_structure(protected, payload), signature):
        raise PayloadError("bad_signature", f"signature does not verify under {key_id!r}")
    try:
        claims = _cbor_exactly_one(payload)
        if not isinstance(claims, dict):
            raise ValueError("claims are not a map")
        _check_claims(claims)
    except (ValueError, TypeError, cbor2.CBORError, RecursionError) as error:
        # Signed by a real key yet not claims we write: a bug at the issuer, not a forgery; refuse it anyway.
        raise PayloadError("malformed", f"signed payload: {error}") from None
    return VerifiedPayload(claims=claims, key_id=key_id, algorithm=algorithm)
