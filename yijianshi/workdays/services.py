"""Writing the administrators' working-day overrides: permission, audit and cache invalidation in one place."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction

from yijianshi.accounts.permissions import require_permission
from yijianshi.accounts.services import InvalidInput
from yijianshi.audit.services import audit_record
from yijianshi.workdays import selectors
from yijianshi.workdays.models import WorkdayOverride

_REASON_MAX = WorkdayOverride._meta.get_field("reason").max_length


def _snapshot(override: WorkdayOverride | None) -> dict | None:
    if override is None:
        return None
    return {"date": override.date.isoformat(), "is_workday": override.is_workday, "reason": override.reason}


def _check_day(day) -> date:
    if isinstance(day, datetime):
        day = day.date()
    if not isinstance(day, date):
        raise InvalidInput("date", "日期：必填")
    return day


def _calendar_changed() -> None:
    # Now, so the rest of this request sees the change; again on commit, because another request may have
    # cached the old table between this write and the commit.
    selectors.overrides_cache_clear()
    transaction.on_commit(selectors.overrides_cache_clear)


@transaction.atomic
def workday_override_set(*, user, day: date, is_workday: bool, reason: str) -> WorkdayOverride:
    """Declare ``day`` a working day or a day off, whatever the national schedule says; replaces an earlier
    override of the same day (the first setter and time are kept; the audit trail has every change)."""
    require_permission(user, "staff.manage")
    day = _check_day(day)
    if not isinstance(is_workday, bool):
        raise InvalidInput("is_workday", "安排：请选择上班或休息")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("reason", "原因：必填")
    if len(reason) > _REASON_MAX:
        raise InvalidInput("reason", f"原因：不超过 {_REASON_MAX} 个字符")
    override = WorkdayOverride.objects.select_for_update().filter(date=day).first()
    before = _snapshot(override)
    if override is None:
        override = WorkdayOverride.objects.create(date=day, is_workday=is_workday, reason=reason, created_by=user)
    else:
        override.is_workday, override.reason = is_workday, reason
        override.save(update_fields=["is_workday", "reason"])
    audit_record(action="workdays.override_set", object_type="workdays.override", object_id=day.isoformat(),
                 actor=user, reason=reason, before=before, after=_snapshot(override))
    _calendar_changed()
    return override


@transaction.atomic
def workday_override_remove(*, user, day: date) -> None:
    """Drop the override of ``day``: the national schedule (or the Monday-to-Friday guess) applies again."""
    require_permission(user, "staff.manage")
    day = _check_day(day)
    override = WorkdayOverride.objects.select_for_update().filter(date=day).first()
    if override is None:
        raise InvalidInput("date", f"日期：{day:%Y-%m-%d} 没有工作日调整")
    before = _snapshot(override)
    override.delete()
    audit_record(action="workdays.override_remove", object_type="workdays.override", object_id=day.isoformat(),
                 actor=user, before=before, after=None)
    _calendar_changed()
