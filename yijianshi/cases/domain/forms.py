"""Checking the merged form's values against the data-element dictionary. Plain Python: the catalog's data types
and validation rules (max_length, pattern, choices, min, max) applied to what an applicant typed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from yijianshi.accounts.identity import IdentityError, parse_credit_code, parse_id_number


@dataclass(frozen=True)
class FieldRule:
    element: str
    label: str
    data_type: str
    required: bool
    validation: dict = field(default_factory=dict)


def _check(rule: FieldRule, raw) -> tuple[object, str]:
    """(clean value, error or "")."""
    text = raw.strip() if isinstance(raw, str) else raw
    kind, v = rule.data_type, rule.validation or {}
    if kind in ("string", "text", "address", "enum"):
        text = str(text)
        if "max_length" in v and len(text) > v["max_length"]:
            return text, f"不能超过 {v['max_length']} 个字"
        if "choices" in v and text not in v["choices"]:
            return text, "请从给定选项中选择"
        if "pattern" in v and not re.fullmatch(v["pattern"], text):
            return text, "格式不正确"
        return text, ""
    if kind == "date":
        try:
            return date.fromisoformat(str(text)).isoformat(), ""
        except ValueError:
            return text, "应为日期，如 2026-11-30"
    if kind in ("integer", "decimal"):
        try:
            number = int(str(text)) if kind == "integer" else Decimal(str(text))
        except (ValueError, InvalidOperation):
            return text, "应为整数" if kind == "integer" else "应为数字"
        if "min" in v and number < v["min"]:
            return text, f"不能小于 {v['min']}"
        if "max" in v and number > v["max"]:
            return text, f"不能大于 {v['max']}"
        return (number if kind == "integer" else str(number)), ""
    if kind == "boolean":
        if text in (True, "true", "1", "是", "yes"):
            return True, ""
        if text in (False, "false", "0", "否", "no"):
            return False, ""
        return text, "请选择是或否"
    if kind == "id_number":
        try:
            return parse_id_number(str(text)).value, ""
        except IdentityError as error:
            return text, error.message.split("：", 1)[-1]
    if kind == "credit_code":
        try:
            return parse_credit_code(str(text)), ""
        except IdentityError as error:
            return text, error.message.split("：", 1)[-1]
    if kind == "phone":
        value = re.sub(r"[\s-]", "", str(text))
        return value, "" if re.fullmatch(r"1[3-9]\d{9}", value) else "应为 11 位手机号码"
    return text, ""


def clean_form(rules: list[FieldRule], data: dict) -> tuple[dict, dict[str, str]]:
    """Values for the known fields, cleaned; errors keyed by element with a Chinese message naming the field.
    Unknown keys are dropped: the form is the catalog's, not whatever a client sends."""
    clean, errors = {}, {}
    for rule in rules:
        raw = data.get(rule.element)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if rule.required:
                errors[rule.element] = f"{rule.label}：必填"
            continue
        value, problem = _check(rule, raw)
        if problem:
            errors[rule.element] = f"{rule.label}：{problem}"
        else:
            clean[rule.element] = value
    return clean, errors


# --- 一数一源: values a department is the authoritative source of ---------------------------------------------

@dataclass(frozen=True)
class Authoritative:
    """A value the platform holds from its authoritative source (the identity register, the enterprise register,
    a department's data feed): prefilled, shown read-only, and never overwritten by what a client sends."""

    value: object
    source: str          # the source department's name, shown to the applicant
    evidence: str = ""   # a certificate identifier or registration reference, when there is one


def _same(rule: FieldRule, submitted, held) -> bool:
    submitted_clean, problem = _check(rule, submitted)
    held_clean, _ = _check(rule, held)
    return not problem and str(submitted_clean).upper() == str(held_clean).upper()


def lock_authoritative(rules: list[FieldRule], data: dict, known: dict[str, Authoritative]) -> tuple[dict, dict]:
    """The form data with every authoritative value filled in, and errors for submitted values that differ from
    it (named by field, without repeating the record, which an agent may not be entitled to see)."""
    merged, errors = dict(data), {}
    for rule in rules:
        held = known.get(rule.element)
        if held is None or held.value in (None, ""):
            continue
        submitted = data.get(rule.element)
        if submitted not in (None, "") and not _same(rule, submitted, held.value):
            errors[rule.element] = f"{rule.label}：与{held.source}登记的信息不一致，以登记信息为准，不能修改"
        merged[rule.element] = held.value
    return merged, errors
