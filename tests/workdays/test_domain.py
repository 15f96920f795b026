"""The working-day calendar and deadline counting, on the State Council's real schedules (no database)."""

from datetime import date, timedelta

import pytest

from yijianshi.workdays.domain import (
    WorkCalendar,
    add_working_days,
    due_date,
    remaining_working_days,
    working_days_between,
)


def _days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


# --- 国庆节、中秋节 2025: 10月1日至8日放假，9月28日（周日）、10月11日（周六）上班 --------------------------------

def test_national_day_2025_holiday_and_its_two_weekend_working_days():
    calendar = WorkCalendar()
    assert all(not calendar.is_workday(d) for d in _days(date(2025, 10, 1), date(2025, 10, 8)))
    assert date(2025, 9, 28).weekday() == 6 and calendar.is_workday(date(2025, 9, 28))
    assert date(2025, 10, 11).weekday() == 5 and calendar.is_workday(date(2025, 10, 11))
    assert not calendar.is_workday(date(2025, 10, 12))  # an ordinary Sunday
    assert calendar.known(date(2025, 10, 1))


def test_an_application_received_before_national_day_counts_from_the_next_working_day():
    # Received Tuesday 30 September: the first working day after it is Thursday 9 October.
    assert add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert add_working_days(date(2025, 9, 30), 3) == date(2025, 10, 11)  # the 调休 Saturday counts
    assert add_working_days(date(2025, 9, 30), 4) == date(2025, 10, 13)
    assert working_days_between(date(2025, 9, 30), date(2025, 10, 12)) == 3


def test_a_tiaoxiu_sunday_is_counted_as_a_working_day():
    # Received Friday 26 September 2025: day 1 is Sunday 28 September (调休上班), not Monday 29.
    assert add_working_days(date(2025, 9, 26), 1) == date(2025, 9, 28)
    assert add_working_days(date(2025, 9, 26), 2) == date(2025, 9, 29)
    assert working_days_between(date(2025, 9, 26), date(2025, 9, 28)) == 1


# --- 春节 2026: 2月15日至23日放假，2月14日（周六）、2月28日（周六）上班 -------------------------------------

def test_spring_festival_2026_holiday_and_its_saturday_working_days():
    calendar = WorkCalendar()
    assert all(not calendar.is_workday(d) for d in _days(date(2026, 2, 15), date(2026, 2, 23)))
    assert calendar.is_workday(date(2026, 2, 14)) and calendar.is_workday(date(2026, 2, 28))
    assert calendar.is_workday(date(2026, 2, 24))


def test_a_twenty_day_deadline_across_spring_festival_2026():
    # Received Friday 13 February: 14 Feb (Sat, 调休), then from 24 Feb; 28 Feb (Sat, 调休) is the 6th.
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)
    assert add_working_days(date(2026, 2, 13), 6) == date(2026, 2, 28)
    assert add_working_days(date(2026, 2, 13), 20) == date(2026, 3, 19)
    assert working_days_between(date(2026, 2, 13), date(2026, 3, 19)) == 20


# --- 即办件 (n = 0) ----------------------------------------------------------------------------------------

def test_an_immediate_case_received_on_a_holiday_is_due_the_next_working_day():
    assert add_working_days(date(2025, 10, 1), 0) == date(2025, 10, 9)
    assert add_working_days(date(2026, 2, 15), 0) == date(2026, 2, 24)


def test_an_immediate_case_received_on_a_working_day_is_due_that_day():
    assert add_working_days(date(2025, 10, 9), 0) == date(2025, 10, 9)
    assert add_working_days(date(2025, 10, 11), 0) == date(2025, 10, 11)  # 调休 Saturday


def test_a_negative_number_of_days_is_refused():
    with pytest.raises(ValueError):
        add_working_days(date(2025, 10, 9), -1)


# --- pauses (中止计时) and extensions ----------------------------------------------------------------------

def test_without_pauses_the_due_date_is_the_plain_count():
    assert due_date(date(2025, 9, 22), 10, []) == add_working_days(date(2025, 9, 22), 10) == date(2025, 10, 11)


def test_a_pause_spanning_national_day_only_stops_the_working_days_inside_it():
    # Received Monday 22 Sep 2025, 10 working days. Days 1-5: 23, 24, 25, 26, 28 (Sun, 调休).
    # Paused Monday 29 Sep (补正材料), resumed Friday 10 Oct: 29, 30 Sep and 9, 10 Oct do not count,
    # the holiday in between never did. Days 6-10: 11 (Sat, 调休), 13, 14, 15, 16 Oct.
    assert due_date(date(2025, 9, 22), 10, [(date(2025, 9, 29), date(2025, 10, 10))]) == date(2025, 10, 16)


def test_the_day_of_resumption_does_not_count_and_the_next_day_does():
    # Paused and resumed the same Thursday 9 Oct 2025: only that day is lost.
    assert due_date(date(2025, 9, 30), 2, [(date(2025, 10, 9), date(2025, 10, 9))]) == date(2025, 10, 11)


def test_several_pauses_add_up():
    pauses = [(date(2026, 3, 2), date(2026, 3, 3)), (date(2026, 3, 5), date(2026, 3, 5))]
    # Received Friday 27 Feb 2026; counted: 28 Feb (Sat, 调休), 4, 6, 9 March.
    assert due_date(date(2026, 2, 27), 4, pauses) == date(2026, 3, 9)


def test_a_pause_after_the_deadline_changes_nothing():
    assert due_date(date(2025, 10, 9), 2, [(date(2025, 10, 20), date(2025, 10, 24))]) == date(2025, 10, 11)


def test_while_still_paused_the_due_date_is_unknown():
    pauses = [(date(2025, 9, 24), date(2025, 9, 25)), (date(2025, 9, 29), None)]
    assert due_date(date(2025, 9, 22), 10, pauses) is None
    assert remaining_working_days(date(2025, 10, 9), None) is None


def test_a_pause_resumed_before_it_started_is_refused():
    with pytest.raises(ValueError):
        due_date(date(2025, 9, 22), 10, [(date(2025, 9, 29), date(2025, 9, 26))])


def test_an_extension_is_just_more_days():
    # 20 working days plus a 10-day extension (延期) from 13 Feb 2026.
    assert due_date(date(2026, 2, 13), 20 + 10, []) == add_working_days(date(2026, 2, 13), 30) == date(2026, 4, 2)


# --- remaining days -----------------------------------------------------------------------------------------

def test_remaining_working_days_before_on_and_after_the_due_date():
    due = date(2025, 10, 10)
    assert remaining_working_days(date(2025, 9, 30), due) == 2   # 9 and 10 October
    assert remaining_working_days(date(2025, 10, 10), due) == 0  # due today
    assert remaining_working_days(date(2025, 10, 13), due) == -2  # overdue by 11 (调休) and 13 October


# --- a year the package does not know yet, and the administrators' overrides ---------------------------------

def test_an_unknown_year_falls_back_to_monday_to_friday_and_says_it_guessed():
    calendar = WorkCalendar()
    assert not calendar.known(date(2031, 1, 3))
    # Friday 3 January 2031: the next working day is Monday 6 January, weekends excluded.
    assert calendar.add_working_days(date(2031, 1, 3), 1) == date(2031, 1, 6)
    assert calendar.is_workday(date(2031, 1, 1))  # New Year's Day is unknown too: a Wednesday, guessed working
    assert 2031 in calendar.guessed_years
    assert calendar.working_days_between(date(2030, 12, 31), date(2031, 1, 7)) > 0


def test_a_deadline_crossing_into_an_unknown_year_does_not_crash():
    calendar = WorkCalendar()
    # Friday 20 Dec 2030 + 10: 23-27 and 30, 31 December, then 1-3 January 2031 (New Year guessed working).
    assert calendar.due_date(date(2030, 12, 20), 10, []) == date(2031, 1, 3)
    assert 2031 in calendar.guessed_years


def test_overrides_win_over_the_package():
    overrides = {
        date(2025, 10, 8): True,   # hypothetically, the county works on 8 October
        date(2025, 10, 9): False,  # and closes on the 9th
    }
    calendar = WorkCalendar(overrides)
    assert calendar.is_workday(date(2025, 10, 8)) and not calendar.is_workday(date(2025, 10, 9))
    assert calendar.add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 8)
    assert calendar.add_working_days(date(2025, 9, 30), 2) == date(2025, 10, 10)
    assert WorkCalendar().add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)


def test_overrides_make_an_unknown_year_known():
    calendar = WorkCalendar({date(2031, 1, 1): False})
    assert calendar.known(date(2031, 1, 1)) and not calendar.is_workday(date(2031, 1, 1))
    assert calendar.add_working_days(date(2030, 12, 31), 1) == date(2031, 1, 2)
    assert calendar.guessed_years == {2031}  # 2 January was still a guess


def test_overrides_may_be_a_function_and_the_fallback_may_be_replaced():
    closed_tuesdays = WorkCalendar(lambda d: False if d.weekday() == 1 else None, fallback=lambda d: d.weekday() < 5)
    # Monday 5 Jan 2026 -> Tuesday is closed -> Wednesday 7 January.
    assert closed_tuesdays.add_working_days(date(2026, 1, 5), 1) == date(2026, 1, 7)


def test_a_calendar_without_any_working_day_fails_loudly_instead_of_looping():
    with pytest.raises(ValueError):
        WorkCalendar(lambda d: False).add_working_days(date(2026, 1, 5), 1)
