from datetime import date
from pathlib import Path

import pytest

from tests.policies.domain.elements import DICTIONARY, cond
from yijianshi.policies.domain.rules import (
    MAX_DEPTH, AllOf, Condition, NotOf, Param, RuleError, elements_from_records, fill, load_dictionary, parse,
    validate,
)

AGE_80 = cond("person.birth_date", "ge", {"param": "min_age"}, measure="age", met="年满{min_age}周岁",
              not_met="未满{min_age}周岁")
MIN_AGE = {"min_age": [{"from": date(2025, 1, 1), "value": 80}, {"from": "2027-01-01", "value": 75}]}


def messages(rule, params=None, **kwargs):
    return [str(issue) for issue in validate(rule, params or {}, DICTIONARY, **kwargs)]


def test_a_valid_rule_becomes_a_typed_tree_with_dated_parameters():
    rule, params = parse({"all": [AGE_80, {"not": cond("person.disabled", "is_true")}]}, MIN_AGE, DICTIONARY)
    assert isinstance(rule, AllOf) and isinstance(rule.children[1], NotOf)
    age = rule.children[0]
    assert isinstance(age, Condition) and age.measure == "age" and age.value == Param("min_age")
    assert age.path == "$.all[0]" and age.element_name == "出生日期"
    assert params.value("min_age", date(2026, 12, 31)) == 80
    assert params.value("min_age", date(2027, 1, 1)) == 75


def test_values_written_as_text_in_json_are_read_as_the_element_type():
    rule, params = parse(
        {"any": [cond("rsj.graduation_date", "between", ["2025-01-01", {"param": "until"}]),
                 cond("enterprise.layoff_rate", "le", 5.5), cond("enterprise.layoff_rate", "in", [1, "2.5"])]},
        {"until": [{"from": "2025-01-01", "value": "2025-12-31"}]}, DICTIONARY)
    assert rule.children[0].value == (date(2025, 1, 1), Param("until"))
    assert params.value("until", date(2025, 6, 1)) == date(2025, 12, 31)
    assert rule.children[2].value == (1.0, 2.5)


def test_an_unknown_element_is_named_with_the_path_to_its_node():
    assert messages({"all": [AGE_80, {"any": [cond("person.shoe_size", "gt", 40)]}]}, MIN_AGE) == [
        "$.all[1].any[0].element：未知数据元“person.shoe_size”，请先在数据元目录中登记"]


@pytest.mark.parametrize("condition, expected", [
    (cond("person.town", "gt", "宽州镇"), "“所在镇”（选项）不能使用运算符“gt”"),
    (cond("person.disabled", "eq", True), "“是否持证残疾人”（是/否）不能使用运算符“eq”"),
    (cond("person.residence_address", "eq", "宽州镇"), "只能判断 exists / missing"),
    (cond("person.id_number", "eq", "x"), "公民身份号码只能以 measure: age 计算年龄"),
    (cond("person.children", "ge", 1, measure="age"), "“子女数”是整数，不能计算周岁（须为日期或公民身份号码）"),
    (cond("person.id_number", "ge", 1, measure="months_since"), "不能计算距今整月数（须为日期）"),
    (cond("person.birth_date", "exists", measure="age"), "exists / missing 判断的是数据元本身"),
    (cond("person.town", "eq", "北京"), "“北京”不是“所在镇”的可选值"),
    (cond("person.children", "ge", "两个"), "取值“两个”应为整数"),
    (cond("person.birth_date", "lt", "去年"), "应为日期"),
    (cond("person.children", "between", [5, 1]), "下限5大于上限1"),
    (cond("person.children", "between", [1]), "between 的取值应为 [下限, 上限]"),
    (cond("person.town", "in", []), "应为非空列表"),
    (cond("person.disabled", "is_true", True), "运算符“is_true”不带取值"),
    (cond("person.children", "ge"), "运算符“ge”须给出取值"),
    (cond("person.children", "approx", 1), "未知运算符“approx”"),
    (cond("person.birth_date", "ge", 1, measure="lunar_age"), "未知派生量“lunar_age”"),
])
def test_operator_value_and_type_mismatches_are_reported(condition, expected):
    problems = messages({"all": [condition]})
    assert len(problems) == 1 and problems[0].startswith("$.all[0]") and expected in problems[0], problems


def test_missing_wording_typos_and_unknown_placeholders_are_reported():
    problems = messages({"all": [
        {"element": "person.disabled", "op": "is_true", "met": "是残疾人"},
        {"element": "person.disabled", "op": "is_true", "met": "是", "not_meet": "否", "not_met": "否"},
        cond("person.children", "ge", 1, met="至少{minimum}个子女"),
    ]})
    assert problems == [
        "$.all[0].not_met：缺少中文表述（met 为满足时、not_met 为不满足时的说明）",
        "$.all[1]：未知字段：not_meet",
        "$.all[2].met：表述中的占位符“{minimum}”既不是已声明的参数，也不是 {value} / {actual}",
    ]


def test_parameters_must_be_declared_typed_consistently_and_in_force_from_the_first_day():
    problems = messages(
        {"all": [cond("person.children", "ge", {"param": "n"}), cond("person.town", "eq", {"param": "n"}),
                 cond("person.children", "le", {"param": "undeclared"})]},
        {"n": [{"from": "2026-01-01", "value": 2}], "bad name": [{"from": "2026-01-01", "value": 1}]},
        effective_from=date(2025, 1, 1))
    assert "parameters.bad name：参数名只能由小写字母、数字和下划线组成，以字母开头（value、actual 为保留字）" in problems
    assert any(p.startswith("$.all[1].value：参数“n”在 $.all[0].value 处按另一种类型使用过") for p in problems)
    assert "$.all[2].value：引用了未声明的参数“undeclared”" in problems
    assert "parameters.n：政策自2025年1月1日起施行，该参数在2026年1月1日之前没有取值" in problems


def test_a_parameter_value_of_the_wrong_type_is_reported_for_its_period():
    problems = messages({"all": [cond("person.town", "in", {"param": "towns"})]},
                        {"towns": [{"from": "2025-01-01", "value": ["宽州镇"]},
                                   {"from": "2026-01-01", "value": ["宽州镇", "上海"]},
                                   {"from": "2026-01-01", "value": ["宽州镇"]}]})
    assert problems == ["parameters.towns：同一生效日期出现了两个取值",
                        "parameters.towns[1].value[1]：“上海”不是“所在镇”的可选值（宽州镇、石咀驿镇、折家坪镇、县外）"]


def test_rules_deeper_than_the_limit_are_refused():
    node = cond("person.disabled", "is_true")
    for _ in range(MAX_DEPTH):
        node = {"not": node}
    problems = messages(node)
    assert len(problems) == 1 and f"规则嵌套超过 {MAX_DEPTH} 层" in problems[0]
    assert problems[0].startswith("$" + ".not" * MAX_DEPTH)


def test_malformed_nodes_are_reported():
    assert messages({"all": [], "any": []}) == ["$：一个节点只能是 all、any、not 之一"]
    assert messages({"all": []}) == ["$.all：应列出至少一个子条件"]
    assert messages({"any": ["person.disabled"]}) == ["$.any[0]：节点应为映射：all / any / not 组合，或含 element 的条件"]
    assert messages({"op": "eq"}) == ["$：节点应为 all / any / not 组合，或含 element 的条件"]


def test_a_policy_for_enterprises_cannot_look_at_persons_and_vice_versa():
    assert messages(cond("person.disabled", "is_true"), target="enterprise") == [
        "$.element：面向企业的政策只能引用企业数据元（enterprise.*），“person.disabled”不是"]
    assert messages(cond("enterprise.employee_count", "ge", 1), target="person") == [
        "$.element：面向个人的政策不能引用企业数据元“enterprise.employee_count”"]


def test_parse_raises_with_every_problem():
    with pytest.raises(RuleError) as error:
        parse({"all": [cond("x.y", "eq", 1), cond("person.town", "eq", "北京")]}, {}, DICTIONARY)
    assert len(error.value.errors) == 2 and "未知数据元" in str(error.value)


def test_wording_is_filled_by_substitution_only():
    assert fill("年满{min_age}周岁，{0.__class__}{unknown}", {"min_age": 80}) == "年满80周岁，{0.__class__}{unknown}"
    assert fill("{d}起，{towns}，{rate}%，{big}，{whole}", {"d": date(2027, 1, 1), "towns": ("宽州镇", "县外"),
                                                      "rate": 5.5, "big": 123456.5, "whole": 20.0}) == \
        "2027年1月1日起，宽州镇、县外，5.5%，123456.5，20"


def test_the_dictionary_reads_a_directory_of_catalog_files(tmp_path: Path):
    (tmp_path / "a.yaml").write_text(
        "data_elements:\n  - {code: person.town, name: 所在镇, type: enum, validation: {choices: [宽州镇]}}\n",
        encoding="utf-8")
    (tmp_path / "b.yaml").write_text("data_elements:\n  - {code: person.veteran, name: 是否退役军人, type: boolean}\n",
                                     encoding="utf-8")
    dictionary = load_dictionary(tmp_path)
    assert dictionary["person.town"].choices == ("宽州镇",) and dictionary["person.town"].name == "所在镇"
    assert dictionary["person.veteran"].type == "boolean"
    assert elements_from_records([{"code": "x.y", "name": "X", "type": "integer"}])["x.y"].choices == ()
