"""Revocation/suspension status of many certificates in one published bit string, in the shape of
W3C Bitstring Status List v1.0 (a W3C Recommendation):

- each certificate holds an index into the list; its bit is 1 when the status (e.g. revoked) applies;
- index 0 is the left-most bit, i.e. the most significant bit of the first byte;
- the list is at least 131,072 bits (16 KiB) so that one certificate's index says little about the holder
  (herd privacy); zeros compress to almost nothing;
- encodedList = "u" (the Multibase prefix for base64url) + base64url without padding of the GZIP'd bytes.

The spec's example list, "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA" (131,072
zero bits), is decoded in the tests.
"""

from __future__ import annotations

import base64
import binascii
import functools
import gzip
import re
import zlib
from collections.abc import Iterable

MIN_SIZE = 131072
MAX_BYTES = 16 * 1024 * 1024  # 134 million entries; a bigger (or bomb) list is refused while inflating
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


class StatusListError(ValueError):
    """A list that cannot be decoded, or an index outside it (message in Chinese)."""


def encode_status_list(set_indexes: Iterable[int], size: int = MIN_SIZE) -> str:
    if isinstance(size, bool) or not isinstance(size, int) or size < MIN_SIZE or size % 8:
        raise StatusListError(f"状态列表长度应为不小于 {MIN_SIZE} 的 8 的倍数")
    bits = bytearray(size // 8)
    for index in set_indexes:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < size:
            raise StatusListError(f"状态列表索引 {index!r} 超出范围 0 至 {size - 1}")
        bits[index >> 3] |= 0x80 >> (index & 7)
    # mtime=0: the same statuses always give the same text (cacheable, comparable).
    compressed = gzip.compress(bytes(bits), compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=")


@functools.lru_cache(maxsize=8)
def _bitstring(encoded_list: str) -> bytes:
    """The decompressed bytes; cached because a verifier checks many indexes against one published list."""
    if not isinstance(encoded_list, str) or not encoded_list.startswith("u"):
        raise StatusListError("状态列表应以 Multibase 前缀 u（base64url）开头")
    text = encoded_list[1:]
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise StatusListError("状态列表不是无填充的 base64url 编码")
    try:
        compressed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # GZIP framing only
        bits = inflater.decompress(compressed, MAX_BYTES + 1)
    except (binascii.Error, zlib.error):
        raise StatusListError("状态列表无法解压（不是 GZIP 数据）") from None
    if len(bits) > MAX_BYTES:
        raise StatusListError("状态列表过大")
    if not inflater.eof or inflater.unused_data:
        raise StatusListError("状态列表的 GZIP 数据不完整")
    if len(bits) * 8 < MIN_SIZE:
        raise StatusListError(f"状态列表短于规定的最小长度 {MIN_SIZE} 位")
    return bits


def status_bit(encoded_list: str, index: int) -> bool:
    bits = _bitstring(encoded_list)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(bits) * 8:
        raise StatusListError(f"状态列表索引 {index!r} 超出范围 0 至 {len(bits) * 8 - 1}")
    return bool(bits[index >> 3] & (0x80 >> (index & 7)))
