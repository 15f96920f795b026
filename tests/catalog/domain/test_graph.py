import pytest

from yijianshi.catalog.domain.graph import CycleError, critical_path, topological_stages

RESALE_HOUSING = {  # 二手房: contract and tax before registration, utilities after it
    "contract": [], "tax": ["contract"], "registration": ["contract", "tax"],
    "water": ["registration"], "power": ["registration"], "gas": ["registration"], "heating": ["registration"],
}


def test_items_without_prerequisites_start_together_in_the_first_stage():
    assert topological_stages({"a": [], "b": [], "c": ["a"]}) == [["a", "b"], ["c"]]


def test_resale_housing_runs_contract_tax_registration_then_all_utilities_in_parallel():
    assert topological_stages(RESALE_HOUSING) == [
        ["contract"], ["tax"], ["registration"], ["water", "power", "gas", "heating"]]


def test_a_node_waits_for_its_latest_prerequisite():
    stages = topological_stages({"a": [], "b": ["a"], "c": ["a", "b"]})
    assert stages == [["a"], ["b"], ["c"]]


def test_a_cycle_is_refused_naming_the_nodes_involved():
    with pytest.raises(CycleError) as excinfo:
        topological_stages({"a": ["b"], "b": ["a"], "c": []})
    assert "a" in str(excinfo.value) and "b" in str(excinfo.value)


def test_unknown_prerequisite_is_refused():
    with pytest.raises(ValueError):
        topological_stages({"a": ["ghost"]})


def test_critical_path_is_the_longest_chain_not_the_sum():
    durations = {"contract": 1, "tax": 1, "registration": 5, "water": 1, "power": 3, "gas": 1, "heating": 2}
    total, chain = critical_path(RESALE_HOUSING, durations)
    assert total == 1 + 1 + 5 + 3
    assert chain == ["contract", "tax", "registration", "power"]


def test_critical_path_of_parallel_immediate_items_is_zero():
    assert critical_path({"a": [], "b": []}, {"a": 0, "b": 0}) == (0, ["a"])


def test_critical_path_of_nothing_is_zero():
    assert critical_path({}, {}) == (0, [])
