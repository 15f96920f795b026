"""Electronic certificate crypto benchmark: signing, QR encoding and offline verification per algorithm.

    .venv/bin/python bench/certificates_bench.py [--seconds 2]

For Ed25519 and SM2: signatures per second (over a Sig_structure of a business licence's claims), QR texts
encoded per second, verifications per second FROM THE QR TEXT (Base45 -> zlib -> CBOR -> signature check ->
claims, i.e. decode_payload as a verifier runs it) with p50/p95 latency, the text's length and the QR version
(segno, error correction M, alphanumeric mode) it needs. Also the SM2 public-key derivation (Python, once per
key load) and the status list. One thread, plain Python, no database; each figure runs for --seconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

import cbor2  # noqa: E402
import segno  # noqa: E402

from yijianshi.certificates.crypto import qr, signers  # noqa: E402
from yijianshi.certificates.crypto.identifier import build_identifier  # noqa: E402
from yijianshi.certificates.crypto.statuslist import MIN_SIZE, encode_status_list, status_bit  # noqa: E402

# A business licence (营业执照) issued in Qingjian: what its QR code would carry.
CLAIMS = {
    "id": build_identifier("11100000MB0341032Y001", "11610830MB1234567W", "QJ2026000417", 1),
    "type": "11100000MB0341032Y001",
    "name": "营业执照",
    "holder": "清涧县黄河红枣商贸有限公司",
    "uscc": "91610830MA6Y123458",
    "issued": "2026-03-02",
    "expires": "长期",
    "sl": 40961,
}


def timed(function, seconds: float) -> list[float]:
    """Per-call durations (s) of function(), called until `seconds` have passed (at least 20 calls)."""
    function()  # warm-up
    durations = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(durations) < 20:
        started = time.perf_counter()
        function()
        durations.append(time.perf_counter() - started)
    return durations


def per_second(durations: list[float]) -> float:
    return len(durations) / sum(durations)


def percentile(durations: list[float], p: int) -> float:
    return statistics.quantiles(durations, n=100)[p - 1] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()

    print(f"证照声明（营业执照）：{len(CLAIMS)} 项，标识 {CLAIMS['id']}")
    print()
    header = (f"{'算法':<8}{'签名/秒':>10}{'生成二维码/秒':>14}{'验证/秒':>10}{'验证 p50 ms':>13}"
              f"{'验证 p95 ms':>13}{'文本长度':>10}{'QR 版本(M)':>12}")
    print(header)
    for algorithm in signers.ALGORITHMS:
        signer = signers.signer_from_private_bytes(algorithm, "qj-scj-2026", signers.generate_private_key(algorithm))
        keys = {signer.key_id: (algorithm, signer.public_key())}
        text = qr.encode_payload(CLAIMS, signer)
        assert qr.decode_payload(text, keys.get).claims == CLAIMS
        # Exactly what encode_payload signs: the Sig_structure of this certificate's claims.
        protected = cbor2.dumps({1: qr._ALG_BY_NAME[algorithm], 4: signer.key_id.encode()}, canonical=True)
        to_sign = qr._sig_structure(protected, cbor2.dumps(CLAIMS, canonical=True))

        sign = timed(lambda: signer.sign(to_sign), args.seconds)
        encode = timed(lambda: qr.encode_payload(CLAIMS, signer), args.seconds)
        verify = timed(lambda: qr.decode_payload(text, keys.get), args.seconds)
        code = segno.make(text, error="m", micro=False, boost_error=False)
        assert code.mode == "alphanumeric"
        print(f"{algorithm:<10}{per_second(sign):>12.0f}{per_second(encode):>16.0f}{per_second(verify):>12.0f}"
              f"{percentile(verify, 50):>15.3f}{percentile(verify, 95):>15.3f}{len(text):>12}"
              f"{code.version:>11} ({code.symbol_size(border=0)[0]}×{code.symbol_size(border=0)[0]} 模块)")

    # SM2 derives the public key in Python when a signer is built from a private key it has not seen.
    fresh = [signers.generate_private_key("SM2") for _ in range(30)]
    started = time.perf_counter()
    for private in fresh:
        signers.public_key_from_private("SM2", private)
    print()
    print(f"SM2 由私钥推导公钥（Python，每个密钥加载一次，随后缓存）：{(time.perf_counter() - started) / 30 * 1000:.1f} ms")

    revoked = range(0, MIN_SIZE, 131)  # 1,001 revoked certificates among 131,072
    durations = timed(lambda: encode_status_list(revoked), args.seconds / 2)
    encoded = encode_status_list(revoked)
    status_bit(encoded, 0)
    lookups = timed(lambda: status_bit(encoded, 40961), args.seconds / 2)
    print(f"状态列表 {MIN_SIZE} 位、{len(revoked)} 位置 1：编码 {statistics.median(durations) * 1000:.1f} ms，"
          f"文本 {len(encoded)} 字符；查询一位（列表已解码缓存）{statistics.median(lookups) * 1e6:.1f} µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
