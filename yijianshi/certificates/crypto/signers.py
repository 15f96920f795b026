"""Signing keys for certificates: Ed25519 (cryptography) and SM2 with SM3 (GmSSL's C code via gmssl-pyx).

Keys travel as raw bytes so the caller can store them however it likes (the private part encrypted):
- Ed25519: private = the 32-byte seed, public = 32 bytes (RFC 8032).
- SM2: private = the 32-byte big-endian d, public = 65 bytes 04||x||y (uncompressed SEC 1 point).

Signatures are 64 bytes for both algorithms. For SM2 that is r||s, each 32 bytes big-endian, the fixed-size
form COSE uses for elliptic-curve signatures (RFC 9053 §2.1); GmSSL speaks DER, which is converted at the edge.
SM2 signs with the user ID 1234567812345678, the default of GB/T 35276-2017 (and GmSSL's): verifiers elsewhere
need no extra agreement.

gmssl-pyx is imported lazily in effect: if it is missing, this module still imports and Ed25519 works; using
SM2 raises AlgorithmUnavailable, which says what to install.
"""

from __future__ import annotations

import functools
from typing import Protocol, runtime_checkable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

try:  # a native library (GmSSL compiled into the wheel); optional so that Ed25519-only deployments still run
    import gmssl_pyx
except ImportError:  # pragma: no cover - exercised by monkeypatching in the tests
    gmssl_pyx = None

ALGORITHMS = ("Ed25519", "SM2")

# GB/T 35276-2017 §8 (SM2 密码算法使用规范): the default signer ID when none has been agreed.
SM2_SIGNER_ID = b"1234567812345678"

# The SM2 recommended curve, GB/T 32918.5-2017 (y^2 = x^3 + ax + b over F_p, cofactor 1).
SM2_P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
SM2_A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
SM2_B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
SM2_N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
SM2_G = (
    0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
    0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0,
)


class UnknownAlgorithm(ValueError):
    """The algorithm name is not one of ALGORITHMS (or cannot be used here)."""

    def __init__(self, algorithm: object):
        self.algorithm = algorithm
        super().__init__(f"不支持的签名算法：{algorithm!r}（支持 {'、'.join(ALGORITHMS)}）")


class AlgorithmUnavailable(UnknownAlgorithm):
    """SM2 was asked for but the native SM2 library is not installed."""

    def __init__(self, algorithm: str):
        self.algorithm = algorithm
        ValueError.__init__(self, f"{algorithm} 签名需要安装 gmssl-pyx（GmSSL 的 Python 封装）")


class InvalidKey(ValueError):
    """Private key bytes that are not a valid key for the algorithm."""


@runtime_checkable
class Signer(Protocol):
    algorithm: str
    key_id: str

    def sign(self, data: bytes) -> bytes: ...

    def public_key(self) -> bytes: ...


# --- Ed25519 -------------------------------------------------------------------------------------------------


class Ed25519Signer:
    algorithm = "Ed25519"

    def __init__(self, key_id: str, private: bytes):
        if len(private) != 32:
            raise InvalidKey("Ed25519 私钥应为 32 字节")
        self.key_id = key_id
        self._key = Ed25519PrivateKey.from_private_bytes(private)
        self._public = self._key.public_key().public_bytes_raw()

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)

    def public_key(self) -> bytes:
        return self._public

    def __repr__(self) -> str:  # never the private key
        return f"<Ed25519Signer {self.key_id}>"


def _ed25519_verify(public_key: bytes, data: bytes, signature: bytes) -> bool:
    if len(public_key) != 32 or len(signature) != 64:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


# --- SM2 -----------------------------------------------------------------------------------------------------


def _gmssl():
    if gmssl_pyx is None:
        raise AlgorithmUnavailable("SM2")
    return gmssl_pyx


def _on_curve(x: int, y: int) -> bool:
    return 0 <= x < SM2_P and 0 <= y < SM2_P and (y * y - (x * x * x + SM2_A * x + SM2_B)) % SM2_P == 0


def _point_add(p1, p2):
    """Affine addition on the SM2 curve; None is the point at infinity."""
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    (x1, y1), (x2, y2) = p1, p2
    if x1 == x2:
        if (y1 + y2) % SM2_P == 0:
            return None
        slope = (3 * x1 * x1 + SM2_A) * pow(2 * y1, -1, SM2_P)
    else:
        slope = (y2 - y1) * pow(x2 - x1, -1, SM2_P)
    x3 = (slope * slope - x1 - x2) % SM2_P
    return x3, (slope * (x1 - x3) - y1) % SM2_P


@functools.lru_cache(maxsize=64)
def _sm2_public_point(d: int) -> tuple[int, int]:
    """[d]G. GmSSL signs with (d, P) but offers no way to derive P from d, hence this small routine.

    A Montgomery ladder (same sequence of operations for every bit) over Python integers: not constant-time
    in the strict sense, but it runs only when a key is generated or loaded, never per signature. Proven
    against the key pair of GB/T 32918.5-2017 Annex A in the tests. Cached because callers may rebuild a
    signer per request from the stored private key.
    """
    r0, r1 = None, SM2_G
    for bit in bin(d)[2:].zfill(256):
        if bit == "1":
            r0, r1 = _point_add(r0, r1), _point_add(r1, r1)
        else:
            r0, r1 = _point_add(r0, r0), _point_add(r0, r1)
    return r0


def _sm2_scalar(private: bytes) -> int:
    if len(private) != 32:
        raise InvalidKey("SM2 私钥应为 32 字节")
    d = int.from_bytes(private, "big")
    # GB/T 32918.1 §6.1: d in [1, n-2], so that 1+d is invertible mod n when signing.
    if not 1 <= d <= SM2_N - 2:
        raise InvalidKey("SM2 私钥不在 [1, n-2] 范围内")
    return d


def _sm2_public_bytes(d: int) -> bytes:
    x, y = _sm2_public_point(d)
    return b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")


def sm2_z(public_key: bytes, signer_id: bytes = SM2_SIGNER_ID) -> bytes:
    """Z_A = SM3(ENTL_A || ID_A || a || b || x_G || y_G || x_A || y_A), GB/T 32918.2 §5.5: binds the signer's ID
    and public key into every signed digest."""
    curve = b"".join(n.to_bytes(32, "big") for n in (SM2_A, SM2_B, *SM2_G))
    return _gmssl().sm3_hash((len(signer_id) * 8).to_bytes(2, "big") + signer_id + curve + public_key[1:])


class SM2Signer:
    algorithm = "SM2"

    def __init__(self, key_id: str, private: bytes):
        self._lib = _gmssl()
        self.key_id = key_id
        self._private = bytes(private)
        self._public = _sm2_public_bytes(_sm2_scalar(self._private))
        self._z = sm2_z(self._public)

    def sign(self, data: bytes) -> bytes:
        # e = SM3(Z_A || M), then GmSSL signs the digest. Same result as its sm2_sign(d, P, M, ID), which
        # costs ten times more (2.3 ms against 0.23 ms here) because it sets the key up on every call.
        der = self._lib.sm2_sign_sm3_digest(self._private, self._lib.sm3_hash(self._z + data))
        r, s = decode_dss_signature(der)
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def public_key(self) -> bytes:
        return self._public

    def __repr__(self) -> str:
        return f"<SM2Signer {self.key_id}>"


def _sm2_verify(public_key: bytes, data: bytes, signature: bytes) -> bool:
    lib = _gmssl()
    if len(public_key) != 65 or public_key[0] != 4 or len(signature) != 64:
        return False
    x, y = int.from_bytes(public_key[1:33], "big"), int.from_bytes(public_key[33:], "big")
    if not _on_curve(x, y):  # cofactor 1: on the curve and not infinity is a valid public key
        return False
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    if not (1 <= r < SM2_N and 1 <= s < SM2_N):
        return False
    try:
        return bool(lib.sm2_verify(public_key[1:], data, encode_dss_signature(r, s), SM2_SIGNER_ID))
    except lib.GmsslInnerError:  # InvalidValueError is a subclass
        return False


# --- the public functions -------------------------------------------------------------------------------------


def _check(algorithm: str) -> str:
    if algorithm not in ALGORITHMS:
        raise UnknownAlgorithm(algorithm)
    if algorithm == "SM2":
        _gmssl()
    return algorithm


def generate_private_key(algorithm: str) -> bytes:
    """Fresh raw private key bytes from the operating system's random source (via the library)."""
    if _check(algorithm) == "Ed25519":
        return Ed25519PrivateKey.generate().private_bytes_raw()
    _public, private = gmssl_pyx.sm2_key_generate()
    return private


def signer_from_private_bytes(algorithm: str, key_id: str, private: bytes) -> Signer:
    if not isinstance(key_id, str) or not key_id:
        raise ValueError("密钥标识不能为空")
    if _check(algorithm) == "Ed25519":
        return Ed25519Signer(key_id, bytes(private))
    return SM2Signer(key_id, bytes(private))


def public_key_from_private(algorithm: str, private: bytes) -> bytes:
    if _check(algorithm) == "Ed25519":
        if len(private) != 32:
            raise InvalidKey("Ed25519 私钥应为 32 字节")
        return Ed25519PrivateKey.from_private_bytes(bytes(private)).public_key().public_bytes_raw()
    return _sm2_public_bytes(_sm2_scalar(bytes(private)))


def verify_signature(algorithm: str, public_key: bytes, data: bytes, signature: bytes) -> bool:
    """True only for a valid signature. Bad keys, signatures or data give False, never an exception; an
    unknown algorithm (a programming or configuration error, not input) raises UnknownAlgorithm."""
    _check(algorithm)
    if not all(isinstance(value, (bytes, bytearray, memoryview)) for value in (public_key, data, signature)):
        return False  # bytes(5) would quietly make five zero bytes
    public_key, data, signature = bytes(public_key), bytes(data), bytes(signature)
    if algorithm == "Ed25519":
        return _ed25519_verify(public_key, data, signature)
    return _sm2_verify(public_key, data, signature)
