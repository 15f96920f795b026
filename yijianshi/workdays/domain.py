"""Working days (工作日) on the Chinese calendar, and deadlines counted in them. Plain Python: no database.

The rules, as practised under 《行政许可法》第八十二条 (deadlines in working days, statutory holidays excluded)
and 《民法典》第二百零一条 (the day on which a period starts is not counted):

- An application received on day D is counted from the next working day: ``add_working_days(D, n)`` is the n-th
  working day after D. ``n == 0`` is an immediate case (即办件): D itself if it is a working day, else the next one.
- Working days follow the State Council's yearly schedule with its 调休 (a Saturday or Sunday may be a working
  day, a weekday may be a holiday), as published by the ``chinese_calendar`` package, overridden by the
  administrators' own table (a day off the county declares, or a year the package does not know yet).
- A pause (中止/暂停计时, e.g. waiting for 补正材料, an expert review or a public notice) stops the clock on the
  day it starts and restarts it the day after it ends: the working days from ``paused_on`` to ``resumed_on``
  inclusive do not count. While a pause is still open the due date is unknown (None).
- An extension (延期) is just more days: ``due_date(start, days + extra_days, pauses)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta

import chinese_calendar

Pause = tuple[date, date | None]
Overrides = Mapping[date, bool] | Callable[[date], bool | None]

# A calendar with no working day for this long is broken data; refuse rather than loop for ever.
_MAX_IDLE_DAYS = 3660
_ONE_DAY = timedelta(days=1)


def _as_date(value: date) -> date:
    # datetime is a subclass of date: a datetime would never equal the date keys of the overrides.
    if isinstance(value, datetime):
        return value.date()
    if not isinstance(value, date):
        raise TypeError(f"expected a date, got {type(value).__name__}")
    return value


class WorkCalendar:
    """Answers "is this a working day?" and counts deadlines.

    ``overrides`` is a mapping {date: is_workday} or a function returning True/False for an overridden day and
    None otherwise; overrides always win. ``fallback`` answers the other days (by default the State Council's
    schedule from ``chinese_calendar``); when it raises NotImplementedError (a year it has no data for) the
    calendar guesses Monday to Friday and records the year in ``guessed_years`` -- it never crashes.
    """

    def __init__(self, overrides: Overrides | None = None,
                 fallback: Callable[[date], bool] = chinese_calendar.is_workday):
        if overrides is None:
            self._override: Callable[[date], bool | None] = lambda d: None
        elif callable(overrides):
            self._override = overrides
        else:
            table = {_as_date(d): bool(v) for d, v in overrides.items()}
            self._override = table.get
        self._fallback = fallback
        self.guessed_years: set[int] = set()

    # --- single days -------------------------------------------------------------------------------------

    def _official(self, d: date) -> bool | None:
        try:
            return bool(self._fallback(d))
        except NotImplementedError:
            return None

    def is_workday(self, d: date) -> bool:
        d = _as_date(d)
        override = self._override(d)
        if override is not None:
            return bool(override)
        official = self._official(d)
        if official is None:
            self.guessed_years.add(d.year)
            return d.weekday() < 5
        return official

    def known(self, d: date) -> bool:
        """False when ``is_workday(d)`` would be a Monday-to-Friday guess rather than a published answer."""
        d = _as_date(d)
        return self._override(d) is not None or self._official(d) is not None

    def next_working_day(self, d: date, *, include: bool = False) -> date:
        """The first working day after ``d`` (or from ``d`` on, with include=True)."""
        return self._walk(_as_date(d) if include else _as_date(d) + _ONE_DAY, lambda day: self.is_workday(day))

    # --- counting ----------------------------------------------------------------------------------------

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start``; n == 0: ``start`` if it is a working day, else the next one."""
        return self._count(_as_date(start), n, counts=self.is_workday)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]. Negative when ``end`` is before ``start``: -(working days in (end, start])."""
        start, end = _as_date(start), _as_date(end)
        if end < start:
            return -self.working_days_between(end, start)
        total, day = 0, start + _ONE_DAY
        while day <= end:
            total += self.is_workday(day)
            day += _ONE_DAY
        return total

    def due_date(self, start: date, days: int, pauses: Iterable[Pause] = ()) -> date | None:
        """The day a ``days``-working-day deadline from ``start`` falls due, the clock stopped during ``pauses``.

        Each pause is (paused_on, resumed_on), resumed_on None while still paused -- then the due date is unknown
        and None is returned. Working days from paused_on to resumed_on inclusive do not count. For an extension
        pass ``days + extra_days``.
        """
        start = _as_date(start)
        intervals = []
        for paused_on, resumed_on in pauses:
            if resumed_on is None:
                return None
            paused_on, resumed_on = _as_date(paused_on), _as_date(resumed_on)
            if resumed_on < paused_on:
                raise ValueError(f"pause resumed ({resumed_on}) before it started ({paused_on})")
            intervals.append((paused_on, resumed_on))

        def counts(day: date) -> bool:
            return self.is_workday(day) and not any(a <= day <= b for a, b in intervals)

        return self._count(start, days, counts=counts)

    def remaining_working_days(self, today: date, due: date | None) -> int | None:
        """Working days left until ``due`` as seen on ``today``: 0 when due today, negative when overdue (by that
        many working days), None when the due date is unknown (paused)."""
        if due is None:
            return None
        return self.working_days_between(today, due)

    # --- internals ---------------------------------------------------------------------------------------

    def _count(self, start: date, n: int, *, counts: Callable[[date], bool]) -> date:
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"the number of working days must be a whole number >= 0, got {n!r}")
        if n == 0:
            return self._walk(start, counts)
        day = start
        for _ in range(n):
            day = self._walk(day + _ONE_DAY, counts)
        return day

    @staticmethod
    def _walk(day: date, counts: Callable[[date], bool]) -> date:
        """The first day from ``day`` on (inclusive) for which ``counts`` holds."""
        first = day
        for _ in range(_MAX_IDLE_DAYS):
            if counts(day):
                return day
            day += _ONE_DAY
        raise ValueError(f"no working day within {_MAX_IDLE_DAYS} days from {first}: check the calendar overrides")


# Module-level helpers on the published schedule alone (no overrides): for scripts and tests. Application code
# uses yijianshi.workdays.selectors, which applies the administrators' overrides.

def add_working_days(start: date, n: int, calendar: WorkCalendar | None = None) -> date:
    return (calendar or WorkCalendar()).add_working_days(start, n)


def working_days_between(start: date, end: date, calendar: WorkCalendar | None = None) -> int:
    return (calendar or WorkCalendar()).working_days_between(start, end)


def due_date(start: date, days: int, pauses: Iterable[Pause] = (), calendar: WorkCalendar | None = None) -> date | None:
    return (calendar or WorkCalendar()).due_date(start, days, pauses)


def remaining_working_days(today: date, due: date | None, calendar: WorkCalendar | None = None) -> int | None:
    return (calendar or WorkCalendar()).remaining_working_days(today, due)
