"""ID numbers, credit codes and mobiles are checked with python-stdnum; each refusal names the field in Chinese."""

from datetime import date

import pytest

from yijianshi.accounts.identity import (
    IdentityError,
    parse_credit_code,
    parse_id_number,
    parse_mobile,
    parse_person_name,
)


def test_a_valid_id_number_gives_birth_date_gender_and_region():
    parsed = parse_id_number(" 610830194001010096 ")
    assert parsed.birth_date == date(1940, 1, 1)
    assert parsed.gender == "male" and parsed.region_code == "610830"


def test_a_lower_case_x_check_digit_is_accepted_and_normalised():
    assert parse_id_number("61083019850315002x").value == "61083019850315002X"


@pytest.mark.parametrize("raw, message", [
    ("", "身份证号码：必填"),
    ("61083019400101009", "身份证号码：应为 18 位"),
    ("610830194001010097", "身份证号码：校验位不正确"),
    ("610830194002300090", "身份证号码：出生日期不存在"),
    ("610830290001010090", "身份证号码：出生日期"),
    ("999999194001010090", "身份证号码："),
])
def test_invalid_id_numbers_are_refused_naming_the_field(raw, message):
    with pytest.raises(IdentityError) as error:
        parse_id_number(raw)
    assert error.value.field == "id_number" and error.value.message.startswith(message)


def test_a_number_issued_with_the_new_county_code_to_someone_born_before_1999_is_valid():
    # 清涧县 is 612731 before 1999 and 610830 after; stdnum's own validate() would refuse this real pattern.
    assert parse_id_number("610830196003030110").birth_date.year == 1960


def test_credit_codes_are_checked():
    assert parse_credit_code("91610830ma7qj0001j") == "91610830MA7QJ0001J"
    with pytest.raises(IdentityError, match="统一社会信用代码：校验位不正确"):
        parse_credit_code("91610830MA7QJ0001K")
    with pytest.raises(IdentityError, match="统一社会信用代码：应为 18 位"):
        parse_credit_code("91610830MA7QJ")


@pytest.mark.parametrize("raw", ["13800000001", "+86 138-0000-0001"])
def test_mobiles_are_normalised(raw):
    assert parse_mobile(raw) == "13800000001"


@pytest.mark.parametrize("raw", ["12800000001", "1380000000", "0912-1234567"])
def test_invalid_mobiles_are_refused(raw):
    with pytest.raises(IdentityError, match="手机号码："):
        parse_mobile(raw)


def test_names_allow_minority_name_dots_and_refuse_digits():
    assert parse_person_name("阿依古丽·买买提") == "阿依古丽·买买提"
    with pytest.raises(IdentityError, match="姓名："):
        parse_person_name("张3")
