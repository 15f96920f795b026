"""Bitstring Status List: the W3C v1.0 encoding (GZIP, base64url without padding, Multibase "u"), index 0 at the
left-most bit, the 131,072-entry minimum, and bounded decoding."""

import base64
import gzip
import random

import pytest

from yijianshi.certificates.crypto.statuslist import (
    MIN_SIZE,
    StatusListError,
    encode_status_list,
    status_bit,
)

# The encodedList of the Recommendation's status list credential example: 131,072 zero bits.
W3C_EXAMPLE = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"


def raw_bits(encoded: str) -> bytes:
    text = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def test_the_specs_example_list_decodes_to_the_minimum_size_with_nothing_set():
    assert all(not status_bit(W3C_EXAMPLE, index) for index in (0, 1, 7, 8, 65536, MIN_SIZE - 1))
    assert raw_bits(W3C_EXAMPLE) == bytes(MIN_SIZE // 8)
    with pytest.raises(StatusListError):
        status_bit(W3C_EXAMPLE, MIN_SIZE)
    assert raw_bits(encode_status_list([])) == raw_bits(W3C_EXAMPLE)


def test_index_zero_is_the_leftmost_bit_of_the_first_byte():
    bits = raw_bits(encode_status_list([0, 9, MIN_SIZE - 1]))
    assert bits[0] == 0b1000_0000  # index 0
    assert bits[1] == 0b0100_0000  # index 9: second byte, second bit from the left
    assert bits[-1] == 0b0000_0001  # the last index: the right-most bit
    assert sum(bin(byte).count("1") for byte in bits) == 3


def test_set_indexes_round_trip_and_no_others_are_set():
    chosen = set(random.Random(20260302).sample(range(MIN_SIZE), 500))
    encoded = encode_status_list(chosen)
    assert encoded.startswith("u") and "=" not in encoded and "+" not in encoded and "/" not in encoded
    for index in range(MIN_SIZE):
        assert status_bit(encoded, index) == (index in chosen)


def test_a_list_is_at_least_the_minimum_size_and_whole_bytes():
    assert len(raw_bits(encode_status_list([5]))) * 8 == MIN_SIZE
    bigger = encode_status_list([MIN_SIZE + 7], size=MIN_SIZE * 2)
    assert status_bit(bigger, MIN_SIZE + 7) and not status_bit(bigger, MIN_SIZE + 6)
    for size in (MIN_SIZE - 8, MIN_SIZE + 1, 0):
        with pytest.raises(StatusListError, match="状态列表长度"):
            encode_status_list([], size=size)


def test_the_same_statuses_give_the_same_text():
    assert encode_status_list([3, 1, 2]) == encode_status_list([1, 2, 3])


@pytest.mark.parametrize("index", [-1, MIN_SIZE, "3", True, 1.0])
def test_indexes_outside_the_list_are_refused(index):
    with pytest.raises(StatusListError, match="索引"):
        encode_status_list([index])
    with pytest.raises(StatusListError, match="索引"):
        status_bit(W3C_EXAMPLE, index)


@pytest.mark.parametrize("encoded", [
    W3C_EXAMPLE[1:],  # no Multibase prefix
    "z" + W3C_EXAMPLE[1:],  # another Multibase base
    W3C_EXAMPLE + "=",  # padding
    W3C_EXAMPLE.replace("-", "+"),  # base64, not base64url
    "u",
    "uAAAA",  # not GZIP
    W3C_EXAMPLE[:-4],  # truncated GZIP
    "u" + base64.urlsafe_b64encode(gzip.compress(bytes(1024))).decode().rstrip("="),  # under the minimum
    "u" + base64.urlsafe_b64encode(gzip.compress(bytes(17 * 1024 * 1024))).decode().rstrip("="),  # over the cap
])
def test_lists_that_are_not_w3c_encoded_are_refused(encoded):
    with pytest.raises(StatusListError):
        status_bit(encoded, 0)
