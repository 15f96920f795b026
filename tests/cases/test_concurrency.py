"""Two department officers act on the same task at the same moment: exactly one wins, the other is told why."""

import threading

import pytest
from django.db import connection

from tests.cases.factories import key, submission_for
from yijianshi.accounts.services import acting_context
from yijianshi.cases import services
from yijianshi.cases.models import Task


@pytest.mark.django_db(transaction=True)
def test_simultaneous_claims_leave_one_winner(catalog, resident, make_staff, settings, tmp_path):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(("file:memorydb", ":memory:")):
        pytest.skip("an in-memory SQLite test database is one connection; the PostgreSQL run proves this")
    settings.UPLOAD_ROOT = tmp_path
    clerk = make_staff("clerk", "window_clerk", service_point="county-hall")
    officers = [make_staff(f"officer-{n}", "department_officer", department="wjj") for n in range(6)]
    case, _ = services.case_submit(context=acting_context(resident), submission=submission_for("newborn", owner=resident),
                                   idempotency_key=key())
    services.case_accept(user=clerk, case=case)
    task = case.tasks.get(item_version__item__code="WJJ-001")
    start = threading.Barrier(len(officers))
    outcomes = []

    def claim(officer):
        try:
            start.wait()
            services.task_claim(user=officer, task=task)
            outcomes.append(("won", officer.pk))
        except services.Conflict as conflict:
            outcomes.append(("lost", conflict.message))
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(o,)) for o in officers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [who for outcome, who in outcomes if outcome == "won"]
    assert len(winners) == 1 and len(outcomes) == len(officers)
    assert all("办理中" in message for outcome, message in outcomes if outcome == "lost")
    assert Task.objects.get(pk=task.pk).claimed_by_id == winners[0]
