"""The merged form's values checked against the data-element dictionary, in plain Python."""

from yijianshi.cases.domain.forms import Authoritative, FieldRule, clean_form, lock_authoritative

RULES = [
    FieldRule("child.name", "子女姓名", "string", True, {"max_length": 5}),
    FieldRule("child.gender", "子女性别", "enum", True, {"choices": ["男", "女"]}),
    FieldRule("child.birth_date", "子女出生日期", "date", True),
    FieldRule("person.id_number", "公民身份号码", "id_number", True),
    FieldRule("person.mobile", "手机号码", "phone", False),
    FieldRule("wjj.existing_children", "现有子女数", "integer", False, {"min": 0, "max": 20}),
    FieldRule("house.transaction_price", "成交价格（元）", "decimal", False, {"min": 0}),
    FieldRule("enterprise.credit_code", "统一社会信用代码", "credit_code", False),
]
GOOD = {"child.name": "张小宝", "child.gender": "男", "child.birth_date": "2026-11-20",
        "person.id_number": "61083019850315002x", "person.mobile": "138 0000 0001", "wjj.existing_children": "1",
        "house.transaction_price": "560000.50", "enterprise.credit_code": "91610830MA7QJ0001J"}


def test_good_values_are_cleaned_and_normalised():
    clean, errors = clean_form(RULES, GOOD)
    assert errors == {}
    assert clean["person.id_number"] == "61083019850315002X" and clean["person.mobile"] == "13800000001"
    assert clean["wjj.existing_children"] == 1 and clean["house.transaction_price"] == "560000.50"


def test_every_problem_is_named_by_its_field_label():
    bad = {**GOOD, "child.name": "张小宝宝宝宝", "child.gender": "未知", "child.birth_date": "2026年11月20日",
           "person.id_number": "610830198503150023", "person.mobile": "12345", "wjj.existing_children": "-1",
           "house.transaction_price": "五十万", "enterprise.credit_code": "91610830MA7QJ0001K"}
    _, errors = clean_form(RULES, bad)
    assert errors == {
        "child.name": "子女姓名：不能超过 5 个字",
        "child.gender": "子女性别：请从给定选项中选择",
        "child.birth_date": "子女出生日期：应为日期，如 2026-11-30",
        "person.id_number": "公民身份号码：校验位不正确，请核对最后一位",
        "person.mobile": "手机号码：应为 11 位手机号码",
        "wjj.existing_children": "现有子女数：不能小于 0",
        "house.transaction_price": "成交价格（元）：应为数字",
        "enterprise.credit_code": "统一社会信用代码：校验位不正确，请核对最后一位",
    }


def test_missing_required_fields_are_named_and_optional_ones_skipped():
    _, errors = clean_form(RULES, {"person.mobile": ""})
    assert set(errors) == {"child.name", "child.gender", "child.birth_date", "person.id_number"}
    assert errors["child.name"] == "子女姓名：必填"


def test_keys_the_form_does_not_have_are_dropped():
    clean, _ = clean_form(RULES, {**GOOD, "is_admin": True})
    assert "is_admin" not in clean


# --- 一数一源 -----------------------------------------------------------------------------------------------

def _id_rule():
    return FieldRule("person.id_number", "公民身份号码", "id_number", True)


def test_an_authoritative_value_fills_a_blank_field_and_an_equal_one_passes():
    held = {"person.id_number": Authoritative("61083019850315002X", "县公安局")}
    merged, errors = lock_authoritative([_id_rule()], {}, held)
    assert merged == {"person.id_number": "61083019850315002X"} and errors == {}
    merged, errors = lock_authoritative([_id_rule()], {"person.id_number": " 61083019850315002x"}, held)
    assert errors == {} and merged["person.id_number"] == "61083019850315002X"


def test_a_submitted_value_cannot_overwrite_the_record_and_the_message_does_not_repeat_it():
    held = {"person.id_number": Authoritative("61083019850315002X", "县公安局")}
    merged, errors = lock_authoritative([_id_rule()], {"person.id_number": "610830198001010018"}, held)
    assert errors == {"person.id_number": "公民身份号码：与县公安局登记的信息不一致，以登记信息为准，不能修改"}
    assert merged["person.id_number"] == "61083019850315002X"
    assert "61083019850315002X" not in errors["person.id_number"]


def test_elements_without_a_held_value_are_left_to_the_applicant():
    rules = [_id_rule(), FieldRule("person.mobile", "手机号码", "phone", True)]
    merged, errors = lock_authoritative(rules, {"person.mobile": "13800000001"},
                                        {"person.id_number": Authoritative("", "县公安局")})
    assert merged == {"person.mobile": "13800000001"} and errors == {}
