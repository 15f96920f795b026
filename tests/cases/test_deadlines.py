"""Case and task deadlines in working days, with time frozen: across 国庆, with the applicant's waiting time
left out, and extended only by a leader."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.cases.factories import key, submission_for
from yijianshi.accounts.permissions import NotAllowed
from yijianshi.accounts.services import InvalidInput, acting_context
from yijianshi.cases import services
from yijianshi.cases.models import Case, Task

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")



def _at(day: date, hour=10):
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI), tick=False)


def test_a_case_submitted_before_national_day_is_due_after_the_holiday(resident, make_staff):
    clerk = make_staff("clerk", "window_clerk", service_point="county-hall")
    with _at(date(2025, 9, 30)):
        case, _ = services.case_submit(context=acting_context(resident), submission=submission_for("newborn", owner=resident),
                                       idempotency_key=key())
        services.case_accept(user=clerk, case=case)
    case.refresh_from_db()
    # 2025: Oct 1–8 are holidays and Oct 11 (Saturday) is a working day; counting starts the next working day.
    from yijianshi.workdays.domain import add_working_days

    assert case.promised_days >= 1
    assert add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)

    assert case.due_date == add_working_days(date(2025, 9, 30), case.promised_days)
    assert case.due_date >= date(2025, 10, 9)  # never inside the holiday
    task = case.tasks.get(item_version__item__code="WJJ-001")
    assert task.started_on == date(2025, 9, 30)
    assert task.due_date == add_working_days(date(2025, 9, 30), task.promised_days)


def test_waiting_for_the_applicant_does_not_count(resident, make_staff):
    clerk = make_staff("clerk", "window_clerk", service_point="county-hall")
    with _at(date(2026, 3, 2)):  # a Monday
        case, _ = services.case_submit(context=acting_context(resident), submission=submission_for("newborn", owner=resident),
                                       idempotency_key=key())
        first_due = Case.objects.get(pk=case.pk).due_date
        services.case_request_correction(user=clerk, case=case, problems=[{"target": "", "message": "照片不清晰"}])
    with _at(date(2026, 3, 9)):  # a week later the applicant corrects
        services.case_correct(context=acting_context(resident), case=case, form_data={})
    case.refresh_from_db()
    from yijianshi.workdays.domain import due_date

    assert case.due_date == due_date(date(2026, 3, 2), case.promised_days, [(date(2026, 3, 2), date(2026, 3, 9))])
    assert case.due_date > first_due  # the six waiting working days were added back


def test_only_a_department_leader_extends_a_task(resident, make_staff):
    clerk = make_staff("clerk", "window_clerk", service_point="county-hall")
    officer = make_staff("officer", "department_officer", department="wjj")
    leader = make_staff("leader", "department_leader", department="wjj")
    with _at(date(2026, 4, 1)):
        case, _ = services.case_submit(context=acting_context(resident), submission=submission_for("newborn", owner=resident),
                                       idempotency_key=key())
        services.case_accept(user=clerk, case=case)
        task = case.tasks.get(item_version__item__code="WJJ-001")
        before = Task.objects.get(pk=task.pk).due_date
        with pytest.raises(NotAllowed):
            services.task_extend(user=officer, task=task, days=5, reason="需要现场核实")
        with pytest.raises(InvalidInput, match="延长天数"):
            services.task_extend(user=leader, task=task, days=40, reason="需要现场核实")
        extended = services.task_extend(user=leader, task=task, days=5, reason="需要现场核实助产记录")
    assert extended.extension_days == 5 and extended.due_date > before
    assert case.events.filter(kind="task_extended").exists()
