"""The interpreter and the compiled Polars evaluation always agree, UNKNOWN included.

Hypothesis draws random rules from the whole grammar (every operator and measure, parameters with versions that
change inside the sampled period, nesting up to the depth limit) and random subjects whose values are missing,
unreadable, or sit exactly on the thresholds: birthdays on the evaluation date and the days around it, 29 February,
thresholds equal to the value. Both evaluations must return the same TRUE / FALSE / UNKNOWN for every subject.
"""

from datetime import date, timedelta

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.policies.domain.elements import DICTIONARY, TOWNS, policy
from yijianshi.policies.domain.compiler import compile_rule, evaluate_all, profiles_frame
from yijianshi.policies.domain.interpreter import explain
from yijianshi.policies.domain.rules import MEASURES, parse

CHANGE_DATES = (date(2025, 1, 1), date(2026, 1, 1), date(2027, 1, 1))
EVALUATION_DATES = (date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1), date(2025, 2, 28), date(2025, 3, 1),
                    date(2025, 12, 31), date(2026, 1, 1), date(2026, 11, 30), date(2026, 12, 31), date(2027, 1, 1),
                    date(2028, 2, 29))
YEARS = (0, 1, 2, 16, 18, 40, 50, 59, 60, 80, 89, 90, 100)
MONTHS = (0, 1, 11, 12, 13, 24, 36)
DAYS = (0, 1, 30, 365, 366)
LEAP_DAYS = tuple(date(y, 2, 29) for y in (1944, 1956, 2000, 2004, 2024, 2028))


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year - years, day=28)


def months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, d)
        except ValueError:
            continue


evaluation_dates = st.one_of(st.sampled_from(EVALUATION_DATES), st.dates(date(2020, 1, 1), date(2030, 12, 31)))


def dates_around(on: date):
    """Mostly dates exactly a sampled number of years, months or days before the evaluation date, and the days
    either side, so that birthdays today, thresholds met to the day and 29 February come up often."""
    offsets = st.sampled_from((-1, 0, 0, 1))
    return st.one_of(
        st.builds(lambda k, o: years_before(on, k) + timedelta(days=o), st.sampled_from(YEARS), offsets),
        st.builds(lambda m, o: months_before(on, m) + timedelta(days=o), st.sampled_from(MONTHS), offsets),
        st.builds(lambda d: on + timedelta(days=d), st.sampled_from(DAYS + tuple(-d for d in DAYS))),
        st.sampled_from(LEAP_DAYS),
        st.dates(date(1900, 1, 1), date(2035, 12, 31)),
    )


whole_numbers = {
    "age": st.one_of(st.sampled_from(YEARS), st.integers(-1, 120)),
    "years_since": st.one_of(st.sampled_from(YEARS), st.integers(-5, 120)),
    "months_since": st.one_of(st.sampled_from(MONTHS), st.integers(-24, 1300)),
    "days_since": st.one_of(st.sampled_from(DAYS), st.integers(-400, 40000)),
    "days_until": st.one_of(st.sampled_from(tuple(-d for d in DAYS)), st.integers(-40000, 400)),
}
integers = st.integers(-2, 12)
decimals = st.sampled_from((0.0, 5.5, 5.50001, 19.99, 20.0, 100.0, 3))
towns = st.sampled_from(TOWNS)
names = st.sampled_from(("张三", "李四", "王五"))


# --- rules ------------------------------------------------------------------------------------------------------

def parameter(values):
    """A parameter marker: one value from the start, and maybe another from a date inside the sampled period."""
    return st.builds(lambda first, later, start: {"param": None, "versions": [(date(2000, 1, 1), first)] + (
        [(start, later[0])] if later else [])}, values, st.lists(values, max_size=1), st.sampled_from(CHANGE_DATES))


def operand(values):
    return st.one_of(values, parameter(values))


def comparison(element, values, measure=None):
    extra = {"measure": measure} if measure else {}
    return st.one_of(
        st.builds(lambda op, v: {"element": element, "op": op, "value": v, **extra},
                  st.sampled_from(("eq", "ne", "lt", "le", "gt", "ge")), operand(values)),
        st.builds(lambda lo, hi: {"element": element, "op": "between", "value": ordered(lo, hi), **extra},
                  operand(values), operand(values)),
        membership(element, values, extra),
    )


def membership(element, values, extra=None):
    items = st.lists(values, min_size=1, max_size=4)
    return st.builds(lambda op, v: {"element": element, "op": op, "value": v, **(extra or {})},
                     st.sampled_from(("in", "not_in")), st.one_of(items, parameter(items)))


def ordered(low, high):
    """Literal bounds in order (the validator refuses low > high); parameters may still cross, which is FALSE."""
    if not isinstance(low, dict) and not isinstance(high, dict) and low > high:
        return [high, low]
    return [low, high]


def presence(element):
    return st.builds(lambda op: {"element": element, "op": op}, st.sampled_from(("exists", "missing")))


def rules(on: date):
    dates = dates_around(on)
    leaves = st.one_of(
        comparison("person.birth_date", dates),
        st.sampled_from(sorted(MEASURES)).flatmap(lambda m: comparison("rsj.graduation_date", whole_numbers[m], m)),
        st.sampled_from(sorted(MEASURES)).flatmap(lambda m: comparison("person.birth_date", whole_numbers[m], m)),
        comparison("person.id_number", whole_numbers["age"], "age"),
        comparison("person.children", integers),
        comparison("enterprise.layoff_rate", decimals),
        st.builds(lambda op, v: {"element": "person.town", "op": op, "value": v},
                  st.sampled_from(("eq", "ne")), operand(towns)),
        membership("person.town", towns),
        st.builds(lambda op, v: {"element": "person.name", "op": op, "value": v}, st.sampled_from(("eq", "ne")),
                  operand(names)),
        membership("person.name", names),
        st.builds(lambda element, op: {"element": element, "op": op},
                  st.sampled_from(("person.disabled", "person.low_income")), st.sampled_from(("is_true", "is_false"))),
        st.sampled_from(sorted(DICTIONARY)).flatmap(presence),
    )
    trees = st.recursive(
        leaves,
        lambda children: st.one_of(
            st.builds(lambda items: {"all": items}, st.lists(children, min_size=1, max_size=4)),
            st.builds(lambda items: {"any": items}, st.lists(children, min_size=1, max_size=4)),
            st.builds(lambda child: {"not": child}, children),
        ),
        max_leaves=14,
    )
    return trees.map(finish)


def finish(tree):
    """Name the parameters, gather their versions, add the wording; returns (rule data, parameter data)."""
    params, counter = {}, iter(range(1000))

    def visit(node):
        for key in ("all", "any"):
            if key in node:
                return {key: [visit(child) for child in node[key]]}
        if "not" in node:
            return {"not": visit(node["not"])}
        node = dict(node, met="条件成立", not_met="条件不成立")
        if "value" in node:
            node["value"] = name(node["value"])
        return node

    def name(value):
        if isinstance(value, dict):
            param = f"p{next(counter)}"
            params[param] = [{"from": start, "value": v} for start, v in value["versions"]]
            return {"param": param}
        if isinstance(value, list):
            return [name(v) for v in value]
        return value

    return visit(tree), params




# --- subjects ---------------------------------------------------------------------------------------------------

def id_number(day: date, check: str) -> str:
    return f"610830{day:%Y%m%d}001{check}"


def maybe(values):
    """A value, or nothing at all, or an explicit None: missing data is common in real profiles."""
    return st.one_of(values, values, values, st.none(), st.just(...))


def subjects(on: date):
    dates = dates_around(on)
    id_numbers = st.one_of(
        st.builds(id_number, dates.filter(lambda d: 1800 <= d.year <= 2099), st.sampled_from("0123456789Xx")),
        st.sampled_from(("610830194602300011", "61083019461130001", "6108301946113000AX", "010830194611300011",
                         "610830 94611300011", "")),
    )
    values = {
        "person.birth_date": maybe(dates), "rsj.graduation_date": maybe(dates), "person.id_number": maybe(id_numbers),
        "person.town": maybe(st.one_of(towns, st.just("北京"))), "person.disabled": maybe(st.booleans()),
        "person.low_income": maybe(st.booleans()), "person.children": maybe(integers),
        "person.name": maybe(names), "person.residence_address": maybe(st.just("宽州镇秀延路1号")),
        "enterprise.layoff_rate": maybe(st.one_of(decimals, st.just(float("nan")))),
        "enterprise.employee_count": maybe(integers), "enterprise.serious_dishonesty": maybe(st.booleans()),
    }
    return st.fixed_dictionaries(values).map(lambda s: {k: v for k, v in s.items() if v is not ...})


def frame_of(subject_list, categorical=False):
    rows = [{"subject_id": i, **s} for i, s in enumerate(subject_list)]
    frame = profiles_frame(rows, DICTIONARY, sorted(DICTIONARY))
    if categorical:  # how a large batch may hold choice columns; comparisons must not change
        frame = frame.with_columns(pl.col("person.town", "person.name").cast(pl.Categorical))
    return frame


SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@settings(max_examples=300, **SETTINGS)
@given(data=st.data(), categorical=st.booleans())
def test_the_compiled_rule_returns_what_the_interpreter_decides_for_every_subject(data, categorical):
    on = data.draw(evaluation_dates, label="on")
    node, params = parse(*data.draw(rules(on), label="rule"), DICTIONARY)
    subject_list = data.draw(st.lists(subjects(on), min_size=1, max_size=20), label="subjects")
    compiled = frame_of(subject_list, categorical).select(compile_rule(node, params, on).alias("r"))["r"].to_list()
    assert compiled == [explain(node, params, s, on).result for s in subject_list]


@settings(max_examples=100, **SETTINGS)
@given(data=st.data())
def test_the_batch_lists_exactly_the_subjects_the_interpreter_finds_eligible(data):
    on = data.draw(evaluation_dates, label="on")
    rule_list = data.draw(st.lists(rules(on), min_size=1, max_size=4), label="rules")
    subject_list = data.draw(st.lists(subjects(on), min_size=1, max_size=20), label="subjects")
    policies = [policy(f"p{i}", *parse(*rule, DICTIONARY)) for i, rule in enumerate(rule_list)]
    matches = evaluate_all(policies, frame_of(subject_list), on)
    expected = {(i, p.code) for p in policies for i, s in enumerate(subject_list)
                if explain(p.rule, p.parameters, s, on).result is True}
    found = list(zip(matches["subject_id"].to_list(), matches["policy_code"].to_list()))
    assert len(found) == len(set(found))  # no duplicates
    assert set(found) == expected


def anchor(on: date, measure: str, n: int) -> date:
    """The date at which `measure` turns exactly n on the evaluation date."""
    if measure in ("age", "years_since"):
        return years_before(on, n)
    if measure == "months_since":
        return months_before(on, n)
    return on - timedelta(days=n) if measure == "days_since" else on + timedelta(days=n)


@settings(max_examples=300, **SETTINGS)
@given(data=st.data())
def test_measures_agree_to_the_day_around_every_threshold(data):
    """A random tree rarely puts a subject exactly on its threshold; here every subject sits on it or a day away."""
    on = data.draw(evaluation_dates, label="on")
    measure = data.draw(st.sampled_from(sorted(MEASURES)), label="measure")
    n = data.draw(whole_numbers[measure].filter(lambda k: k >= 0 or measure == "days_until"), label="n")
    op = data.draw(st.sampled_from(("eq", "ne", "lt", "le", "gt", "ge", "between", "in", "not_in")), label="op")
    value = {"between": [n - 1, n] if data.draw(st.booleans()) else [n, n + 1], "in": [n, n + 2],
             "not_in": [n - 1, n]}.get(op, n)
    element = "person.id_number" if measure == "age" and data.draw(st.booleans()) else "person.birth_date"
    node, params = parse({"element": element, "measure": measure, "op": op, "value": value, "met": "是",
                          "not_met": "否"}, {}, DICTIONARY)
    days = [anchor(on, measure, n) + timedelta(days=o) for o in (-1, 0, 1)] + list(LEAP_DAYS)
    if element == "person.id_number":
        subject_list = [{element: id_number(d, "X")} for d in days if 1800 <= d.year <= 2099]
    else:
        subject_list = [{element: d} for d in days]
    compiled = frame_of(subject_list).select(compile_rule(node, params, on).alias("r"))["r"].to_list()
    assert compiled == [explain(node, params, s, on).result for s in subject_list]
