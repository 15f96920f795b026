"""Validation of the numbers that identify people and enterprises, with messages a resident understands.

Plain Python on python-stdnum: GB 11643 citizen ID numbers (checksum and birth date), GB 32100 unified social
credit codes, and mainland mobile numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from stdnum import exceptions as stdnum_errors
from stdnum import numdb
from stdnum.cn import ric, uscc


class IdentityError(ValueError):
    """Carries the field it is about and a Chinese message naming it."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class IdNumber:
    value: str
    birth_date: date
    gender: str  # "male" / "female": the 17th digit, odd for men
    region_code: str


def parse_id_number(raw: str, *, field: str = "id_number", today: date | None = None) -> IdNumber:
    value = ric.compact(raw or "").upper()
    if not value:
        raise IdentityError(field, "身份证号码：必填")
    if len(value) != 18 or not value[:17].isdigit():
        raise IdentityError(field, "身份证号码：应为 18 位，前 17 位为数字，最后一位为数字或 X")
    try:
        birth = ric.get_birth_date(value)
    except stdnum_errors.ValidationError:
        raise IdentityError(field, "身份证号码：出生日期不存在（第 7–14 位）") from None
    if birth > (today or date.today()) or birth.year < 1900:
        raise IdentityError(field, "身份证号码：出生日期不合理（第 7–14 位）")
    if value[17] != ric.calc_check_digit(value):
        raise IdentityError(field, "身份证号码：校验位不正确，请核对最后一位")
    if not _known_region(value[:6]):
        raise IdentityError(field, "身份证号码：前 6 位地区码不存在")
    return IdNumber(value=value, birth_date=birth, gender="male" if int(value[16]) % 2 else "female",
                    region_code=value[:6])


def parse_credit_code(raw: str, *, field: str = "credit_code") -> str:
    value = uscc.compact(raw or "").upper()
    if not value:
        raise IdentityError(field, "统一社会信用代码：必填")
    if len(value) != 18:
        raise IdentityError(field, "统一社会信用代码：应为 18 位")
    try:
        uscc.validate(value)
    except stdnum_errors.InvalidChecksum:
        raise IdentityError(field, "统一社会信用代码：校验位不正确，请核对最后一位") from None
    except stdnum_errors.ValidationError:
        raise IdentityError(field, "统一社会信用代码：格式不正确（不得含 I、O、Z、S、V）") from None
    return value


def _known_region(code: str) -> bool:
    # Any code that ever existed: a number keeps the code of when it was issued, which stdnum's validate()
    # guesses from the birth year. That guess refuses real numbers (清涧县 is 612731 before 1999 and 610830
    # after, but people born earlier were also issued 610830 numbers), so only existence is checked.
    return any("county" in props for _, props in numdb.get("cn/loc").info(code))


_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def parse_mobile(raw: str, *, field: str = "mobile") -> str:
    value = re.sub(r"[\s-]", "", raw or "")
    if value.startswith("+86"):
        value = value[3:]
    if not value:
        raise IdentityError(field, "手机号码：必填")
    if not _MOBILE.match(value):
        raise IdentityError(field, "手机号码：应为 11 位中国大陆手机号，以 1 开头")
    return value


_NAME = re.compile(r"^[\u3400-\u9fff·•A-Za-z]{2,30}$")


def parse_person_name(raw: str, *, field: str = "name") -> str:
    value = (raw or "").strip()
    if not value:
        raise IdentityError(field, "姓名：必填")
    if not _NAME.match(value):
        raise IdentityError(field, "姓名：应为 2–30 个汉字（少数民族姓名可含“·”）")
    return value
