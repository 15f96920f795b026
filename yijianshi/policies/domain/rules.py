"""Eligibility rules (资格规则) as data: the rule model, dated parameters, value coercion and the validator.

A rule is a tree read from JSON/YAML, never evaluated code:

    {all: [node, ...], label: ...}     every child TRUE            (Kleene AND)
    {any: [node, ...], label: ...}     at least one child TRUE     (Kleene OR)
    {not: node, label: ...}            the child FALSE             (Kleene NOT)
    {element: person.birth_date, measure: age, op: ge, value: {param: min_age},
     met: 年满{min_age}周岁, not_met: 未满{min_age}周岁（现{actual}周岁）, ask: 请提供您的出生日期}

`measure` (optional) derives a whole number from a date element at the evaluation date: age / years_since (whole
years, the anniversary counts from its day; a 29 February anniversary falls on 1 March in common years),
months_since (whole months, a month is complete on the same day of the month), days_since, days_until. `age` also
reads the birth date out of an 18-digit ID number. Operators: eq ne lt le gt ge, between [low, high] (inclusive at
both ends), in / not_in (a list), is_true / is_false (booleans), exists / missing (any element).

Three-valued logic: a condition over a missing value is UNKNOWN (None) except exists / missing, which look at the
missingness itself; all / any / not follow Kleene logic; a policy matches only when its rule is TRUE.

Parameters are named values with dated versions, `{min_age: [{from: 2025-01-01, value: 80}, ...]}`; the version
with the latest `from` on or before the evaluation date is in force. Wording placeholders `{name}` are filled with
a parameter in force, `{value}` (the condition's value) or `{actual}` (the subject's value).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Union

import yaml

# --- the data-element dictionary --------------------------------------------------------------------------------

DATE, INTEGER, DECIMAL, BOOLEAN, ENUM, STRING = "date", "integer", "decimal", "boolean", "enum", "string"
ID_NUMBER = "id_number"
# Free-form types a rule may only test for presence: their values have no meaning to compare.
PRESENCE_ONLY = ("text", "address", "phone", "credit_code")
ELEMENT_TYPES = (DATE, INTEGER, DECIMAL, BOOLEAN, ENUM, STRING, ID_NUMBER, *PRESENCE_ONLY)
TYPE_NAMES = {DATE: "日期", INTEGER: "整数", DECIMAL: "数字", BOOLEAN: "是/否", ENUM: "选项", STRING: "文字",
              ID_NUMBER: "公民身份号码", "text": "长文本", "address": "地址", "phone": "手机号码",
              "credit_code": "统一社会信用代码"}


@dataclass(frozen=True)
class Element:
    code: str
    name: str
    type: str
    choices: tuple[str, ...] = ()


def elements_from_records(records: Iterable[Mapping]) -> dict[str, Element]:
    """Catalog records ({code, name, type, validation: {choices}}) → dictionary. The catalog's loader rejects a code
    defined twice, so there is nothing to choose between here."""
    return {record["code"]: Element(record["code"], record["name"], record["type"],
                                    tuple(str(c) for c in (record.get("validation") or {}).get("choices") or ()))
            for record in records}


def load_dictionary(*paths: Path) -> dict[str, Element]:
    """Read `data_elements:` lists from YAML files or directories of them, in the order given."""
    records: list[Mapping] = []
    for path in paths:
        files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
        for file in files:
            content = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
            records.extend(content.get("data_elements") or [])
    return elements_from_records(records)


# --- values -----------------------------------------------------------------------------------------------------

def coerce(value: Any, type_: str) -> Any:
    """A profile value as the engine compares it, or None when missing or unreadable.

    The interpreter and the frame builder both go through here, so the two evaluations see the same values.
    Decimals become floats: thresholds are rates and amounts in yuan, where double precision is exact enough, and a
    float column is what the vectorised evaluation compares."""
    if value is None:
        return None
    if type_ == DATE:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip()[:10])
            except ValueError:
                return None
        return None
    if type_ == INTEGER:
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return int(value)
        return None
    if type_ == DECIMAL:
        if isinstance(value, bool):
            return None
        if isinstance(value, (int, float, Decimal)):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                return None
        else:
            return None
        return None if math.isnan(number) else number
    if type_ == BOOLEAN:
        return value if isinstance(value, bool) else None
    if type_ == ID_NUMBER:
        return value.strip().upper() if isinstance(value, str) else None
    return value if isinstance(value, str) else None


# Mainland 18-digit ID number; the birth date is digits 7–14. Both evaluations accept exactly these.
ID_NUMBER_PATTERN = r"^[1-9]\d{5}(18|19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}[0-9Xx]$"
_ID_NUMBER = re.compile(ID_NUMBER_PATTERN)


def birth_date_from_id(id_number: str) -> date | None:
    if not _ID_NUMBER.match(id_number):
        return None
    try:
        return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:  # 30 February and the like
        return None


def format_value(value: Any) -> str:
    """A value as it reads in Chinese wording."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, (list, tuple)):
        return "、".join(format_value(v) for v in value)
    return str(value)


# --- the rule model ---------------------------------------------------------------------------------------------

OPERATORS = {  # code → wording for the editor
    "eq": "等于", "ne": "不等于", "lt": "小于", "le": "小于等于", "gt": "大于", "ge": "大于等于",
    "between": "介于（含两端）", "in": "属于其一", "not_in": "不属于其中任何一项",
    "is_true": "为“是”", "is_false": "为“否”", "exists": "有值", "missing": "无值",
}
MEASURES = {"age": "周岁", "years_since": "距今整年数", "months_since": "距今整月数",
            "days_since": "距今天数", "days_until": "距该日期天数"}
ORDERED = ("eq", "ne", "lt", "le", "gt", "ge", "between", "in", "not_in")
# Which operators each (measured) value type accepts.
OPERATORS_BY_TYPE = {
    DATE: ORDERED, INTEGER: ORDERED, DECIMAL: ORDERED,
    ENUM: ("eq", "ne", "in", "not_in"), STRING: ("eq", "ne", "in", "not_in"),
    BOOLEAN: ("is_true", "is_false"),
}
PRESENCE = ("exists", "missing")
MAX_DEPTH = 8
MAX_CONDITIONS = 200


@dataclass(frozen=True)
class Param:
    name: str


Operand = Union[Any, Param]  # a literal (already coerced) or a parameter reference


@dataclass(frozen=True)
class Condition:
    path: str
    element: str
    element_name: str
    element_type: str     # the element's type in the dictionary
    measure: str | None
    op: str
    value: Any            # Operand; (low, high) for between; a tuple or a Param for in / not_in; None for unary ops
    met: str
    not_met: str
    ask: str = ""

    @property
    def value_type(self) -> str:
        """The type the operator compares: a measure yields whole numbers."""
        return INTEGER if self.measure else self.element_type


@dataclass(frozen=True)
class AllOf:
    path: str
    children: tuple
    label: str = ""


@dataclass(frozen=True)
class AnyOf:
    path: str
    children: tuple
    label: str = ""


@dataclass(frozen=True)
class NotOf:
    path: str
    child: Any
    label: str = ""


Node = Union[Condition, AllOf, AnyOf, NotOf]


def conditions(node: Node) -> Iterable[Condition]:
    if isinstance(node, Condition):
        yield node
    elif isinstance(node, NotOf):
        yield from conditions(node.child)
    else:
        for child in node.children:
            yield from conditions(child)


def elements_used(node: Node) -> set[str]:
    return {c.element for c in conditions(node)}


# --- parameters -------------------------------------------------------------------------------------------------

class ParameterError(LookupError):
    """A parameter the rule needs has no value in force at the evaluation date."""


@dataclass(frozen=True)
class Parameters:
    # name → ((from, value), ...) sorted by `from`
    versions: Mapping[str, tuple[tuple[date, Any], ...]]

    def value(self, name: str, on: date) -> Any:
        in_force = [v for start, v in self.versions.get(name, ()) if start <= on]
        if not in_force:
            raise ParameterError(f"参数“{name}”在{format_value(on)}没有生效的取值")
        return in_force[-1]

    def at(self, on: date) -> dict[str, Any]:
        """Every parameter in force at `on` (those not yet in force are left out)."""
        values = {}
        for name, versions in self.versions.items():
            in_force = [v for start, v in versions if start <= on]
            if in_force:
                values[name] = in_force[-1]
        return values

    def change_dates(self) -> list[date]:
        return sorted({start for versions in self.versions.values() for start, _ in versions})


NO_PARAMETERS = Parameters({})


def operand_at(condition: Condition, values: Mapping[str, Any]) -> Any:
    """The condition's value with parameters replaced by those in force (`values` is Parameters.at(on))."""
    def resolve(operand):
        if isinstance(operand, Param):
            if operand.name not in values:
                raise ParameterError(f"参数“{operand.name}”在评估日期没有生效的取值（{condition.path}）")
            return values[operand.name]
        return operand
    if condition.op == "between":
        return tuple(resolve(v) for v in condition.value)
    return resolve(condition.value)


# --- the validator ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RuleIssue:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}：{self.message}"


class RuleError(ValueError):
    """The rule or its parameters are invalid; `errors` lists every problem with the path to its node."""

    def __init__(self, errors: list[RuleIssue]):
        self.errors = errors
        super().__init__("；".join(str(e) for e in errors))


PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_PARAM_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_CONDITION_KEYS = {"element", "measure", "op", "value", "met", "not_met", "ask"}
_SPECIALPLACEHOLDERS = ("value", "actual")


def validate(rule_data: Any, parameters_data: Any, dictionary: Mapping[str, Element], **kwargs) -> list[RuleIssue]:
    """Every problem with a rule and its parameters (empty when the rule can be published)."""
    try:
        parse(rule_data, parameters_data, dictionary, **kwargs)
    except RuleError as error:
        return error.errors
    return []


def parse(rule_data: Any, parameters_data: Any, dictionary: Mapping[str, Element], *,
          target: str | None = None, effective_from: date | None = None) -> tuple[Node, Parameters]:
    """Check a rule against the data-element dictionary and build its typed model, or raise RuleError listing every
    problem. `target` (person / enterprise) restricts the elements to the subject's own; `effective_from` requires
    every parameter to have a value in force from the policy's first day."""
    return _Parser(dictionary, parameters_data, target, effective_from).run(rule_data)


class _Parser:
    def __init__(self, dictionary, parameters_data, target, effective_from):
        self.dictionary = dictionary
        self.target = target
        self.effective_from = effective_from
        self.errors: list[RuleIssue] = []
        self.count = 0
        self.raw_params = self._read_parameters(parameters_data)
        self.param_types: dict[str, tuple[str, Element | None, bool, str]] = {}  # name → (type, element, list?, path)

    def run(self, rule_data) -> tuple[Node, Parameters]:
        root = self._node(rule_data, "$", 1)
        parameters = self._typed_parameters()
        if self.errors:
            raise RuleError(self.errors)
        return root, parameters

    def error(self, path: str, message: str) -> None:
        self.errors.append(RuleIssue(path, message))

    # parameters

    def _read_parameters(self, data) -> dict[str, list[tuple[date, Any]]]:
        if data in (None, {}):
            return {}
        if not isinstance(data, Mapping):
            self.error("parameters", "参数表应为“名称: [{from: 日期, value: 取值}, ...]”的映射")
            return {}
        params: dict[str, list[tuple[date, Any]]] = {}
        for name, versions in data.items():
            where = f"parameters.{name}"
            if not isinstance(name, str) or not _PARAM_NAME.match(name) or name in _SPECIALPLACEHOLDERS:
                self.error(where, "参数名只能由小写字母、数字和下划线组成，以字母开头（value、actual 为保留字）")
                continue
            if not isinstance(versions, list) or not versions:
                self.error(where, "参数应列出至少一个带生效日期的取值：[{from: 日期, value: 取值}]")
                continue
            read = []
            for i, version in enumerate(versions):
                if not isinstance(version, Mapping) or set(version) != {"from", "value"}:
                    self.error(f"{where}[{i}]", "每个取值须且只须包含 from（生效日期）和 value（取值）")
                    continue
                start = coerce(version["from"], DATE)
                if start is None:
                    self.error(f"{where}[{i}].from", "生效日期应为日期，如 2026-01-01")
                    continue
                read.append((start, version["value"]))
            starts = [s for s, _ in read]
            if len(set(starts)) != len(starts):
                self.error(where, "同一生效日期出现了两个取值")
            params[name] = sorted(read, key=lambda v: v[0])
        return params

    def _typed_parameters(self) -> Parameters:
        typed = {}
        for name, versions in self.raw_params.items():
            if self.effective_from and versions and versions[0][0] > self.effective_from:
                self.error(f"parameters.{name}", f"政策自{format_value(self.effective_from)}起施行，"
                                                 f"该参数在{format_value(versions[0][0])}之前没有取值")
            if name not in self.param_types:  # used only in wording (e.g. the benefit amount): kept as written
                typed[name] = tuple(versions)
                continue
            type_, element, is_list, _ = self.param_types[name]
            typed[name] = tuple(
                (start, self._literal(raw, type_, element, f"parameters.{name}[{i}].value", is_list))
                for i, (start, raw) in enumerate(versions))
        return Parameters(typed)

    # nodes

    def _node(self, data, path: str, depth: int) -> Node | None:
        if depth > MAX_DEPTH:
            self.error(path, f"规则嵌套超过 {MAX_DEPTH} 层，请简化")
            return None
        if not isinstance(data, Mapping):
            self.error(path, "节点应为映射：all / any / not 组合，或含 element 的条件")
            return None
        kinds = [k for k in ("all", "any", "not") if k in data]
        if len(kinds) > 1:
            self.error(path, "一个节点只能是 all、any、not 之一")
            return None
        if kinds:
            return self._composite(kinds[0], data, path, depth)
        if "element" not in data:
            self.error(path, "节点应为 all / any / not 组合，或含 element 的条件")
            return None
        return self._condition(data, path)

    def _composite(self, kind: str, data, path: str, depth: int) -> Node | None:
        extra = set(data) - {kind, "label"}
        if extra:
            self.error(path, f"未知字段：{'、'.join(sorted(map(str, extra)))}")
        label = self._wording(data.get("label", ""), path + ".label", required=False)
        if kind == "not":
            child = self._node(data["not"], f"{path}.not", depth + 1)
            return NotOf(path, child, label)
        items = data[kind]
        if not isinstance(items, list) or not items:
            self.error(f"{path}.{kind}", "应列出至少一个子条件")
            return None
        children = tuple(self._node(item, f"{path}.{kind}[{i}]", depth + 1) for i, item in enumerate(items))
        return (AllOf if kind == "all" else AnyOf)(path, children, label)

    def _condition(self, data, path: str) -> Condition | None:
        self.count += 1
        if self.count == MAX_CONDITIONS + 1:
            self.error(path, f"条件超过 {MAX_CONDITIONS} 个，请拆分政策")
        extra = set(data) - _CONDITION_KEYS
        if extra:
            self.error(path, f"未知字段：{'、'.join(sorted(map(str, extra)))}")
        code = data.get("element")
        element = self.dictionary.get(code) if isinstance(code, str) else None
        met = self._wording(data.get("met"), path + ".met", required=True)
        not_met = self._wording(data.get("not_met"), path + ".not_met", required=True)
        ask = self._wording(data.get("ask", ""), path + ".ask", required=False)
        if element is None:
            self.error(path + ".element", f"未知数据元“{code}”，请先在数据元目录中登记")
            return None
        if self.target == "enterprise" and not code.startswith("enterprise."):
            self.error(path + ".element", f"面向企业的政策只能引用企业数据元（enterprise.*），“{code}”不是")
        if self.target == "person" and code.startswith("enterprise."):
            self.error(path + ".element", f"面向个人的政策不能引用企业数据元“{code}”")
        op, measure = data.get("op"), data.get("measure")
        if op not in OPERATORS:
            self.error(path + ".op", f"未知运算符“{op}”，可用：{'、'.join(OPERATORS)}")
            return None
        if measure is not None:
            if measure not in MEASURES:
                self.error(path + ".measure", f"未知派生量“{measure}”，可用：{'、'.join(MEASURES)}")
                return None
            allowed_source = (DATE, ID_NUMBER) if measure == "age" else (DATE,)
            if element.type not in allowed_source:
                self.error(path + ".measure", f"“{element.name}”是{TYPE_NAMES.get(element.type, element.type)}，"
                                              f"不能计算{MEASURES[measure]}"
                                              f"（须为日期{'或公民身份号码' if measure == 'age' else ''}）")
                return None
            if op in PRESENCE:
                self.error(path + ".measure", "exists / missing 判断的是数据元本身，不能带派生量")
                return None
        value_type = INTEGER if measure else element.type
        if op in PRESENCE:
            allowed = PRESENCE
        else:
            allowed = OPERATORS_BY_TYPE.get(value_type, ())
        if op not in allowed and op not in PRESENCE:
            hint = f"可用：{'、'.join(allowed + PRESENCE)}" if allowed else "只能判断 exists / missing"
            if value_type == ID_NUMBER:
                hint = "公民身份号码只能以 measure: age 计算年龄，或判断 exists / missing"
            self.error(path + ".op", f"“{element.name}”（{TYPE_NAMES.get(value_type, value_type)}）"
                                     f"不能使用运算符“{op}”，{hint}")
            return None
        value = self._operand(op, data, value_type, element, path)
        return Condition(path, code, element.name, element.type, measure, op, value, met, not_met, ask)

    def _operand(self, op: str, data, type_: str, element: Element, path: str):
        where = path + ".value"
        if op in ("is_true", "is_false", "exists", "missing"):
            if "value" in data:
                self.error(where, f"运算符“{op}”不带取值")
            return None
        if "value" not in data:
            self.error(where, f"运算符“{op}”须给出取值")
            return None
        raw = data["value"]
        if op == "between":
            if not isinstance(raw, list) or len(raw) != 2:
                self.error(where, "between 的取值应为 [下限, 上限]（含两端）")
                return None
            low = self._scalar_operand(raw[0], type_, element, where + "[0]")
            high = self._scalar_operand(raw[1], type_, element, where + "[1]")
            if not isinstance(low, Param) and not isinstance(high, Param) and None not in (low, high) and low > high:
                self.error(where, f"下限{format_value(low)}大于上限{format_value(high)}")
            return (low, high)
        if op in ("in", "not_in"):
            if self._is_param_ref(raw):
                return self._param_ref(raw, type_, element, where, is_list=True)
            return self._literal(raw, type_, element, where, is_list=True)
        return self._scalar_operand(raw, type_, element, where)

    @staticmethod
    def _is_param_ref(raw) -> bool:
        return isinstance(raw, Mapping) and "param" in raw

    def _scalar_operand(self, raw, type_, element, where):
        if self._is_param_ref(raw):
            return self._param_ref(raw, type_, element, where, is_list=False)
        return self._literal(raw, type_, element, where, is_list=False)

    def _param_ref(self, raw, type_, element, where, is_list: bool) -> Param | None:
        name = raw.get("param")
        if set(raw) != {"param"}:
            self.error(where, "参数引用只能写作 {param: 参数名}")
        if name not in self.raw_params:
            self.error(where, f"引用了未声明的参数“{name}”")
            return None
        seen = self.param_types.get(name)
        key = (type_, element if type_ == ENUM else None, is_list)
        if seen and seen[:3] != key:
            self.error(where, f"参数“{name}”在 {seen[3]} 处按另一种类型使用过，同一参数只能有一种类型")
        elif not seen:
            self.param_types[name] = (*key, where)
        return Param(name)

    def _literal(self, raw, type_: str, element: Element | None, where: str, is_list: bool):
        if is_list:
            if not isinstance(raw, list) or not raw:
                self.error(where, "应为非空列表")
                return None
            values = tuple(self._literal(item, type_, element, f"{where}[{i}]", False) for i, item in enumerate(raw))
            return values
        if isinstance(raw, (list, Mapping)):
            self.error(where, "应为单个取值")
            return None
        value = coerce(raw, type_)
        if type_ == INTEGER and isinstance(raw, float) and raw.is_integer():
            value = int(raw)
        if value is None:
            name = "日期（如 2026-01-01）" if type_ == DATE else TYPE_NAMES.get(type_, type_)
            self.error(where, f"取值“{raw}”应为{name}")
            return None
        if type_ == ENUM and element is not None and value not in element.choices:
            self.error(where, f"“{value}”不是“{element.name}”的可选值（{'、'.join(element.choices)}）")
            return None
        return value

    def _wording(self, text, where: str, required: bool) -> str:
        if text is None or text == "":
            if required:
                self.error(where, "缺少中文表述（met 为满足时、not_met 为不满足时的说明）")
            return ""
        if not isinstance(text, str):
            self.error(where, "表述应为文字")
            return ""
        for name in PLACEHOLDER.findall(text):
            if name not in self.raw_params and name not in _SPECIALPLACEHOLDERS:
                self.error(where, f"表述中的占位符“{{{name}}}”既不是已声明的参数，也不是 {{value}} / {{actual}}")
        return text


# --- wording ----------------------------------------------------------------------------------------------------

def fill(text: str, values: Mapping[str, Any]) -> str:
    """Fill `{name}` placeholders by substitution only: wording is data typed by administrators, so str.format (which
    can reach attributes) is never applied to it."""
    return PLACEHOLDER.sub(lambda m: format_value(values[m.group(1)]) if m.group(1) in values else m.group(0), text)
