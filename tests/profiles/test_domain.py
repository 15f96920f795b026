"""The plain-Python rules of the profiles (no database): reading feed files, checking values and effective dates, and
showing values masked."""

from datetime import date

import pytest

from yijianshi.profiles import domain
from yijianshi.profiles.domain import ElementRule, FeedFormatError

TODAY = date(2026, 11, 30)
LEVEL = ElementRule("cl.disability_level", "残疾等级", "enum", {"choices": ["一级", "二级", "三级", "四级"]})
CAPITAL = ElementRule("enterprise.registered_capital", "注册资本（万元）", "decimal", {"min": 0})


def test_csv_rows_carry_their_file_line_numbers_and_blank_lines_are_skipped():
    text = ('subject,name,element,value,effective_date\n'
            '610830194001010096,张桂兰,cl.disability_level,二级,2024-01-01\n'
            '\n'
            '610830194001010096,张桂兰,person.hukou_address,"宽州镇\n秀延路 12 号",2024-01-01\n'
            '91610830MA7QJ0001J,,enterprise.registered_capital,500,2023-06-15\n')
    rows = list(domain.parse_feed(text, "csv"))
    assert [r.line for r in rows] == [2, 5, 6]  # a quoted value spanning two lines ends on line 5
    assert rows[1].value == "宽州镇\n秀延路 12 号" and rows[2].name == ""


def test_columns_may_come_in_any_order_and_under_chinese_names():
    text = "生效日期,值,数据元,主体标识\n2024-01-01,二级,cl.disability_level,610830194001010096\n"
    (row,) = domain.parse_feed(text, "csv")
    assert (row.subject, row.element, row.value, row.effective_date, row.name) == (
        "610830194001010096", "cl.disability_level", "二级", "2024-01-01", "")


@pytest.mark.parametrize("text, fmt, message", [
    ("subject,element,value\n", "csv", "表头：缺少列 生效日期（effective_date）"),
    ("subject,subject,element,value,effective_date\n", "csv", "出现了两次"),
    ("", "csv", "文件是空的"),
    ('{"rows": 5}', "json", "应为 {\"rows\": [...]}"),
    ('{"rows": [', "json", "JSON 格式错误"),
    ("a", "xlsx", "只支持 CSV 或 JSON"),
])
def test_a_file_that_cannot_be_read_says_why(text, fmt, message):
    with pytest.raises(FeedFormatError) as failed:
        list(domain.parse_feed(text, fmt))
    assert message in failed.value.message


def test_json_rows_are_numbered_from_one_and_keep_their_types():
    rows = list(domain.parse_feed('[{"subject": "x", "element": "e", "value": 500, "effective_date": "2024-01-01"}, 7]',
                                  "json"))
    assert (rows[0].line, rows[0].value) == (1, 500) and (rows[1].line, rows[1].subject) == (2, "")


def test_files_from_excel_in_gbk_and_utf8_with_bom_are_decoded():
    assert domain.decode("主体标识".encode("gb18030")) == "主体标识"
    assert domain.decode("\ufeffsubject".encode("utf-8")) == "subject"
    with pytest.raises(FeedFormatError, match="文件编码无法识别"):
        domain.decode(b"\xff\xfe\x00\x00\x81")


@pytest.mark.parametrize("rule, raw, clean, problem", [
    (LEVEL, "二级", "二级", ""),
    (LEVEL, "2级", None, "残疾等级：请从给定选项中选择（一级、二级、三级、四级）"),
    (CAPITAL, "500.00", "500", ""),
    (CAPITAL, 1e2, "100", ""),
    (CAPITAL, "-1", None, "注册资本（万元）：不能小于 0"),
    (CAPITAL, "五百", None, "注册资本（万元）：应为数字"),
    (ElementRule("x", "社会保障号码", "id_number", {}), "610830194001010096", "610830194001010096", ""),
    (ElementRule("x", "出生日期", "date", {}), "2024-02-30", None, "出生日期：应为日期，如 2026-11-30"),
])
def test_values_are_checked_by_the_catalogs_rules(rule, raw, clean, problem):
    assert domain.check_value(rule, raw) == (clean, problem)


@pytest.mark.parametrize("raw, expected", [
    ("2024-03-01", (date(2024, 3, 1), "")),
    ("", (None, "生效日期：必填，格式 YYYY-MM-DD")),
    ("2024/03/01", (None, "生效日期：应为 YYYY-MM-DD 格式的日期，如 2024-03-01")),
    ("20240301", (None, "生效日期：应为 YYYY-MM-DD 格式的日期，如 2024-03-01")),
    ("2026-12-01", (None, "生效日期：不能晚于导入当天")),
    ("1899-12-31", (None, "生效日期：早于 1900 年，请核对")),
])
def test_the_effective_date(raw, expected):
    assert domain.check_effective_date(raw, today=TODAY) == expected


def test_values_are_shown_masked_where_they_are_personal_numbers():
    assert domain.display_value("610830194001010096", mask="id_number") == "610830********0096"
    assert domain.display_value("13800000001", mask="mobile") == "138****0001"
    assert domain.display_value("马丽", mask="name") == "马*"
    assert domain.display_value(True) == "是"
    assert domain.display_value("联系人电话 13800000001") == "联系人电话 138****0001"
    assert domain.mask_evidence("残疾人证 61083019400101009642") == "残疾人证 610830********009642"
    assert domain.mask_evidence("QJ20260301000001") == "QJ20260301000001"
    assert domain.mask_subject("610830194001010096") == "610830********0096"
    assert domain.mask_subject("91610830MA7QJ0001J") == "91610830MA7QJ0001J"
