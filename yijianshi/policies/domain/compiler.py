"""The compiled evaluation: a rule becomes one Polars expression, evaluated over every profile at once.

Null is UNKNOWN. Polars comparisons propagate null, `&` / `|` / `~` and all_horizontal / any_horizontal follow
Kleene logic, so the expression is a nullable boolean with exactly the interpreter's semantics; the property tests
in tests/policies/domain/ hold the two to that. Parameters and the evaluation date are literals: the expression is
compiled for one date, the batch's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import polars as pl

from yijianshi.policies.domain.rules import (
    BOOLEAN, DATE, DECIMAL, ID_NUMBER, ID_NUMBER_PATTERN, INTEGER, AllOf, Condition, Element, Node, NotOf, Parameters,
    coerce, conditions, operand_at,
)

SUBJECT_ID = "subject_id"

DTYPES = {DATE: pl.Date, INTEGER: pl.Int64, DECIMAL: pl.Float64, BOOLEAN: pl.Boolean}  # anything else: pl.String


def dtype_for(element_type: str) -> pl.DataType:
    return DTYPES.get(element_type, pl.String)


def profiles_frame(rows: Iterable[Mapping[str, Any]], dictionary: Mapping[str, Element], elements: Sequence[str],
                   *, id_key: str = SUBJECT_ID) -> pl.DataFrame:
    """Profiles ({element: value}, plus the subject id) as a typed frame, values read as the interpreter reads them."""
    rows = list(rows)
    columns: dict[str, pl.Series] = {id_key: pl.Series(id_key, [r.get(id_key) for r in rows])}
    for code in elements:
        type_ = dictionary[code].type
        columns[code] = pl.Series(code, [coerce(r.get(code), type_) for r in rows], dtype=dtype_for(type_))
    return pl.DataFrame(columns)


# --- compiling --------------------------------------------------------------------------------------------------

def _years(d: pl.Expr, on: date) -> pl.Expr:
    # on.year - year - (anniversary not yet reached), the same arithmetic as interpreter.whole_years
    not_yet = (d.dt.month() > on.month) | ((d.dt.month() == on.month) & (d.dt.day() > on.day))
    return pl.lit(on.year, pl.Int64) - d.dt.year().cast(pl.Int64) - not_yet.cast(pl.Int64)


def _months(d: pl.Expr, on: date) -> pl.Expr:
    return ((pl.lit(on.year, pl.Int64) - d.dt.year().cast(pl.Int64)) * 12
            + (pl.lit(on.month, pl.Int64) - d.dt.month().cast(pl.Int64))
            - (d.dt.day() > on.day).cast(pl.Int64))


def _subject_value(condition: Condition, on: date) -> pl.Expr:
    column = pl.col(condition.element)
    if condition.measure is None:
        return column
    if condition.element_type == ID_NUMBER:
        # Only a well-formed number yields a birth date; to_date(strict=False) turns 30 February into null.
        column = (pl.when(column.str.contains(ID_NUMBER_PATTERN))
                  .then(column.str.slice(6, 8).str.to_date("%Y%m%d", strict=False)))
    if condition.measure in ("age", "years_since"):
        return _years(column, on)
    if condition.measure == "months_since":
        return _months(column, on)
    if condition.measure == "days_since":
        return (pl.lit(on, pl.Date) - column).dt.total_days()
    return (column - pl.lit(on, pl.Date)).dt.total_days()  # days_until


def _literal(value: Any, condition: Condition) -> pl.Expr:
    return pl.lit(value, dtype_for(condition.value_type))


def _condition(condition: Condition, values: Mapping[str, Any], on: date) -> pl.Expr:
    op = condition.op
    if op == "exists":
        return pl.col(condition.element).is_not_null()
    if op == "missing":
        return pl.col(condition.element).is_null()
    x = _subject_value(condition, on)
    if op == "is_true":
        return x
    if op == "is_false":
        return ~x
    operand = operand_at(condition, values)
    if op == "between":
        return x.is_between(_literal(operand[0], condition), _literal(operand[1], condition), closed="both")
    if op in ("in", "not_in"):
        # is_in yields null for a null subject value, as the interpreter's UNKNOWN
        member = x.is_in(pl.Series(list(operand), dtype=dtype_for(condition.value_type)).implode())
        return member if op == "in" else ~member
    y = _literal(operand, condition)
    return {"eq": x == y, "ne": x != y, "lt": x < y, "le": x <= y, "gt": x > y, "ge": x >= y}[op]


def _compile(node: Node, values: Mapping[str, Any], on: date) -> pl.Expr:
    if isinstance(node, Condition):
        return _condition(node, values, on)
    if isinstance(node, NotOf):
        return ~_compile(node.child, values, on)
    children = [_compile(child, values, on) for child in node.children]
    if len(children) == 1:
        return children[0]
    return pl.all_horizontal(children) if isinstance(node, AllOf) else pl.any_horizontal(children)


def compile_rule(rule: Node, params: Parameters, on: date) -> pl.Expr:
    """A nullable boolean expression over the profile columns: TRUE / FALSE / null (UNKNOWN) as explain() decides."""
    return _compile(rule, params.at(on), on)


def evaluate_all(policies: Iterable, frame: pl.DataFrame, on: date, *, target: str | None = None,
                 id_column: str = SUBJECT_ID) -> pl.DataFrame:
    """Every (subject_id, policy_code) whose rule is TRUE at `on`, for the policies in force then (and of `target`,
    when given). Columns the frame lacks count as missing for every subject."""
    policies = [p for p in policies if p.in_force(on) and (target is None or p.target == target)]
    needed: dict[str, str] = {}
    for policy in policies:
        for condition in conditions(policy.rule):
            needed[condition.element] = condition.element_type
    lazy = frame.lazy()
    absent = [pl.lit(None, dtype_for(t)).alias(code) for code, t in needed.items() if code not in frame.columns]
    if absent:
        lazy = lazy.with_columns(absent)
    # NaN is not a value a profile can hold; the interpreter reads it as missing too.
    floats = [code for code, t in needed.items() if t == DECIMAL and code in frame.columns
              and frame.schema[code] in (pl.Float32, pl.Float64)]
    if floats:
        lazy = lazy.with_columns(pl.col(floats).fill_nan(None))
    codes = pl.Categorical()  # one shared dictionary: results of several calls concatenate
    parts = [lazy.filter(compile_rule(p.rule, p.parameters, on))
                 .select(pl.col(id_column), pl.lit(p.code, codes).alias("policy_code"))
             for p in policies]
    if not parts:
        return pl.DataFrame(schema={id_column: frame.schema.get(id_column, pl.Int64), "policy_code": codes})
    return pl.concat(parts).collect()

