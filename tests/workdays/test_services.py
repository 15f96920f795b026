"""Administrators' working-day overrides: who may set them, the audit trail, and deadlines seeing them at once."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from yijianshi.accounts.permissions import NotAllowed
from yijianshi.accounts.services import InvalidInput
from yijianshi.audit.models import AuditEvent
from yijianshi.audit.selectors import chain_verify, events_filter
from yijianshi.workdays import selectors
from yijianshi.workdays.models import WorkdayOverride
from yijianshi.workdays.services import workday_override_remove, workday_override_set

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NATIONAL_DAY_EVE = date(2025, 9, 30)  # Tuesday; 1-8 October 2025 is the National Day holiday


def test_an_administrators_override_changes_deadlines_at_once(system_admin):
    assert selectors.add_working_days(NATIONAL_DAY_EVE, 1) == date(2025, 10, 9)  # also fills the cache

    workday_override_set(user=system_admin, day=date(2025, 10, 8), is_workday=True, reason="县政府通知：10月8日正常上班")
    assert selectors.add_working_days(NATIONAL_DAY_EVE, 1) == date(2025, 10, 8)
    assert selectors.due_date(NATIONAL_DAY_EVE, 2, [(date(2025, 10, 8), date(2025, 10, 8))]) == date(2025, 10, 10)

    workday_override_remove(user=system_admin, day=date(2025, 10, 8))
    assert selectors.add_working_days(NATIONAL_DAY_EVE, 1) == date(2025, 10, 9)


def test_the_calendar_is_read_from_the_cache_until_a_service_changes_it(system_admin):
    assert selectors.add_working_days(NATIONAL_DAY_EVE, 1) == date(2025, 10, 9)
    # A row written behind the services' back is not seen: the overrides come from the cache...
    WorkdayOverride.objects.create(date=date(2025, 10, 8), is_workday=True, reason="直接写入")
    assert selectors.add_working_days(NATIONAL_DAY_EVE, 1) == date(2025, 10, 9)
    # ...which any change through the services clears.
    workday_override_set(user=system_admin, day=date(2025, 10, 9), is_workday=False, reason="临时放假")
    assert selectors.add_working_days(NATIONAL_DAY_EVE, 1) == date(2025, 10, 8)


def test_an_override_can_declare_a_day_off_on_a_weekday(system_admin):
    workday_override_set(user=system_admin, day=date(2026, 3, 2), is_workday=False, reason="防汛应急临时放假")
    # Friday 27 Feb 2026 -> 28 Feb (Sat, 调休) -> Monday 2 March is off -> Tuesday 3 March.
    assert selectors.add_working_days(date(2026, 2, 27), 2) == date(2026, 3, 3)
    assert not selectors.is_workday(date(2026, 3, 2))


def test_overrides_fill_in_a_year_the_package_does_not_know(system_admin, caplog):
    with caplog.at_level("WARNING", logger="yijianshi.workdays.selectors"):
        assert selectors.add_working_days(date(2030, 12, 31), 1) == date(2031, 1, 1)  # guessed Mon-Fri
    assert "2031" in caplog.text
    workday_override_set(user=system_admin, day=date(2031, 1, 1), is_workday=False, reason="元旦")
    assert selectors.add_working_days(date(2030, 12, 31), 1) == date(2031, 1, 2)


def test_setting_an_override_is_audited_with_before_and_after(system_admin):
    day = date(2025, 10, 8)
    workday_override_set(user=system_admin, day=day, is_workday=True, reason="  县政府通知  ")
    workday_override_set(user=system_admin, day=day, is_workday=False, reason="通知撤回")
    workday_override_remove(user=system_admin, day=day)

    sets = list(events_filter(action="workdays.override_set", object_id="2025-10-08").order_by("seq"))
    assert [(e.actor_user_id, e.object_type) for e in sets] == [(system_admin.pk, "workdays.override")] * 2
    assert sets[0].before is None
    assert sets[0].after == {"date": "2025-10-08", "is_workday": True, "reason": "县政府通知"}
    assert sets[1].before == sets[0].after
    assert sets[1].after == {"date": "2025-10-08", "is_workday": False, "reason": "通知撤回"}
    removed = events_filter(action="workdays.override_remove").get()
    assert removed.before == sets[1].after and removed.after is None
    assert not WorkdayOverride.objects.exists()
    assert chain_verify().ok


def test_staff_without_the_administrators_right_are_refused(make_staff):
    catalog_admin = make_staff("catalog1", "catalog_admin")
    events_before = AuditEvent.objects.count()
    with pytest.raises(NotAllowed):
        workday_override_set(user=catalog_admin, day=date(2025, 10, 8), is_workday=True, reason="想早点上班")
    WorkdayOverride.objects.create(date=date(2025, 10, 9), is_workday=False, reason="已有")
    with pytest.raises(NotAllowed):
        workday_override_remove(user=catalog_admin, day=date(2025, 10, 9))
    assert list(WorkdayOverride.objects.values_list("date", flat=True)) == [date(2025, 10, 9)]
    assert AuditEvent.objects.count() == events_before


def test_a_reason_is_required(system_admin):
    with pytest.raises(InvalidInput) as refused:
        workday_override_set(user=system_admin, day=date(2025, 10, 8), is_workday=True, reason="   ")
    assert (refused.value.field, refused.value.message) == ("reason", "原因：必填")
    assert not WorkdayOverride.objects.exists()
    assert not events_filter(action="workdays.").exists()


def test_removing_a_day_without_an_override_is_refused_in_chinese(system_admin):
    with pytest.raises(InvalidInput) as refused:
        workday_override_remove(user=system_admin, day=date(2025, 10, 8))
    assert refused.value.field == "date" and "没有工作日调整" in refused.value.message


def test_remaining_working_days_count_from_the_local_today(system_admin):
    due = selectors.due_date(NATIONAL_DAY_EVE, 2, [])
    assert due == date(2025, 10, 10)
    # 20:00 UTC on 30 September is already 1 October in 清涧: the holiday, 2 working days (9, 10 Oct) still left.
    with time_machine.travel(datetime(2025, 9, 30, 20, 0, tzinfo=ZoneInfo("UTC")), tick=False):
        assert selectors.remaining_working_days(due) == 2
    with time_machine.travel(datetime(2025, 10, 10, 9, 0, tzinfo=SHANGHAI), tick=False):
        assert selectors.remaining_working_days(due) == 0
    with time_machine.travel(datetime(2025, 10, 13, 9, 0, tzinfo=SHANGHAI), tick=False):
        assert selectors.remaining_working_days(due) == -2  # 11 Oct (Sat, 调休) and 13 Oct
        workday_override_set(user=system_admin, day=date(2025, 10, 11), is_workday=False, reason="调休取消")
        assert selectors.remaining_working_days(due) == -1
    assert selectors.remaining_working_days(None) is None


# --- the Django admin goes through the services ---------------------------------------------------------------

def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_adding_and_deleting_in_the_admin_goes_through_the_services(system_admin):
    client = _client(system_admin)
    response = client.post("/admin/workdays/workdayoverride/add/",
                           {"date": "2025-10-08", "is_workday": "True", "reason": "县政府通知：正常上班"})
    assert response.status_code == 302, response.content.decode()[:2000]
    override = WorkdayOverride.objects.get()
    assert (override.date, override.is_workday, override.created_by) == (date(2025, 10, 8), True, system_admin)
    assert events_filter(action="workdays.override_set", actor_user_id=system_admin.pk).exists()
    assert selectors.add_working_days(NATIONAL_DAY_EVE, 1) == date(2025, 10, 8)

    listing = client.get("/admin/workdays/workdayoverride/")
    assert listing.status_code == 200 and "国家安排" in listing.content.decode()

    response = client.post("/admin/workdays/workdayoverride/", {
        "action": "delete_selected", "_selected_action": [override.pk], "post": "yes"})
    assert response.status_code == 302
    assert not WorkdayOverride.objects.exists()
    assert events_filter(action="workdays.override_remove", actor_user_id=system_admin.pk).exists()
    assert selectors.add_working_days(NATIONAL_DAY_EVE, 1) == date(2025, 10, 9)


def test_the_admin_refuses_a_blank_reason_on_the_form(system_admin):
    response = _client(system_admin).post("/admin/workdays/workdayoverride/add/",
                                          {"date": "2025-10-08", "is_workday": "True", "reason": "  "})
    assert response.status_code == 200
    assert "reason" in response.context["adminform"].form.errors
    assert not WorkdayOverride.objects.exists()


def test_the_admin_pages_are_closed_to_other_staff(make_staff):
    catalog_admin = make_staff("catalog1", "catalog_admin")  # may use the admin, for the catalog only
    client = _client(catalog_admin)
    assert client.get("/admin/workdays/workdayoverride/").status_code == 403
    assert client.post("/admin/workdays/workdayoverride/add/",
                       {"date": "2025-10-08", "is_workday": "True", "reason": "x"}).status_code == 403
    assert not WorkdayOverride.objects.exists()


def test_changing_an_override_in_the_admin_keeps_its_date_and_is_audited(system_admin):
    override = workday_override_set(user=system_admin, day=date(2025, 10, 8), is_workday=True, reason="上班")
    response = _client(system_admin).post(f"/admin/workdays/workdayoverride/{override.pk}/change/",
                                          {"date": "2025-10-20", "is_workday": "False", "reason": "通知撤回"})
    assert response.status_code == 302, response.content.decode()[:2000]
    override.refresh_from_db()
    assert (override.date, override.is_workday, override.reason) == (date(2025, 10, 8), False, "通知撤回")
    assert events_filter(action="workdays.override_set", object_id="2025-10-08").count() == 2
    assert selectors.add_working_days(NATIONAL_DAY_EVE, 1) == date(2025, 10, 9)
