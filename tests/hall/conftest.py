"""Fixtures of the hall tests: the windows of data/hall/windows.yaml, and staff of the county hall and of a town."""

import pytest
from django.core.management import call_command


def load_windows():
    call_command("load_hall", stdout=open("/dev/null", "w"))


@pytest.fixture
def hall(db):
    """The county hall with its windows and categories loaded; returns the county hall's ServicePoint."""
    from yijianshi.organizations.models import ServicePoint

    load_windows()
    return ServicePoint.objects.get(code="county-hall")


@pytest.fixture
def window():
    """window("A01") -> the county hall's window of that number (window("01", "town-610830100") for a town)."""
    from yijianshi.hall.models import Window

    def get(number, point="county-hall"):
        return Window.objects.select_related("service_point", "department").get(
            number=number, service_point__code=point)

    return get


@pytest.fixture
def clerk(make_staff):
    return make_staff("clerk", "window_clerk", service_point="county-hall")


@pytest.fixture
def town_clerk(make_staff):
    return make_staff("town-clerk", "window_clerk", service_point="town-610830100")


@pytest.fixture
def helper(make_staff):
    return make_staff("helper", "helper", service_point="county-hall")


@pytest.fixture
def supervisor(make_staff):
    return make_staff("supervisor", "supervisor")
