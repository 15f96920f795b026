"""电子证照标识 (GB/T 36904-2018): built and parsed with the ISO/IEC 7064 MOD 37,36 check character, and every
wrong part named in Chinese."""

import pytest

from yijianshi.certificates.crypto.identifier import (
    ROOT,
    IdentifierParts,
    InvalidIdentifier,
    build_identifier,
    parse_identifier,
)

# Identifiers published by government systems (a Zhejiang project-approval file name and the construction
# ministry's data-exchange format); their check characters were computed by those systems, not by us.
PUBLISHED = [
    ("1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
     IdentifierParts("11100000000013338W009", "11330105002500287C", "2025052201", 2, "0")),
    ("1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
     IdentifierParts("11100000000013338W011", "11430000006122244L", "20230000403", 1, "U")),
]
ISSUER = "11610830MB1234567W"  # a valid credit code for a county office in 610830 (清涧县)
TYPE = "11100000000013338W009"


@pytest.mark.parametrize("text, parts", PUBLISHED)
def test_published_identifiers_parse_and_rebuild_to_the_same_text(text, parts):
    assert parse_identifier(text) == parts
    assert build_identifier(parts.type_code, parts.issuer_credit_code, parts.serial, parts.version) == text


def test_a_built_identifier_has_six_parts_and_a_three_digit_version():
    text = build_identifier(TYPE, ISSUER, "QJ2026000001", 7)
    assert text.startswith(ROOT + ".")
    assert text.split(".")[5:9] == [TYPE, ISSUER, "QJ2026000001", "007"]
    parsed = parse_identifier(text)
    assert (parsed.serial, parsed.version) == ("QJ2026000001", 7)


def test_every_single_character_change_is_caught():
    """MOD 37,36 detects all single substitutions: change any character of any part, the identifier fails."""
    text = build_identifier(TYPE, ISSUER, "QJ2026000001", 1)
    head, body = text[:len(ROOT) + 1], text[len(ROOT) + 1:]
    for position, char in enumerate(body):
        if char == ".":
            continue
        for other in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ":
            if other != char:
                with pytest.raises(InvalidIdentifier):
                    parse_identifier(head + body[:position] + other + body[position + 1:])


def test_a_new_version_gets_a_new_check_character_from_the_same_parts():
    first = build_identifier(TYPE, ISSUER, "QJ2026000001", 1)
    second = build_identifier(TYPE, ISSUER, "QJ2026000001", 2)
    assert first[:-5] == second[:-5] and first != second


@pytest.mark.parametrize("args, message", [
    (("11100000000013338W00", ISSUER, "1", 1), "证照类型代码"),
    (("11100000000013338X009", ISSUER, "1", 1), "证照类型代码的前 18 位"),
    ((TYPE, "11610830MB1234567X", "1", 1), "证照颁发机构代码"),
    ((TYPE, ISSUER.lower(), "1", 1), "证照颁发机构代码"),
    ((TYPE, "11610830-MB1234567W", "1", 1), "证照颁发机构代码"),
    ((TYPE, ISSUER, "", 1), "流水号"),
    ((TYPE, ISSUER, "qj-1", 1), "流水号"),
    ((TYPE, ISSUER, "A" * 41, 1), "流水号"),
    ((TYPE, ISSUER, "1", 0), "版本号"),
    ((TYPE, ISSUER, "1", 1000), "版本号"),
    ((TYPE, ISSUER, "1", "1"), "版本号"),
    ((TYPE, ISSUER, "1", True), "版本号"),
])
def test_bad_parts_are_refused_naming_the_part(args, message):
    with pytest.raises(InvalidIdentifier, match=message):
        build_identifier(*args)


@pytest.mark.parametrize("text, message", [
    ("", "不能为空"),
    ("1.2.156.3005.3.11100000000013338W009.11330105002500287C.2025052201.002.0", "根代码"),
    ("1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002", "六段"),
    ("1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.2.0", "版本号"),
    ("1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.000.0", "版本号"),
    ("1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.1", "校验位不符"),
    ("1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.a", "校验位应为"),
    ("1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.00", "校验位应为"),
    ("1.2.156.3005.2.11100000000013338W009.11330105002500287D.2025052201.002.0", "颁发机构"),
    (None, "不能为空"),
])
def test_bad_identifiers_are_refused_with_a_chinese_reason(text, message):
    with pytest.raises(InvalidIdentifier, match=message):
        parse_identifier(text)


def test_surrounding_spaces_from_a_copy_and_paste_are_ignored():
    text, parts = PUBLISHED[0]
    assert parse_identifier(f"  {text}\n") == parts
