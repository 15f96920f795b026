"""Many kiosks and windows at the same moment: every number is taken once, and two windows pressing 叫下一位 together
never call the same person."""

import threading

import pytest
from django.db import connection

from tests.hall.conftest import load_windows
from yijianshi.hall import services
from yijianshi.hall.models import QueueTicket, Window, WindowService
from yijianshi.organizations.models import ServicePoint

pytestmark = pytest.mark.django_db(transaction=True)


def _needs_real_connections():
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(("file:memorydb", ":memory:")):
        pytest.skip("an in-memory SQLite test database is one connection; the PostgreSQL run proves this")


def _together(count, work):
    start = threading.Barrier(count)
    results, errors = [], []

    def run(n):
        try:
            start.wait()
            results.append(work(n))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_simultaneous_takes_get_distinct_numbers(catalog):
    _needs_real_connections()
    load_windows()
    hall = ServicePoint.objects.get(code="county-hall")
    results, errors = _together(12, lambda n: services.ticket_take(service_point=hall, category_code="general").number)
    assert errors == []
    assert sorted(results) == [f"A{n:03d}" for n in range(1, 13)]


def test_two_windows_calling_at_once_never_call_the_same_person(catalog, make_staff):
    _needs_real_connections()
    load_windows()
    hall = ServicePoint.objects.get(code="county-hall")
    clerks = [make_staff(f"clerk-{n}", "window_clerk", service_point="county-hall") for n in range(3)]
    for _ in range(5):
        services.ticket_take(service_point=hall, category_code="general")
    windows = list(Window.objects.filter(service_point=hall, number__in=["A01", "A02", "A03"]).order_by("number"))
    results, errors = _together(3, lambda n: services.call_next(user=clerks[n], window=windows[n]))
    assert errors == []
    called = [t.pk for t in results if t is not None]
    assert len(called) == len(set(called)) == 3
    assert QueueTicket.objects.filter(status=QueueTicket.Status.CALLED).count() == 3
    assert WindowService.objects.count() == 3
