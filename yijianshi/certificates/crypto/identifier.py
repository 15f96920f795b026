"""电子证照标识 (electronic certificate identifier), GB/T 36904-2018.

    1.2.156.3005.2 . 证照类型代码 . 证照颁发机构代码 . 流水号 . 版本号 . 校验位
    root OID         type code      issuer credit code  serial   3 digits  check character

The check character is ISO/IEC 7064 MOD 37,36 (GB/T 17710-2008, which GB/T 36904 cites) computed over the four
middle parts concatenated without dots. The same scheme as the 18th character of a credit code
(GB 32100-2015), so python-stdnum's implementation is used. Checked against identifiers that real
government systems publish, e.g. 1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0
(see the tests).

The type code is, in every published example, the credit code of the authority that defines the certificate
type followed by a 3-digit sequence (11100000000013338W011: 住房和城乡建设部's code + 011); it is validated as
such. The issuer is a unified social credit code (统一社会信用代码). The serial is assigned by the issuer:
capital letters and digits, the alphabet of the check scheme.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum.cn import uscc
from stdnum.iso7064 import mod_37_36

ROOT = "1.2.156.3005.2"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
SERIAL_MAX_LENGTH = 40  # the standard fixes none; 32 (a UUID in hex) is the longest seen in use
_SERIAL = re.compile(r"[0-9A-Z]{1,%d}" % SERIAL_MAX_LENGTH)
_TYPE_CODE = re.compile(r"[0-9A-Z]{18}[0-9]{3}")
_CREDIT_CODE = re.compile(r"[0-9A-Z]{18}")
_VERSION = re.compile(r"[0-9]{3}")


class InvalidIdentifier(ValueError):
    """The message (Chinese) names the part that is wrong."""


@dataclass(frozen=True)
class IdentifierParts:
    type_code: str
    issuer_credit_code: str
    serial: str
    version: int
    check: str


def _check_type_code(type_code: object) -> str:
    if not isinstance(type_code, str) or not _TYPE_CODE.fullmatch(type_code):
        raise InvalidIdentifier("证照类型代码应为定义机构的统一社会信用代码加 3 位顺序码（共 21 位大写字母或数字）")
    if not uscc.is_valid(type_code[:18]):
        raise InvalidIdentifier("证照类型代码的前 18 位不是有效的统一社会信用代码")
    return type_code


def _check_issuer(code: object) -> str:
    # The pattern first: stdnum would quietly accept lower case, spaces and dashes.
    if not isinstance(code, str) or not _CREDIT_CODE.fullmatch(code) or not uscc.is_valid(code):
        raise InvalidIdentifier("证照颁发机构代码不是有效的统一社会信用代码")
    return code


def _check_serial(serial: object) -> str:
    if not isinstance(serial, str) or not _SERIAL.fullmatch(serial):
        raise InvalidIdentifier(f"流水号应为 1 至 {SERIAL_MAX_LENGTH} 位大写字母或数字")
    return serial


def _check_version(version: object) -> int:
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= 999:
        raise InvalidIdentifier("版本号应为 1 至 999 的整数")
    return version


def check_character(type_code: str, issuer_credit_code: str, serial: str, version: int) -> str:
    return mod_37_36.calc_check_digit(f"{type_code}{issuer_credit_code}{serial}{version:03d}", ALPHABET)


def build_identifier(type_code: str, issuer_credit_code: str, serial: str, version: int) -> str:
    type_code = _check_type_code(type_code)
    issuer_credit_code = _check_issuer(issuer_credit_code)
    serial = _check_serial(serial)
    version = _check_version(version)
    check = check_character(type_code, issuer_credit_code, serial, version)
    return f"{ROOT}.{type_code}.{issuer_credit_code}.{serial}.{version:03d}.{check}"


def parse_identifier(text: str) -> IdentifierParts:
    if not isinstance(text, str) or not text.strip():
        raise InvalidIdentifier("电子证照标识不能为空")
    text = text.strip()
    if not text.startswith(ROOT + "."):
        raise InvalidIdentifier(f"电子证照标识应以根代码 {ROOT} 开头")
    parts = text[len(ROOT) + 1:].split(".")
    if len(parts) != 5:
        raise InvalidIdentifier("电子证照标识应由根代码、证照类型代码、颁发机构代码、流水号、版本号、校验位六段组成")
    type_code, issuer, serial, version_text, check = parts
    _check_type_code(type_code)
    _check_issuer(issuer)
    _check_serial(serial)
    if not _VERSION.fullmatch(version_text) or version_text == "000":
        raise InvalidIdentifier("版本号应为 3 位数字（001 至 999）")
    version = int(version_text)
    if len(check) != 1 or check not in ALPHABET:
        raise InvalidIdentifier("校验位应为 1 位大写字母或数字")
    if check != check_character(type_code, issuer, serial, version):
        raise InvalidIdentifier("校验位不符，电子证照标识可能有误")
    return IdentifierParts(type_code, issuer, serial, version, check)
