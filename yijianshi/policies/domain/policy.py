"""A policy (惠企利民政策) as data: who issued it, on what legal basis, for whom, what it grants, how, and its rule.

Read from data/policies/*.yaml (a `policies:` list per file) or from the editor, and checked in full before it
can be published: every problem is reported at once, in Chinese, with the policy and field it concerns.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from yijianshi.policies.domain.rules import (
    DATE, NO_PARAMETERS, Element, Node, Parameters, RuleError, PLACEHOLDER, coerce, fill, format_value, parse,
)

TARGETS = {"person": "个人", "enterprise": "企业"}
MODES = {"no_application": "免申即享", "prefilled_application": "即申即享"}
LEVELS = {"national": "国家", "province": "省级", "city": "市级", "county": "县级"}
_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
_KEYS = {"code", "title", "summary", "issuer", "level", "legal_basis", "target", "benefit", "mode", "effective",
         "department", "needs_confirmation", "note", "parameters", "rule"}


@dataclass(frozen=True)
class LegalBasis:
    title: str
    number: str = ""

    def __str__(self) -> str:
        return f"《{self.title}》" + (f"（{self.number}）" if self.number else "")


@dataclass(frozen=True)
class Benefit:
    text: str                 # may use parameter placeholders, e.g. 每人每月{amount}元
    amount: Any = None        # a number, or the name of a parameter holding it
    unit: str = ""


@dataclass(frozen=True)
class Policy:
    code: str
    title: str
    summary: str
    issuer: str
    level: str
    legal_basis: tuple[LegalBasis, ...]
    target: str
    benefit: Benefit
    mode: str
    effective_from: date
    effective_to: date | None
    department: str
    needs_confirmation: bool
    note: str
    rule: Node
    parameters: Parameters = NO_PARAMETERS

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def benefit_text(self, on: date) -> str:
        return fill(self.benefit.text, self.parameters.at(on))

    def amount(self, on: date) -> Any:
        amount = self.benefit.amount
        return self.parameters.at(on).get(amount) if isinstance(amount, str) else amount


class PolicyError(ValueError):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("；".join(errors))


def parse_policy(data: Mapping, dictionary: Mapping[str, Element], *, departments: Collection[str] | None = None,
                 where: str = "") -> Policy:
    """Check one policy record in full and build it, or raise PolicyError listing every problem."""
    errors: list[str] = []
    code = data.get("code") if isinstance(data, Mapping) else None
    prefix = f"{where}{' ' if where else ''}{code or '?'}: "

    def error(field: str, message: str) -> None:
        errors.append(f"{prefix}{field}：{message}")

    if not isinstance(data, Mapping):
        raise PolicyError([f"{prefix}政策应为映射"])
    for key in sorted(set(data) - _KEYS, key=str):
        error(str(key), "未知字段")
    if not isinstance(code, str) or not _CODE.match(code):
        error("code", "编码只能由小写字母、数字和连字符组成（2—64 位）")
    for key, name in (("title", "政策名称"), ("issuer", "发文机关")):
        if not isinstance(data.get(key), str) or not data[key].strip():
            error(key, f"缺少{name}")
    level = data.get("level")
    if level not in LEVELS:
        error("level", f"层级须为 {'、'.join(LEVELS)} 之一")
    target = data.get("target")
    if target not in TARGETS:
        error("target", "对象须为 person（个人）或 enterprise（企业）")
        target = None
    mode = data.get("mode")
    if mode not in MODES:
        error("mode", "方式须为 no_application（免申即享）或 prefilled_application（即申即享）")
    department = data.get("department")
    if not department or (departments is not None and department not in departments):
        error("department", f"经办部门“{department}”不在部门目录中")
    needs_confirmation = data.get("needs_confirmation", False)
    if not isinstance(needs_confirmation, bool):
        error("needs_confirmation", "应为 true 或 false")
    if needs_confirmation and not str(data.get("note") or "").strip():
        error("note", "标记为待确认的政策须在 note 中说明需要部门确认的内容")

    basis = []
    for i, item in enumerate(data.get("legal_basis") or []):
        if not isinstance(item, Mapping) or not str(item.get("title") or "").strip():
            error(f"legal_basis[{i}]", "每条政策依据须有文件名称 title（文号 number 可选）")
            continue
        basis.append(LegalBasis(str(item["title"]).strip(), str(item.get("number") or "").strip()))
    if not basis:
        error("legal_basis", "至少列出一条政策依据（文件名称和文号）")

    effective = data.get("effective") or {}
    effective_from = coerce(effective.get("from"), DATE) if isinstance(effective, Mapping) else None
    effective_to = coerce(effective.get("to"), DATE) if isinstance(effective, Mapping) else None
    if effective_from is None:
        error("effective.from", "缺少施行日期（如 2026-01-01）")
    if isinstance(effective, Mapping) and effective.get("to") is not None and effective_to is None:
        error("effective.to", "截止日期应为日期，长期有效的不填")
    if effective_from and effective_to and effective_to < effective_from:
        error("effective.to", f"截止日期早于施行日期{format_value(effective_from)}")

    parameters_data = data.get("parameters") or {}
    benefit = _benefit(data.get("benefit"), parameters_data, error)

    rule, parameters = None, NO_PARAMETERS
    if "rule" not in data:
        error("rule", "缺少资格规则")
    else:
        try:
            rule, parameters = parse(data["rule"], parameters_data, dictionary, target=target,
                                     effective_from=effective_from)
        except RuleError as exc:
            errors.extend(f"{prefix}rule {issue}" if issue.path.startswith("$") else f"{prefix}{issue}"
                          for issue in exc.errors)
    if errors:
        raise PolicyError(errors)
    return Policy(
        code=code, title=data["title"].strip(), summary=str(data.get("summary") or "").strip(),
        issuer=data["issuer"].strip(), level=level, legal_basis=tuple(basis), target=target, benefit=benefit,
        mode=mode, effective_from=effective_from, effective_to=effective_to, department=department,
        needs_confirmation=needs_confirmation, note=str(data.get("note") or "").strip(), rule=rule,
        parameters=parameters,
    )


def _benefit(data, parameters_data, error) -> Benefit | None:
    if not isinstance(data, Mapping) or not str(data.get("text") or "").strip():
        error("benefit", "须说明享受内容 text（如 每人每月{amount}元）")
        return None
    names = set(parameters_data) if isinstance(parameters_data, Mapping) else set()
    for name in PLACEHOLDER.findall(data["text"]):
        if name not in names:
            error("benefit.text", f"占位符“{{{name}}}”不是已声明的参数")
    amount = data.get("amount")
    if isinstance(amount, Mapping):
        amount = amount.get("param")
        if amount not in names:
            error("benefit.amount", f"引用了未声明的参数“{amount}”")
    elif amount is not None and (isinstance(amount, bool) or not isinstance(amount, (int, float))):
        error("benefit.amount", "金额应为数字，或 {param: 参数名}")
    return Benefit(str(data["text"]).strip(), amount, str(data.get("unit") or "").strip())


def load_policies(directory: Path, dictionary: Mapping[str, Element], *,
                  departments: Collection[str] | None = None) -> list[Policy]:
    """Every policy in directory/*.yaml (files starting with "_" are not policies), or PolicyError with all problems
    across all files."""
    errors: list[str] = []
    policies: list[Policy] = []
    seen: set[str] = set()
    for path in sorted(directory.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        try:
            content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            errors.append(f"{path.name}: 不是合法的 YAML（{exc}）")
            continue
        for record in content.get("policies") or []:
            try:
                policy = parse_policy(record, dictionary, departments=departments, where=path.name)
            except PolicyError as exc:
                errors.extend(exc.errors)
                continue
            if policy.code in seen:
                errors.append(f"{path.name} {policy.code}: code：编码重复")
            seen.add(policy.code)
            policies.append(policy)
    if errors:
        raise PolicyError(errors)
    return policies
