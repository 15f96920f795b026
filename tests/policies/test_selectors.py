"""How the trace reads to the subject: inside a `not`, a false condition counts for them."""

from yijianshi.policies.selectors import shown_trace


def test_a_false_condition_under_not_is_marked_in_the_subjects_favour():
    trace = [
        {"depth": 0, "kind": "all", "result": True, "text": "同时满足以下全部条件"},
        {"depth": 1, "kind": "condition", "result": True, "text": "属于小型企业"},
        {"depth": 1, "kind": "not", "result": True, "text": "未列入严重失信主体名单"},
        {"depth": 2, "kind": "condition", "result": False, "text": "未列入严重失信主体名单"},
        {"depth": 1, "kind": "condition", "result": None, "text": "待核实：参保职工人数"},
    ]
    assert [s["mark"] for s in shown_trace(trace)] == ["met", "met", "met", "met", "unknown"]
    nested = [{"depth": 0, "kind": "not", "result": False, "text": "x"},
              {"depth": 1, "kind": "not", "result": True, "text": "y"},
              {"depth": 2, "kind": "condition", "result": True, "text": "z"}]
    assert [s["mark"] for s in shown_trace(nested)] == ["not-met", "not-met", "met"]
