"""The queue's rules without a database: who is 70, how numbers look, the order of calling, the wait estimate."""

from datetime import date, datetime

from yijianshi.hall import domain


def test_seventy_is_counted_from_the_birthday():
    born = date(1956, 12, 1)
    assert not domain.is_aged(born, date(2026, 11, 30))
    assert domain.is_aged(born, date(2026, 12, 1))
    assert not domain.is_aged(None, date(2026, 12, 1))


def test_numbers_carry_the_category_letter_and_three_digits():
    assert domain.number_text("A", 17) == "A017"
    assert domain.number_text("C", 1) == "C001"
    assert domain.number_text("A", 1234) == "A1234"


def test_green_channel_comes_first_then_first_come():
    early, late = datetime(2026, 11, 30, 9, 0), datetime(2026, 11, 30, 9, 30)
    tickets = [("ordinary early", 1, early, 1), ("green late", 0, late, 3), ("ordinary late", 1, late, 2),
               ("green early", 0, early, 4)]
    ordered = sorted(tickets, key=lambda t: domain.queue_key(t[1], t[2], t[3]))
    assert [t[0] for t in ordered] == ["green early", "green late", "ordinary early", "ordinary late"]


def test_the_wait_is_the_people_ahead_times_the_measured_service_time_shared_by_the_windows():
    assert domain.estimate_wait_minutes(0, [5.0], 1, 8) == 0
    assert domain.estimate_wait_minutes(3, [], 1, 8) == 24            # no service ended today: the default
    assert domain.estimate_wait_minutes(3, [4.0, 6.0], 1, 8) == 15    # measured: 5 minutes each
    assert domain.estimate_wait_minutes(3, [4.0, 6.0], 2, 8) == 8     # two windows share the queue
    assert domain.estimate_wait_minutes(1, [0.2], 4, 8) == 1          # never promises "0 minutes" to someone waiting


def test_percentile_is_the_nearest_rank():
    assert domain.percentile([], 95) == 0
    assert domain.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95) == 10
    assert domain.percentile([3, 1, 2], 50) == 2
