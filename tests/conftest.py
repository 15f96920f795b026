"""Shared fixtures: the real catalog from data/catalog/ is loaded once into the test database."""

import pytest
from django.core.management import call_command

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
