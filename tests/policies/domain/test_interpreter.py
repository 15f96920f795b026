from datetime import date, datetime
from decimal import Decimal

import pytest

from tests.policies.domain.elements import DICTIONARY, cond
from yijianshi.policies.domain.interpreter import explain, whole_months, whole_years
from yijianshi.policies.domain.rules import ParameterError, parse

ON = date(2026, 11, 30)
T, F, U = True, False, None


def decide(rule, subject, on=ON, params=None):
    node, parameters = parse(rule, params or {}, DICTIONARY)
    return explain(node, parameters, subject, on)


@pytest.mark.parametrize("condition, value, expected", [
    (cond("person.children", "eq", 2), 2, T), (cond("person.children", "eq", 2), 3, F),
    (cond("person.children", "ne", 2), 3, T), (cond("person.children", "ne", 2), 2, F),
    (cond("person.children", "lt", 2), 1, T), (cond("person.children", "lt", 2), 2, F),
    (cond("person.children", "le", 2), 2, T), (cond("person.children", "le", 2), 3, F),
    (cond("person.children", "gt", 2), 3, T), (cond("person.children", "gt", 2), 2, F),
    (cond("person.children", "ge", 2), 2, T), (cond("person.children", "ge", 2), 1, F),
    # between is inclusive at both ends
    (cond("person.children", "between", [1, 3]), 1, T), (cond("person.children", "between", [1, 3]), 3, T),
    (cond("person.children", "between", [1, 3]), 0, F), (cond("person.children", "between", [1, 3]), 4, F),
    (cond("person.town", "in", ["宽州镇", "县外"]), "县外", T), (cond("person.town", "in", ["宽州镇"]), "县外", F),
    (cond("person.town", "not_in", ["宽州镇"]), "县外", T), (cond("person.town", "not_in", ["县外"]), "县外", F),
    (cond("person.disabled", "is_true"), True, T), (cond("person.disabled", "is_true"), False, F),
    (cond("person.disabled", "is_false"), False, T), (cond("person.disabled", "is_false"), True, F),
    (cond("person.name", "eq", "张三"), "张三", T), (cond("person.name", "ne", "张三"), "李四", T),
    (cond("enterprise.layoff_rate", "le", 5.5), Decimal("5.5"), T),
    (cond("enterprise.layoff_rate", "le", 5.5), "5.50001", F),
    (cond("rsj.graduation_date", "ge", "2025-07-01"), "2025-07-01", T),
    (cond("rsj.graduation_date", "lt", "2025-07-01"), datetime(2025, 6, 30, 23, 59), T),
])
def test_each_operator_is_true_or_false_on_a_value_and_unknown_without_one(condition, value, expected):
    code = condition["element"]
    assert decide(condition, {code: value}).result is expected
    assert decide(condition, {}).result is None
    assert decide(condition, {code: None}).result is None


def test_exists_and_missing_are_never_unknown():
    assert decide(cond("person.residence_address", "exists"), {"person.residence_address": "宽州镇"}).result is True
    assert decide(cond("person.residence_address", "exists"), {}).result is False
    assert decide(cond("person.residence_address", "missing"), {}).result is True
    # an unreadable value counts as missing, as it does in the compiled evaluation
    assert decide(cond("person.children", "missing"), {"person.children": "两个"}).result is True


@pytest.mark.parametrize("a, b, all_, any_", [
    (T, T, T, T), (T, F, F, T), (T, U, U, T), (F, F, F, F), (F, U, F, U), (U, U, U, U),
])
def test_all_any_and_not_follow_kleene_logic(a, b, all_, any_):
    def subject(x, y):
        return {k: v for k, v in (("person.disabled", x), ("person.low_income", y)) if v is not None}
    pair = [cond("person.disabled", "is_true"), cond("person.low_income", "is_true")]
    for x, y in ((a, b), (b, a)):
        assert decide({"all": pair}, subject(x, y)).result is all_
        assert decide({"any": pair}, subject(x, y)).result is any_
    assert decide({"not": pair[0]}, subject(a, b)).result is (None if a is None else not a)


@pytest.mark.parametrize("born, on, age", [
    (date(1946, 11, 30), date(2026, 11, 30), 80),   # birthday today: reached
    (date(1946, 12, 1), date(2026, 11, 30), 79),    # birthday tomorrow: not yet
    (date(1944, 2, 29), date(2026, 2, 28), 81),     # 29 February: not yet on 28 February of a common year
    (date(1944, 2, 29), date(2026, 3, 1), 82),      # ... reached on 1 March
    (date(1944, 2, 29), date(2028, 2, 29), 84),     # ... and on the day itself in a leap year
    (date(2000, 3, 1), date(2024, 2, 29), 23),
])
def test_age_counts_whole_years_from_the_birthday(born, on, age):
    assert whole_years(born, on) == age
    rule = cond("person.birth_date", "ge", age, measure="age")
    assert decide(rule, {"person.birth_date": born}, on).result is True
    assert decide(cond("person.birth_date", "ge", age + 1, measure="age"), {"person.birth_date": born}, on).result \
        is False


def test_age_is_read_from_the_id_number_and_a_malformed_one_is_unknown():
    rule = cond("person.id_number", "ge", 80, measure="age", met="年满80周岁", not_met="未满80周岁")
    assert decide(rule, {"person.id_number": "61083019461130001x"}).result is True
    assert decide(rule, {"person.id_number": "610830194612010011"}).result is False
    for bad in ("610830194602300011", "61083019461130001", "6108301946113000AX", "010830194611300011"):
        decision = decide(rule, {"person.id_number": bad})
        assert decision.result is None and decision.questions == ("请提供您的公民身份号码",)


def test_months_and_days_are_counted_at_the_evaluation_date():
    assert whole_months(date(2026, 1, 31), date(2026, 2, 28)) == 0  # a month completes on the same day of month
    assert whole_months(date(2026, 1, 31), date(2026, 3, 1)) == 1
    assert whole_months(date(2024, 11, 30), date(2026, 11, 30)) == 24
    discharged = {"rsj.graduation_date": date(2025, 11, 30)}
    assert decide(cond("rsj.graduation_date", "eq", 12, measure="months_since"), discharged).result is True
    assert decide(cond("rsj.graduation_date", "eq", 365, measure="days_since"), discharged).result is True
    assert decide(cond("rsj.graduation_date", "eq", -365, measure="days_until"), discharged).result is True
    assert decide(cond("rsj.graduation_date", "eq", 1, measure="years_since"), discharged).result is True


def test_the_parameter_in_force_at_the_evaluation_date_is_used_and_named_in_the_wording():
    rule = cond("person.birth_date", "ge", {"param": "min_age"}, measure="age",
                met="年满{min_age}周岁", not_met="未满{min_age}周岁（现{actual}周岁）")
    params = {"min_age": [{"from": "2025-01-01", "value": 80}, {"from": "2027-01-01", "value": 75}]}
    subject = {"person.birth_date": date(1950, 6, 1)}
    before = decide(rule, subject, date(2026, 12, 31), params)
    after = decide(rule, subject, date(2027, 1, 1), params)
    assert before.result is False and before.trace[0].text == "未满80周岁（现76周岁）"
    assert after.result is True and after.trace[0].text == "年满75周岁"
    with pytest.raises(ParameterError, match="min_age"):
        decide(rule, subject, date(2024, 12, 31), params)


def test_the_trace_reads_each_node_in_order_with_its_wording():
    rule = {"all": [
        cond("person.town", "in", ["宽州镇", "折家坪镇"], met="居住在{value}（{actual}）", not_met="不住在{value}"),
        {"any": [cond("person.disabled", "is_true", met="是持证残疾人", not_met="不是持证残疾人"),
                 cond("person.children", "between", [2, 3], met="子女{value}个", not_met="子女不是{value}个")],
         "label": "残疾人或多子女家庭"},
        {"not": cond("person.low_income", "is_true", met="是低保对象", not_met="不是低保对象")},
    ]}
    decision = decide(rule, {"person.town": "折家坪镇", "person.disabled": False, "person.children": 3})
    assert decision.result is None
    assert [(s.depth, s.kind, s.result, s.text) for s in decision.trace] == [
        (0, "all", None, "同时满足以下全部条件"),
        (1, "condition", True, "居住在宽州镇、折家坪镇（折家坪镇）"),
        (1, "any", True, "残疾人或多子女家庭"),
        (2, "condition", False, "不是持证残疾人"),
        (2, "condition", True, "子女2至3个"),
        (1, "not", None, "不属于以下情形"),
        (2, "condition", None, "待核实：是低保对象（尚缺“是否城乡最低生活保障对象”信息）"),
    ]
    assert decision.trace[1].element == "person.town" and decision.trace[1].actual == "折家坪镇"
    assert decision.questions == ("您是否城乡最低生活保障对象？",)
    assert decision.unknown_elements == ("person.low_income",)


def test_only_the_unknowns_that_still_decide_the_outcome_become_questions():
    rule = {"all": [cond("person.disabled", "is_true"),
                    cond("person.low_income", "is_true", ask="您家是否享受低保？"),
                    cond("person.children", "ge", 1)]}
    # not disabled: ineligible whatever the rest says, so nothing is asked
    assert decide(rule, {"person.disabled": False}).questions == ()
    decision = decide(rule, {"person.disabled": True})
    assert decision.result is None
    assert decision.questions == ("您家是否享受低保？", "请提供您的子女数")
    # in an `any`, one TRUE child settles it
    assert decide({"any": rule["all"]}, {"person.disabled": True}).questions == ()


def test_default_questions_address_the_subject():
    assert decide(cond("enterprise.serious_dishonesty", "is_false"), {}).questions == (
        "贵单位是否列入严重失信主体名单？",)
    assert decide(cond("enterprise.employee_count", "ge", 10), {}).questions == ("请提供贵单位的从业人数",)
    same_element_twice = {"all": [cond("person.children", "ge", 1), cond("person.children", "le", 3)]}
    assert decide(same_element_twice, {}).questions == ("请提供您的子女数",)
