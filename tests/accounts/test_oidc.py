"""Single sign-on with the province's identity platform, end to end against a real (test) OpenID provider: the
relying party calls its token, JWKS and userinfo endpoints over HTTP, exactly as in production."""

from __future__ import annotations

import logging
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import SESSION_KEY
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client, override_settings
from stdnum.cn import ric

from tests.accounts.oidc_provider import OpenIDProvider, generate_rsa_key
from yijianshi.accounts import services
from yijianshi.accounts.models import Person, User
from yijianshi.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "yijianshi.accounts.backends.IdentifierBackend",
    "yijianshi.accounts.oidc.ProvinceOIDCBackend",
]


def id_number(birth: str, seq: str = "001") -> str:
    base = "610830" + birth + seq
    return base + ric.calc_check_digit(base + "0")


WANG = id_number("19850612", "013")
LI = id_number("19920301", "024")


@pytest.fixture
def provider():
    with OpenIDProvider() as op:
        op.claims = {"sub": "prov-000123", "name": "王建平", "id_number": WANG, "phone_number": "13800001234"}
        yield op


@pytest.fixture
def sso(provider):
    """Single sign-on switched on against the test provider (AUTHENTICATION_BACKENDS too: base.py reads
    OIDC_ENABLED at import)."""
    with override_settings(OIDC_ENABLED=True, AUTHENTICATION_BACKENDS=BACKENDS, PUBLIC_BASE_URL="http://testserver",
                           **provider.django_settings()):
        yield provider


def start(client: Client, provider: OpenIDProvider) -> str:
    """GET /oidc/authenticate/ and follow the browser to the provider; returns where the provider sends it back."""
    response = client.get("/oidc/authenticate/")
    assert response.status_code == 302
    to_provider = urlsplit(response["Location"])
    assert f"{to_provider.scheme}://{to_provider.netloc}{to_provider.path}" == provider.endpoint("authorize")
    params = parse_qs(to_provider.query)
    assert params["state"][0] and params["nonce"][0]
    assert params["client_id"] == [provider.client_id]
    assert params["redirect_uri"] == ["http://testserver/oidc/callback/"]
    back = requests.get(response["Location"], allow_redirects=False, timeout=5)
    assert back.status_code == 302
    return back.headers["Location"]


def finish(client: Client, back: str):
    url = urlsplit(back)
    assert url.netloc == "testserver" and url.path == "/oidc/callback/"
    return client.get(url.path, {k: v[0] for k, v in parse_qs(url.query).items()})


def sso_log_in(client: Client, provider: OpenIDProvider):
    return finish(client, start(client, provider))


def logged_in_user(client: Client) -> User | None:
    user_id = client.session.get(SESSION_KEY)
    return User.objects.get(pk=user_id) if user_id else None


def refused(response) -> list[str]:
    """Asserts the log-in was refused without an error page, and returns what the resident was told."""
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_resident_new_to_the_platform_signs_in_through_the_province_and_gets_an_account(client, sso):
    response = sso_log_in(client, sso)

    assert response.status_code == 302 and response["Location"] == "/me/"
    user = logged_in_user(client)
    assert user is not None and user.kind == User.Kind.PUBLIC and not user.has_usable_password()
    person = user.person
    assert (person.name, person.id_number, person.mobile) == ("王建平", WANG, "13800001234")
    assert person.birth_date == date(1985, 6, 12)
    assert person.id_number_index == services.id_number_index(WANG)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, mobile FROM accounts_person WHERE party_ptr_id = %s", [person.pk])
        stored_id, stored_mobile = cursor.fetchone()
    assert WANG not in stored_id and "13800001234" not in stored_mobile  # encrypted at rest
    # The relying party really talked to the provider, server to server.
    assert {"/token", "/jwks", "/userinfo"} <= set(sso.paths_requested())
    actions = list(AuditEvent.objects.filter(subject_party_id=person.pk).values_list("action", flat=True))
    assert "account.sso_sign_up" in actions and "account.sso_login" in actions


def test_second_sso_log_in_reuses_the_same_account(client, sso):
    sso_log_in(client, sso)
    first = logged_in_user(client)

    other_browser = Client()
    sso_log_in(other_browser, sso)

    assert logged_in_user(other_browser) == first
    assert User.objects.filter(person__isnull=False).count() == 1
    events = AuditEvent.objects.filter(object_id=str(first.pk))
    assert events.filter(action="account.sso_sign_up").count() == 1
    assert events.filter(action="account.sso_login").count() == 2


def test_person_named_in_a_mandate_earlier_is_linked_not_duplicated(client, sso):
    known = services.person_ensure(name="王建平", id_number=WANG, reason="授权代办：登记受托人")
    persons_before = Person.objects.count()

    sso_log_in(client, sso)

    assert Person.objects.count() == persons_before
    known.refresh_from_db()
    assert known.user == logged_in_user(client)
    assert known.mobile == "13800001234"


def test_resident_who_signed_up_with_a_password_reaches_the_same_account_through_sso(client, sso):
    own = services.resident_sign_up(name="王建平", id_number=WANG, mobile="13911112222",
                                    password="Qingjian-demo-2026")

    sso_log_in(client, sso)

    assert logged_in_user(client) == own
    own.refresh_from_db()
    assert own.check_password("Qingjian-demo-2026")  # SSO leaves the local password alone
    assert own.person.mobile == "13911112222"


def test_id_token_signed_by_another_key_is_refused(client, sso):
    sso.signing_key = generate_rsa_key(sso.key.kid)  # same key id as published, different key

    messages = refused(sso_log_in(client, sso))

    assert logged_in_user(client) is None
    assert not Person.objects.filter(id_number_index=services.id_number_index(WANG)).exists()
    assert messages == ["省统一身份认证登录未成功，请重试或使用本平台账号登录。"]


def test_id_token_with_another_nonce_is_refused(client, sso):
    sso.id_token_overrides = {"nonce": "not-the-nonce-we-sent"}

    refused(sso_log_in(client, sso))

    assert logged_in_user(client) is None
    assert "/userinfo" not in sso.paths_requested()  # refused before anything about the person is fetched


def test_id_token_issued_to_another_client_is_refused(client, sso):
    sso.id_token_overrides = {"aud": "some-other-county-platform"}

    refused(sso_log_in(client, sso))

    assert logged_in_user(client) is None


def test_id_token_from_another_issuer_is_refused(client, sso):
    sso.id_token_overrides = {"iss": "https://impostor.example"}

    refused(sso_log_in(client, sso))

    assert logged_in_user(client) is None


def test_expired_id_token_is_refused_without_an_error_page(client, sso):
    sso.id_token_overrides = {"exp": 1_000_000_000, "iat": 999_999_000}

    refused(sso_log_in(client, sso))

    assert logged_in_user(client) is None


def test_id_token_without_expiry_is_refused(client, sso):
    sso.id_token_overrides = {"exp": OpenIDProvider.REMOVE}

    refused(sso_log_in(client, sso))

    assert logged_in_user(client) is None


def test_userinfo_about_another_subject_is_refused(client, sso):
    sso.userinfo_overrides = {"sub": "prov-999999"}

    refused(sso_log_in(client, sso))

    assert logged_in_user(client) is None


def test_replayed_callback_does_not_log_in(client, sso):
    back = start(client, sso)
    finish(client, back)
    client.logout()

    messages = refused(finish(client, back))  # the state was used up by the first callback

    assert logged_in_user(client) is None
    assert messages == ["省统一身份认证登录未成功，请重试或使用本平台账号登录。"]


def test_resident_who_cancels_at_the_province_is_sent_back_to_the_login_page(client, sso):
    start(client, sso)
    state = next(iter(client.session["oidc_states"]))

    refused(client.get("/oidc/callback/", {"error": "access_denied", "state": state}))

    assert logged_in_user(client) is None


def test_province_refusing_the_code_is_a_failed_log_in_not_a_server_error(client, sso):
    sso.token_error = "invalid_grant"

    refused(sso_log_in(client, sso))

    assert logged_in_user(client) is None


def test_staff_member_cannot_log_in_through_sso(client, sso):
    person = services.person_ensure(name="王建平", id_number=WANG)
    staff = User.objects.create_user(username="clerk-wang", password="Qingjian-demo-2026", kind=User.Kind.STAFF)
    person.user = staff
    person.save(update_fields=["user"])

    messages = refused(sso_log_in(client, sso))

    assert logged_in_user(client) is None
    assert messages == ["工作人员账号不能通过省统一身份认证登录，请使用工作人员登录名和密码登录。"]
    assert not AuditEvent.objects.filter(action="account.sso_login").exists()


def test_deactivated_account_cannot_log_in_through_sso(client, sso):
    user = services.resident_sign_up(name="王建平", id_number=WANG, mobile="13911112222",
                                     password="Qingjian-demo-2026")
    User.objects.filter(pk=user.pk).update(is_active=False)

    refused(sso_log_in(client, sso))

    assert logged_in_user(client) is None


def test_claims_without_a_valid_id_number_are_refused_and_the_log_masks_the_number(client, sso, caplog):
    wrong_check_digit = WANG[:17] + ("0" if WANG[17] != "0" else "1")
    sso.claims["id_number"] = wrong_check_digit

    with caplog.at_level(logging.WARNING, logger="yijianshi.accounts.oidc"):
        messages = refused(sso_log_in(client, sso))

    assert logged_in_user(client) is None
    assert Person.objects.count() == 0
    assert messages == ["省统一身份认证平台未提供有效的身份证号码，无法登录本平台，请使用本平台账号登录。"]
    assert "校验位" in caplog.text and wrong_check_digit[:6] + "********" in caplog.text
    assert wrong_check_digit not in caplog.text


def test_claims_without_an_id_number_are_refused(client, sso):
    del sso.claims["id_number"]

    refused(sso_log_in(client, sso))

    assert logged_in_user(client) is None
    assert Person.objects.count() == 0


def test_another_name_for_a_known_id_number_is_refused_and_the_log_masks_the_number(client, sso, caplog):
    services.person_ensure(name="王建平", id_number=WANG)
    sso.claims["name"] = "王建国"

    with caplog.at_level(logging.WARNING, logger="yijianshi.accounts.oidc"):
        messages = refused(sso_log_in(client, sso))

    assert logged_in_user(client) is None
    assert Person.objects.get().user is None
    assert messages == ["省统一身份认证平台的姓名与本平台登记的不一致，请携带身份证到政务服务中心核实。"]
    assert "name does not match" in caplog.text and WANG not in caplog.text


def test_another_name_for_a_registered_resident_is_refused(client, sso):
    services.resident_sign_up(name="王建平", id_number=WANG, mobile="13911112222", password="Qingjian-demo-2026")
    sso.claims["name"] = "王建国"

    refused(sso_log_in(client, sso))

    assert logged_in_user(client) is None


def test_each_sso_log_in_is_matched_by_its_own_id_number(client, sso):
    sso_log_in(client, sso)
    wang = logged_in_user(client)
    sso.claims = {"sub": "prov-000456", "name": "李娜", "id_number": LI}

    other_browser = Client()
    sso_log_in(other_browser, sso)

    li = logged_in_user(other_browser)
    assert li != wang and li.person.name == "李娜" and li.person.mobile == ""  # no usable mobile given


@pytest.mark.parametrize("next_url, lands_on", [("/bundles/?subject=individual", "/bundles/?subject=individual"),
                                                ("https://evil.example/phish", "/me/")])
def test_resident_returns_to_the_page_they_started_from_but_never_to_another_site(client, sso, next_url, lands_on):
    response = client.get("/oidc/authenticate/", {"next": next_url})
    back = requests.get(response["Location"], allow_redirects=False, timeout=5).headers["Location"]

    assert finish(client, back)["Location"] == lands_on


def test_logout_ends_the_session_and_the_provinces_too(client, sso):
    sso_log_in(client, sso)

    response = client.post("/oidc/logout/")

    assert logged_in_user(client) is None
    assert response.status_code == 302
    to_provider = urlsplit(response["Location"])
    assert f"{to_provider.scheme}://{to_provider.netloc}{to_provider.path}" == sso.endpoint("logout")
    assert parse_qs(to_provider.query) == {"client_id": [sso.client_id],
                                           "post_logout_redirect_uri": ["http://testserver/"]}


def test_logout_of_a_password_session_stays_on_the_platform(client, sso):
    user = services.resident_sign_up(name="王建平", id_number=WANG, mobile="13911112222",
                                     password="Qingjian-demo-2026")
    client.force_login(user, backend="yijianshi.accounts.backends.IdentifierBackend")

    response = client.post("/oidc/logout/")

    assert logged_in_user(client) is None
    assert response["Location"] == "/"


def test_failed_sso_callbacks_do_not_lock_single_sign_on_for_everyone(client, sso):
    sso.id_token_overrides = {"nonce": "wrong"}
    with override_settings(AXES_ENABLED=True):
        for _ in range(6):  # more than AXES_FAILURE_LIMIT
            refused(sso_log_in(Client(), sso))
        sso.id_token_overrides = {}

        response = sso_log_in(client, sso)

    assert response["Location"] == "/me/"
    assert logged_in_user(client) is not None


@pytest.mark.parametrize("path", ["/oidc/authenticate/", "/oidc/callback/?code=x&state=y", "/oidc/logout/"])
def test_every_sso_url_answers_404_when_sso_is_off(client, provider, path):
    with override_settings(OIDC_ENABLED=False, AUTHENTICATION_BACKENDS=BACKENDS, **provider.django_settings()):
        assert client.get(path).status_code == 404
        assert client.post(path).status_code == 404
    assert provider.paths_requested() == []
