"""The hash chain as plain Python: SM3, canonical serialisation, and naming the first broken link."""

from datetime import datetime, timezone

from yijianshi.audit.chain import GENESIS_HASH, canonical_bytes, event_hash, first_break, sm3_hex


def test_sm3_matches_the_gb_t_32905_example():
    # GB/T 32905-2016 appendix A, example 1: SM3("abc").
    assert sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def _chain(n):
    events, prev = [], GENESIS_HASH
    for seq in range(1, n + 1):
        event = {"seq": seq, "occurred_at": datetime(2026, 11, 30, 8, 0, seq, tzinfo=timezone.utc),
                 "actor_user_id": 7, "actor_label": "clerk", "principal_party_id": None, "principal_label": "",
                 "subject_party_id": 3, "action": "mandate.grant", "object_type": "accounts.mandate",
                 "object_id": str(seq), "reason": "", "before": None, "after": {"n": seq}, "prev_hash": prev}
        event["hash"] = prev = event_hash(event)
        events.append(event)
    return events


def test_an_intact_chain_verifies():
    broken, count, last = first_break(_chain(5))
    assert broken is None and count == 5 and last == _chain(5)[-1]["hash"]


def test_serialisation_ignores_key_order_but_not_values():
    event = _chain(1)[0]
    assert canonical_bytes(dict(reversed(list(event.items())))) == canonical_bytes(event)
    assert event_hash({**event, "reason": "x"}) != event["hash"]


def test_an_edited_event_is_named():
    events = _chain(5)
    events[2]["after"] = {"n": 99}
    broken, count, _ = first_break(events)
    assert broken.seq == 3 and "被修改" in broken.reason and count == 2


def test_a_deleted_event_is_named():
    events = _chain(5)
    del events[1]
    broken, _, _ = first_break(events)
    assert broken.seq == 2 and "缺失" in broken.reason


def test_events_delivered_out_of_order_are_named_at_the_first_gap():
    events = _chain(5)
    events[1], events[2] = events[2], events[1]
    broken, _, _ = first_break(events)
    assert broken.seq == 2 and "缺失" in broken.reason


def test_a_duplicated_sequence_number_is_named():
    events = _chain(3)
    events.insert(2, dict(events[1]))
    broken, _, _ = first_break(events)
    assert broken.seq == 2 and "重复" in broken.reason


def test_renumbered_events_after_a_deletion_are_caught_by_the_previous_hash():
    events = _chain(5)
    del events[1]
    for event in events[1:]:
        event["seq"] -= 1
    broken, _, _ = first_break(events)
    assert broken.seq == 2 and "前一哈希" in broken.reason
