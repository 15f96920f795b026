"""Shared fixtures: the real catalog from data/catalog/ is loaded once into the test database."""

import os

import pytest
from django.core.management import call_command

from yijianshi.audit.db import (
    append_only_triggers_present,
    install_append_only_triggers,
    remove_append_only_triggers,
)
from yijianshi.catalog.models import Bundle


def _ensure_catalog_loaded():
    if not Bundle.objects.exists():
        call_command("load_catalog", verbosity=0, stdout=open("/dev/null", "w"))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        _ensure_catalog_loaded()


@pytest.fixture
def catalog(django_db_blocker):
    """For transactional tests (browser, live server), whose flush empties the database between tests."""
    with django_db_blocker.unblock():
        _ensure_catalog_loaded()


_TRANSACTIONAL = {"transactional_db", "live_server", "django_db_serialized_rollback"}


@pytest.fixture(autouse=True)
def _audit_append_only_triggers(request, django_db_blocker):
    """Keep the audit table append-only in every database test, as in production. A transactional test empties
    the database afterwards (DELETE/TRUNCATE), which the triggers rightly refuse: they are lifted just for that
    flush (this fixture's teardown runs before it) and put back before the next test."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(_TRANSACTIONAL & set(request.fixturenames)) or bool(
        marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    if not (marker or transactional or {"db", "django_db_setup"} & set(request.fixturenames)):
        yield
        return
    request.getfixturevalue("django_db_setup")
    if transactional:
        request.getfixturevalue("transactional_db")
    from django.db import connection

    with django_db_blocker.unblock():
        if not append_only_triggers_present(connection):
            install_append_only_triggers(connection)
    yield
    if transactional:
        with django_db_blocker.unblock():
            remove_append_only_triggers(connection)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache, as a process would after a deploy."""
    from django.core.cache import cache

    yield
    cache.clear()


CHROMIUM = "/usr/bin/chromium"  # Debian's package; tests never download a browser


@pytest.fixture
def page():
    """A page in headless Chromium, in Chinese, as a resident or staff member would see it."""
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the live server's database work is in another.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}, accept_downloads=True)
        yield context.new_page()
        browser.close()


# --- People -------------------------------------------------------------------------------------------------
# Synthetic ID numbers (region 610830, valid check digits); nobody's real number.
RESIDENT_ID, RELATIVE_ID, REPRESENTATIVE_ID, ADMIN_ID = (
    "610830194001010096", "610830198307070102", "610830196003030110", "610830198001010019")
PASSWORD = "Qingjian-test-2026"


def make_id_number(birth: str, serial: int) -> str:
    """A valid synthetic ID number of 清涧县 for a birth date 'YYYYMMDD' and a serial (0-999)."""
    from stdnum.cn import ric

    base = f"610830{birth}{serial:03d}"
    return base + ric.calc_check_digit(base + "0")


@pytest.fixture
def system_admin(db):
    from yijianshi.accounts.services import system_admin_bootstrap

    return system_admin_bootstrap(username="sysadmin", name="王建国", id_number=ADMIN_ID, mobile="13990000001",
                                  password=PASSWORD)


@pytest.fixture
def make_staff(system_admin):
    """make_staff("officer1", "department_officer", department="rsj") -> a staff user holding that role."""
    from yijianshi.accounts.services import GrantSpec, staff_account_create
    from yijianshi.organizations.models import Department, ServicePoint

    counter = iter(range(100, 999))

    def make(username, *roles, department=None, service_point=None):
        dept = Department.objects.get(code=department).pk if department else None
        point = ServicePoint.objects.get(code=service_point).pk if service_point else None
        serial = next(counter)
        return staff_account_create(
            user=system_admin, username=username, name="工作人员", password=PASSWORD,
            id_number=make_id_number("19900101", serial), mobile=f"1399000{serial:04d}",
            grants=[GrantSpec(role, dept, point) for role in roles])

    return make


@pytest.fixture
def resident(db):
    from yijianshi.accounts.services import resident_sign_up

    return resident_sign_up(name="张桂兰", id_number=RESIDENT_ID, mobile="13800000001", password=PASSWORD)


@pytest.fixture
def relative(db):
    from yijianshi.accounts.services import resident_sign_up

    return resident_sign_up(name="张小军", id_number=RELATIVE_ID, mobile="13800000002", password=PASSWORD)


@pytest.fixture
def representative(db):
    """马丽, legal representative of 清涧县红枣食品有限公司; the enterprise is representative.enterprise."""
    from yijianshi.accounts.services import enterprise_register, resident_sign_up

    user = resident_sign_up(name="马丽", id_number=REPRESENTATIVE_ID, mobile="13800000003", password=PASSWORD)
    user.enterprise = enterprise_register(user=user, name="清涧县红枣食品有限公司", credit_code="91610830MA7QJ0001J",
                                          representative_name="马丽", representative_id_number=REPRESENTATIVE_ID)
    return user
