from datetime import date

import polars as pl

from tests.policies.domain.elements import DICTIONARY, cond, policy
from yijianshi.policies.domain.compiler import compile_rule, evaluate_all, profiles_frame
from yijianshi.policies.domain.rules import parse

ON = date(2026, 11, 30)
DISABLED = parse(cond("person.disabled", "is_true"), {}, DICTIONARY)
NO_ADDRESS = parse(cond("person.residence_address", "missing"), {}, DICTIONARY)
HONEST = parse({"not": cond("enterprise.serious_dishonesty", "is_true")}, {}, DICTIONARY)


def frame(rows, elements=("person.disabled",)):
    return profiles_frame([{"subject_id": i, **r} for i, r in enumerate(rows, 1)], DICTIONARY, list(elements))


def test_only_policies_in_force_and_for_the_target_are_evaluated():
    persons = frame([{"person.disabled": True}, {"person.disabled": False}, {}])
    policies = [policy("now", *DISABLED), policy("ended", *DISABLED, effective_to=date(2026, 11, 29)),
                policy("future", *DISABLED, effective_from=date(2026, 12, 1)),
                policy("firms", *HONEST, target="enterprise")]
    matches = evaluate_all(policies, persons, ON, target="person")
    assert matches.rows() == [(1, "now")]


def test_a_column_the_frame_lacks_counts_as_missing_for_everyone():
    persons = frame([{"person.disabled": True}])
    matches = evaluate_all([policy("address", *NO_ADDRESS), policy("honest", *HONEST)], persons, ON)
    assert matches.rows() == [(1, "address")]  # `missing` is TRUE; `not is_true` over a missing value is UNKNOWN


def test_results_of_several_calls_concatenate_and_no_policy_gives_an_empty_frame():
    persons = frame([{"person.disabled": True}])
    firms = profiles_frame([{"subject_id": 9, "enterprise.serious_dishonesty": False}], DICTIONARY,
                           ["enterprise.serious_dishonesty"])
    both = pl.concat([evaluate_all([policy("a", *DISABLED)], persons, ON),
                      evaluate_all([policy("b", *HONEST, target="enterprise")], firms, ON)])
    assert both.rows() == [(1, "a"), (9, "b")]
    empty = evaluate_all([], persons, ON)
    assert empty.height == 0 and empty.columns == ["subject_id", "policy_code"]


def test_nan_in_a_decimal_column_is_read_as_missing():
    rule, params = parse(cond("enterprise.layoff_rate", "le", 5.5), {}, DICTIONARY)
    firms = pl.DataFrame({"subject_id": [1, 2, 3], "enterprise.layoff_rate": [1.0, float("nan"), None]})
    assert evaluate_all([policy("p", rule, params)], firms, ON).rows() == [(1, "p")]
    low = parse(cond("enterprise.layoff_rate", "missing"), {}, DICTIONARY)
    assert evaluate_all([policy("m", *low)], firms, ON)["subject_id"].to_list() == [2, 3]


def test_the_compiled_expression_is_a_nullable_boolean():
    rule, params = parse({"any": [cond("person.disabled", "is_true"), cond("person.children", "ge", 2)]}, {},
                         DICTIONARY)
    persons = frame([{"person.disabled": False, "person.children": 3}, {"person.disabled": False}, {}],
                    ("person.disabled", "person.children"))
    result = persons.select(compile_rule(rule, params, ON).alias("r"))["r"]
    assert result.dtype == pl.Boolean and result.to_list() == [True, None, None]
