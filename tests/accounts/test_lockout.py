"""Lock-out after repeated failures (django-axes), counted per account however its identifier is typed, with
no personal number in the attempt log."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth import authenticate, login
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory, override_settings

from tests.conftest import PASSWORD, RESIDENT_ID

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("axes_on")]


@pytest.fixture
def axes_on():
    with override_settings(AXES_ENABLED=True):
        yield


def _attempt(identifier, password):
    """What the log-in page does: authenticate, and on success log in (which is when axes resets the count)."""
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="10.0.0.8", HTTP_USER_AGENT="pytest")
    request.session = SessionStore()
    user = authenticate(request, username=identifier, password=password)
    if user is not None:
        login(request, user)
    return user


def test_a_resident_logs_in_with_her_id_number_or_her_mobile(resident):
    assert _attempt(RESIDENT_ID, PASSWORD) == resident
    assert _attempt("138 0000 0001", PASSWORD) == resident


def test_five_failures_lock_the_account_even_with_the_right_password_next(resident):
    for identifier in [RESIDENT_ID, "13800000001", RESIDENT_ID, "13800000001", RESIDENT_ID]:
        assert _attempt(identifier, "wrong-password") is None
    assert _attempt(RESIDENT_ID, PASSWORD) is None
    assert _attempt("13800000001", PASSWORD) is None  # the same account, typed another way


def test_the_attempt_log_holds_no_id_or_mobile_number(resident):
    _attempt(RESIDENT_ID, "wrong-password")
    _attempt("13800000001", "wrong-password")
    _attempt("610830198307070102", "wrong-password")  # someone without an account
    stored = " ".join(AccessAttempt.objects.values_list("username", flat=True)) + " ".join(
        AccessFailureLog.objects.values_list("username", flat=True))
    assert RESIDENT_ID not in stored and "13800000001" not in stored and "610830198307070102" not in stored
    assert f"user:{resident.pk}" in stored


def test_a_success_before_the_limit_resets_the_count(resident):
    for _ in range(4):
        _attempt(RESIDENT_ID, "wrong-password")
    assert _attempt(RESIDENT_ID, PASSWORD) == resident
    for _ in range(4):
        _attempt(RESIDENT_ID, "wrong-password")
    assert _attempt(RESIDENT_ID, PASSWORD) == resident


def test_a_shared_family_mobile_does_not_log_in_either_account(resident):
    from yijianshi.accounts.services import resident_sign_up

    resident_sign_up(name="张小军", id_number="610830198307070102", mobile="13800000001", password=PASSWORD)
    assert _attempt("13800000001", PASSWORD) is None
    assert _attempt(RESIDENT_ID, PASSWORD) == resident
