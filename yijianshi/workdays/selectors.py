"""The working-day calendar as the platform uses it: the national schedule plus the administrators' overrides."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date

from django.core.cache import cache
from django.utils import timezone

from yijianshi.workdays.domain import Pause, WorkCalendar
from yijianshi.workdays.models import WorkdayOverride

logger = logging.getLogger(__name__)

_CACHE_KEY = "workdays:overrides"
# The services clear the key on every change; the timeout only bounds staleness where the cache is per process
# (LocMemCache in development, several workers) and a change was made in another process.
_CACHE_SECONDS = 300


def workday_overrides() -> dict[date, bool]:
    """{date: is_workday} for every override; read from the cache, the table is small and rarely changes."""
    overrides = cache.get(_CACHE_KEY)
    if overrides is None:
        overrides = dict(WorkdayOverride.objects.values_list("date", "is_workday"))
        cache.set(_CACHE_KEY, overrides, _CACHE_SECONDS)
    return overrides


def overrides_cache_clear() -> None:
    """Called by the services whenever an override is written or removed."""
    cache.delete(_CACHE_KEY)


def work_calendar() -> WorkCalendar:
    return WorkCalendar(workday_overrides())


_WARNED_YEARS: set[int] = set()


def _warn_if_guessed(calendar: WorkCalendar) -> None:
    """Once per process and year: the same missing year would otherwise be logged on every deadline."""
    new = set(calendar.guessed_years) - _WARNED_YEARS
    if new:
        _WARNED_YEARS.update(new)
        # Not an error: deadlines still come out (Monday to Friday), but someone should enter that year's
        # schedule as overrides or upgrade chinese-calendar.
        logger.warning("工作日历缺少 %s 年的节假日安排，按周一至周五计算；请在“工作日调整”中录入或升级 chinese-calendar",
                       "、".join(map(str, sorted(calendar.guessed_years))))


def is_workday(day: date) -> bool:
    calendar = work_calendar()
    result = calendar.is_workday(day)
    _warn_if_guessed(calendar)
    return result


def add_working_days(start: date, n: int) -> date:
    calendar = work_calendar()
    result = calendar.add_working_days(start, n)
    _warn_if_guessed(calendar)
    return result


def working_days_between(start: date, end: date) -> int:
    calendar = work_calendar()
    result = calendar.working_days_between(start, end)
    _warn_if_guessed(calendar)
    return result


def due_date(start: date, days: int, pauses: Iterable[Pause] = ()) -> date | None:
    calendar = work_calendar()
    result = calendar.due_date(start, days, pauses)
    _warn_if_guessed(calendar)
    return result


def remaining_working_days(due: date | None, *, today: date | None = None) -> int | None:
    """Working days left until ``due`` (0 = due today, negative = overdue); today is the local date by default."""
    calendar = work_calendar()
    result = calendar.remaining_working_days(today or timezone.localdate(), due)
    _warn_if_guessed(calendar)
    return result
