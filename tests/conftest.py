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
