"""The interpreter: one subject, one rule, with the reasons (the explained check a resident or enterprise sees).

Every node is evaluated (no short-circuit), so the trace shows each condition met / not met / unknown. The questions
are asked only for unknowns that still decide the outcome: those reached from the root through UNKNOWN nodes. An
unknown beside a FALSE condition of an `all` changes nothing, so nobody is asked about it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from yijianshi.policies.domain.rules import (
    BOOLEAN, ID_NUMBER, AllOf, AnyOf, Condition, Node, NotOf, Parameters, birth_date_from_id, coerce, fill,
    format_value, operand_at,
)

COMPOSITE_LABELS = {"all": "同时满足以下全部条件", "any": "满足以下任一条件", "not": "不属于以下情形"}


@dataclass(frozen=True)
class Step:
    """One node's outcome, in reading order; `depth` lets a page indent it."""
    path: str
    depth: int
    kind: str            # all / any / not / condition
    result: bool | None
    text: str
    element: str = ""
    actual: Any = None


@dataclass(frozen=True)
class Decision:
    result: bool | None  # True: eligible; False: not; None: unknown until the questions are answered
    trace: tuple[Step, ...]
    questions: tuple[str, ...]
    unknown_elements: tuple[str, ...] = field(default=())

    @property
    def matched(self) -> bool:
        return self.result is True


# --- derived values and comparisons -----------------------------------------------------------------------------

def whole_years(start: date, on: date) -> int:
    """Completed years: the anniversary counts from its own day; a 29 February one from 1 March in common years."""
    return on.year - start.year - ((on.month, on.day) < (start.month, start.day))


def whole_months(start: date, on: date) -> int:
    """Completed months: a month is complete on the same day of the month (31 January → 28 February is 0 months)."""
    return (on.year - start.year) * 12 + on.month - start.month - (on.day < start.day)


def measured(condition: Condition, value: Any, on: date) -> Any:
    """The subject's value as the operator compares it, or None when missing or unreadable."""
    value = coerce(value, condition.element_type)
    if value is None or condition.measure is None:
        return value
    if condition.element_type == ID_NUMBER:
        value = birth_date_from_id(value)
        if value is None:
            return None
    measure = condition.measure
    if measure in ("age", "years_since"):
        return whole_years(value, on)
    if measure == "months_since":
        return whole_months(value, on)
    if measure == "days_since":
        return (on - value).days
    return (value - on).days  # days_until


def compare(op: str, actual: Any, operand: Any) -> bool | None:
    """One condition's truth; `operand` is resolved (no parameters left)."""
    if op == "exists":
        return actual is not None
    if op == "missing":
        return actual is None
    if actual is None:
        return None
    if op == "eq":
        return actual == operand
    if op == "ne":
        return actual != operand
    if op == "lt":
        return actual < operand
    if op == "le":
        return actual <= operand
    if op == "gt":
        return actual > operand
    if op == "ge":
        return actual >= operand
    if op == "between":
        return operand[0] <= actual <= operand[1]
    if op == "in":
        return actual in operand
    if op == "not_in":
        return actual not in operand
    if op == "is_true":
        return actual is True
    if op == "is_false":
        return actual is False
    raise ValueError(op)


# --- evaluation -------------------------------------------------------------------------------------------------

@dataclass
class _Evaluated:
    node: Node
    result: bool | None
    children: list
    actual: Any = None
    operand: Any = None


def _evaluate(node: Node, subject: Mapping[str, Any], values: Mapping[str, Any], on: date) -> _Evaluated:
    if isinstance(node, Condition):
        actual = measured(node, subject.get(node.element), on) if node.op not in ("exists", "missing") else \
            coerce(subject.get(node.element), node.element_type)
        operand = operand_at(node, values)
        return _Evaluated(node, compare(node.op, actual, operand), [], actual, operand)
    if isinstance(node, NotOf):
        child = _evaluate(node.child, subject, values, on)
        return _Evaluated(node, None if child.result is None else not child.result, [child])
    children = [_evaluate(child, subject, values, on) for child in node.children]
    results = [c.result for c in children]
    if isinstance(node, AllOf):
        result = False if False in results else (None if None in results else True)
    else:
        result = True if True in results else (None if None in results else False)
    return _Evaluated(node, result, children)


def _condition_text(evaluated: _Evaluated, values: Mapping[str, Any]) -> str:
    node: Condition = evaluated.node
    fill_values = dict(values)
    fill_values["value"] = ("至" if node.op == "between" else "、").join(
        format_value(v) for v in evaluated.operand) if isinstance(evaluated.operand, tuple) else \
        format_value(evaluated.operand) if evaluated.operand is not None else ""
    fill_values["actual"] = "未知" if evaluated.actual is None else format_value(evaluated.actual)
    if evaluated.result is True:
        return fill(node.met, fill_values)
    if evaluated.result is False:
        return fill(node.not_met, fill_values)
    return f"待核实：{fill(node.met, fill_values)}（尚缺“{node.element_name}”信息）"


def _trace(evaluated: _Evaluated, values, depth: int, out: list[Step]) -> None:
    node = evaluated.node
    if isinstance(node, Condition):
        out.append(Step(node.path, depth, "condition", evaluated.result, _condition_text(evaluated, values),
                        node.element, evaluated.actual))
        return
    kind = "all" if isinstance(node, AllOf) else "any" if isinstance(node, AnyOf) else "not"
    out.append(Step(node.path, depth, kind, evaluated.result, fill(node.label, values) or COMPOSITE_LABELS[kind]))
    for child in evaluated.children:
        _trace(child, values, depth + 1, out)


def question_for(condition: Condition, values: Mapping[str, Any] | None = None) -> str:
    if condition.ask:
        return fill(condition.ask, values or {})
    who = "贵单位" if condition.element.startswith("enterprise.") else "您"
    if condition.element_type == BOOLEAN:
        name = condition.element_name
        return f"{who}{name}？" if name.startswith("是否") else f"{who}是否{name}？"
    return f"请提供{who}的{condition.element_name}"


def _deciding_unknowns(evaluated: _Evaluated, out: list[Condition]) -> None:
    if evaluated.result is not None:
        return
    if isinstance(evaluated.node, Condition):
        out.append(evaluated.node)
    for child in evaluated.children:
        _deciding_unknowns(child, out)


def explain(rule: Node, params: Parameters, subject: Mapping[str, Any], on: date) -> Decision:
    """Decide one subject against one rule at the date `on`, with the trace and the questions for the unknowns."""
    values = params.at(on)
    evaluated = _evaluate(rule, subject, values, on)
    steps: list[Step] = []
    _trace(evaluated, values, 0, steps)
    unknowns: list[Condition] = []
    _deciding_unknowns(evaluated, unknowns)
    questions = list(dict.fromkeys(question_for(c, values) for c in unknowns))
    elements = list(dict.fromkeys(c.element for c in unknowns))
    return Decision(evaluated.result, tuple(steps), tuple(questions), tuple(elements))


def decide(rule: Node, params: Parameters, subject: Mapping[str, Any], on: date) -> bool | None:
    """The result alone (no trace), for callers that only need the outcome."""
    return _evaluate(rule, subject, params.at(on), on).result
