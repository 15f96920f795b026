"""The residents' and enterprises' pages through the Django test client: sign-up, log-in, log-out, 我的空间,
acting for someone, 我的授权 and enterprise registration. Input a service refuses comes back as a 400 with the
Chinese message next to its field; other people's mandates and enterprises are 404."""

from datetime import date, timedelta

import pytest
from django.contrib.auth import SESSION_KEY as AUTH_SESSION_KEY
from django.test import Client, override_settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from stdnum.cn import ric

from tests.conftest import PASSWORD, RELATIVE_ID, REPRESENTATIVE_ID, RESIDENT_ID, make_id_number
from yijianshi.accounts import services
from yijianshi.accounts.middleware import SESSION_KEY as ACTING_KEY
from yijianshi.accounts.models import Enterprise, Mandate, Person, User
from yijianshi.audit.models import AuditEvent
from yijianshi.audit.selectors import chain_verify
from yijianshi.catalog.models import Bundle

pytestmark = pytest.mark.django_db

NEW_ID = make_id_number("19850612", 21)
NEW_CREDIT_CODE = "91610830MA7QJ0002M"
NEXT_YEAR = timezone.now() + timedelta(days=365)


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user, backend="yijianshi.accounts.backends.IdentifierBackend")
    return client


def _grant(principal_user, agent_person, **kwargs) -> Mandate:
    kwargs.setdefault("all_services", True)
    return services.mandate_grant(user=principal_user, principal=principal_user.person, agent_name=agent_person.name,
                                  agent_id_number=agent_person.id_number, valid_until=NEXT_YEAR, **kwargs)


def _field_error(response, field: str) -> str:
    return " ".join(response.context["form"].errors.get(field, []))


@pytest.fixture
def helper(make_staff):
    return make_staff("helper1", "helper", service_point="town-610830100")


# --- Sign-up -------------------------------------------------------------------------------------------------

def _sign_up_data(**overrides):
    data = {"name": "李春花", "id_number": NEW_ID, "mobile": "13712345678", "password": PASSWORD,
            "password_confirm": PASSWORD}
    data.update(overrides)
    return data


def test_resident_signs_up_and_lands_logged_in_on_her_space(client):
    response = client.post(reverse("accounts:signup"), _sign_up_data())
    assert response.status_code == 302 and response["Location"] == reverse("accounts:me")
    user = User.objects.get(person__name="李春花")
    assert user.kind == User.Kind.PUBLIC and user.person.mobile == "13712345678"
    assert client.session[AUTH_SESSION_KEY] == str(user.pk)

    page = client.get(reverse("accounts:me")).content.decode()
    assert "李春花" in page and NEW_ID[:6] + "********" + NEW_ID[-4:] in page and "137****5678" in page
    assert NEW_ID not in page and "13712345678" not in page


def _check_digit_off(id_number: str) -> str:
    wrong = "0" if id_number[-1] != "0" else "1"
    return id_number[:-1] + wrong


IMPOSSIBLE_BIRTH_DATE = "61083019410230012" + ric.calc_check_digit("61083019410230012" + "0")


@pytest.mark.parametrize("overrides, field, message", [
    ({"id_number": _check_digit_off(NEW_ID)}, "id_number", "身份证号码：校验位不正确，请核对最后一位"),
    ({"id_number": IMPOSSIBLE_BIRTH_DATE}, "id_number", "身份证号码：出生日期不存在（第 7–14 位）"),
    ({"mobile": "12345"}, "mobile", "手机号码：应为 11 位中国大陆手机号，以 1 开头"),
    ({"password": "12345678", "password_confirm": "12345678"}, "password", "密码："),
    ({"password_confirm": PASSWORD + "x"}, "password_confirm", "确认密码：两次输入的密码不一致"),
    ({"name": ""}, "name", "姓名：必填"),
], ids=["bad-checksum", "impossible-birth-date", "bad-mobile", "weak-password", "passwords-differ", "no-name"])
def test_sign_up_with_an_invalid_field_is_refused_next_to_that_field(client, overrides, field, message):
    response = client.post(reverse("accounts:signup"), _sign_up_data(**overrides))
    assert response.status_code == 400
    assert message in _field_error(response, field)
    assert f'id="id_{field}_error">{message}' in response.content.decode()  # rendered beside the input
    assert not User.objects.exists() and not Person.objects.exists()
    assert AUTH_SESSION_KEY not in client.session


def test_signing_up_with_an_id_number_that_already_has_an_account_is_refused(client, resident):
    response = client.post(reverse("accounts:signup"), _sign_up_data(name="张桂兰", id_number=RESIDENT_ID))
    assert response.status_code == 400
    assert "身份证号码：该身份证号码已注册账号" in _field_error(response, "id_number")
    assert User.objects.count() == 1


# --- Log-in and log-out --------------------------------------------------------------------------------------

@pytest.mark.parametrize("identifier", [RESIDENT_ID, "13800000001"], ids=["id-number", "mobile"])
def test_resident_logs_in_with_her_id_number_or_mobile(client, resident, identifier):
    response = client.post(reverse("accounts:login"), {"username": identifier, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/me/"
    assert client.session[AUTH_SESSION_KEY] == str(resident.pk)


def test_a_refused_log_in_does_not_say_whether_the_account_exists(client, resident):
    wrong_password = client.post(reverse("accounts:login"), {"username": RESIDENT_ID, "password": "wrong-password"})
    unknown = client.post(reverse("accounts:login"), {"username": NEW_ID, "password": PASSWORD})
    for response in (wrong_password, unknown):
        assert response.status_code == 400
        assert "账号或密码不正确" in response.content.decode()
        assert AUTH_SESSION_KEY not in client.session


@override_settings(AXES_ENABLED=True)
def test_log_in_page_locks_an_account_after_five_wrong_passwords(client, resident):
    for _ in range(5):
        client.post(reverse("accounts:login"), {"username": RESIDENT_ID, "password": "wrong-password"})
    response = client.post(reverse("accounts:login"), {"username": RESIDENT_ID, "password": PASSWORD})
    assert response.status_code == 429 and "登录已暂时锁定" in response.content.decode()
    assert AUTH_SESSION_KEY not in client.session


def test_log_in_follows_next_only_to_this_site(client, resident):
    credentials = {"username": RESIDENT_ID, "password": PASSWORD}
    page = client.get(reverse("accounts:login") + "?next=/me/mandates/").content.decode()
    assert 'name="next" value="/me/mandates/"' in page and reverse("accounts:signup") in page
    response = client.post(reverse("accounts:login"), {**credentials, "next": "/me/mandates/"})
    assert response["Location"] == "/me/mandates/"
    other = Client()
    response = other.post(reverse("accounts:login"), {**credentials, "next": "https://evil.example.com/"})
    assert response["Location"] == "/me/"


def test_log_in_page_offers_the_province_sign_on_only_when_it_is_switched_on(client):
    assert "使用陕西省统一身份认证平台登录" not in client.get(reverse("accounts:login")).content.decode()
    with override_settings(OIDC_ENABLED=True):
        response = client.get(reverse("accounts:login"))
    assert response.status_code == 200  # also while the OIDC URLs are not installed
    try:
        url = reverse("oidc:authenticate")
    except NoReverseMatch:
        url = None
    assert ("使用陕西省统一身份认证平台登录" in response.content.decode()) == (url is not None)


def test_header_offers_log_in_to_visitors_and_my_space_with_log_out_to_residents(client, resident):
    anonymous = client.get("/").content.decode()
    assert reverse("accounts:login") in anonymous and reverse("accounts:signup") in anonymous
    assert reverse("accounts:logout") not in anonymous
    page = _client_for(resident).get("/").content.decode()
    assert "我的空间" in page and f'action="{reverse("accounts:logout")}"' in page


def test_log_out_is_a_post_and_ends_the_session(resident):
    client = _client_for(resident)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("accounts:me"))["Location"].startswith(reverse("accounts:login"))


def test_log_out_everywhere_ends_the_session_on_another_device(resident):
    phone, hall_pc = Client(), Client()
    for device in (phone, hall_pc):
        device.post(reverse("accounts:login"), {"username": RESIDENT_ID, "password": PASSWORD})
        assert device.get(reverse("accounts:me")).status_code == 200

    response = phone.post(reverse("accounts:logout-everywhere"), follow=True)
    assert "已退出所有设备上的登录" in response.content.decode()
    response = hall_pc.get(reverse("accounts:me"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert AuditEvent.objects.filter(action="account.logout_everywhere", actor_user_id=resident.pk).exists()


@pytest.mark.parametrize("url", ["/me/", "/me/mandates/", "/me/enterprises/register/"])
def test_my_pages_send_visitors_to_log_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == f"{reverse('accounts:login')}?next={url}"


def test_staff_account_without_a_person_gets_a_friendly_page(client):
    system = User.objects.create_user(username="gateway", password=PASSWORD, kind=User.Kind.SYSTEM)
    response = _client_for(system).get(reverse("accounts:me"))
    assert response.status_code == 200 and "没有关联实名信息" in response.content.decode()


# --- Acting for someone --------------------------------------------------------------------------------------

def test_acting_for_someone_without_a_mandate_is_refused(resident, relative):
    client = _client_for(relative)
    response = client.post(reverse("accounts:acting"), {"principal_id": resident.person.pk})
    assert response.status_code == 403 and "有效授权" in response.content.decode()
    assert ACTING_KEY not in client.session


def test_relative_with_a_mandate_switches_to_acting_for_her_and_sees_the_banner(resident, relative):
    _grant(resident, relative.person)
    client = _client_for(relative)
    me = client.get(reverse("accounts:me")).content.decode()
    assert f'value="{resident.person.pk}"' in me  # offered in 正在为谁办理

    response = client.post(reverse("accounts:acting"), {"principal_id": resident.person.pk})
    assert response.status_code == 302 and client.session[ACTING_KEY] == resident.person.pk
    page = client.get(reverse("accounts:me")).content.decode()
    assert "正在代 <strong>张**</strong> 办理" in page
    assert "610830********0096" in page and "138****0001" in page and RESIDENT_ID not in page

    client.post(reverse("accounts:acting"), {"principal_id": relative.person.pk})  # back to herself
    assert ACTING_KEY not in client.session
    assert "正在代" not in client.get(reverse("accounts:me")).content.decode()


def test_a_mandate_for_some_bundles_only_is_listed_but_not_a_general_acting_context(resident, relative):
    bundle = Bundle.objects.order_by("number").first()
    _grant(resident, relative.person, all_services=False, bundle_codes=[bundle.code])
    client = _client_for(relative)
    page = client.get(reverse("accounts:me")).content.decode()
    assert f'value="{resident.person.pk}" disabled' in page and "授权仅限指定事项" in page
    assert client.post(reverse("accounts:acting"), {"principal_id": resident.person.pk}).status_code == 403


def test_helper_changes_the_residents_mobile_while_acting_for_her_and_it_is_audited(client, resident, helper):
    resident_client = _client_for(resident)
    page = resident_client.get(reverse("accounts:mandates")).content.decode()
    assert f'value="{helper.person.pk}">{helper.person.masked_name}（宽州镇便民服务中心）' in page  # masked, with the service point
    response = resident_client.post(reverse("accounts:mandate-grant"), {
        "principal": resident.person.pk, "agent_kind": "helper", "helper": helper.person.pk, "scope": "all",
        "valid_until": (date.today() + timedelta(days=365)).isoformat()})
    assert response.status_code == 302
    mandate = Mandate.objects.get(principal=resident.person)
    assert mandate.agent_id == helper.person.pk and mandate.all_services and mandate.is_in_force()

    helper_client = _client_for(helper)
    helper_client.post(reverse("accounts:acting"), {"principal_id": resident.person.pk})
    page = helper_client.get(reverse("accounts:me")).content.decode()
    assert "委托人信息" in page and "138****0001" in page
    read = AuditEvent.objects.filter(action="personal_data.read").order_by("-seq").first()
    assert (read.actor_user_id, read.subject_party_id, read.principal_party_id, read.reason) == (
        helper.pk, resident.person.pk, resident.person.pk, "依授权代办查看")

    response = helper_client.post(reverse("accounts:contact"), {"mobile": "13912345678"}, follow=True)
    assert "已更新张** 的手机号码：139****5678" in response.content.decode()
    resident.person.refresh_from_db()
    helper.person.refresh_from_db()
    assert resident.person.mobile == "13912345678" and helper.person.mobile != "13912345678"
    event = AuditEvent.objects.filter(action="person.update_mobile").order_by("-seq").first()
    assert event.actor_user_id == helper.pk and event.principal_party_id == resident.person.pk
    assert event.reason == f"依授权 #{mandate.pk} 代办" and "13912345678" not in str(event.after)
    assert chain_verify().ok


def test_an_invalid_new_mobile_is_refused_next_to_the_field(resident):
    response = _client_for(resident).post(reverse("accounts:contact"), {"mobile": "0912-123"})
    assert response.status_code == 400
    assert "手机号码：应为 11 位中国大陆手机号" in " ".join(response.context["contact_form"].errors["mobile"])
    resident.person.refresh_from_db()
    assert resident.person.mobile == "13800000001"


def test_a_revoked_mandate_stops_the_acting_context_at_the_next_request(resident, relative):
    mandate = _grant(resident, relative.person)
    agent = _client_for(relative)
    agent.post(reverse("accounts:acting"), {"principal_id": resident.person.pk})
    assert "正在代" in agent.get(reverse("accounts:me")).content.decode()

    response = _client_for(resident).post(reverse("accounts:mandate-revoke", args=[mandate.pk]),
                                          {"reason": "已能自己办理"})
    assert response.status_code == 302

    page = agent.get(reverse("accounts:me")).content.decode()
    assert "正在代" not in page and "个人信息" in page
    assert ACTING_KEY not in agent.session
    agent.post(reverse("accounts:contact"), {"mobile": "13912345678"})
    resident.person.refresh_from_db()
    assert resident.person.mobile == "13800000001"  # the change went to the agent's own record, not hers


# --- 我的授权 --------------------------------------------------------------------------------------------------

def test_resident_grants_a_relative_some_bundles_and_sees_it_listed(resident):
    bundles = list(Bundle.objects.filter(subject=Bundle.Subject.INDIVIDUAL).order_by("number")[:2])
    client = _client_for(resident)
    default_until = client.get(reverse("accounts:mandates")).context["form"]["valid_until"].value()
    assert 365 <= (default_until - date.today()).days <= 366  # 到期日期 defaults to a year from today
    response = client.post(reverse("accounts:mandate-grant"), {
        "principal": resident.person.pk, "agent_kind": "person", "agent_name": "张小军",
        "agent_id_number": RELATIVE_ID, "scope": "bundles", "bundle_codes": [b.code for b in bundles],
        "valid_until": (date.today() + timedelta(days=30)).isoformat()}, follow=True)
    page = response.content.decode()
    assert "已授权 张** 代本人办理" in page
    mandate = Mandate.objects.get(principal=resident.person)
    assert not mandate.all_services and set(mandate.bundles.all()) == set(bundles)
    assert timezone.localtime(mandate.valid_until).date() == date.today() + timedelta(days=30)
    assert f'id="mandate-{mandate.pk}"' in page and "、".join(b.name for b in bundles) in page
    assert "有效" in page and RELATIVE_ID not in page


@pytest.mark.parametrize("overrides, field, message", [
    ({"agent_id_number": _check_digit_off(RELATIVE_ID)}, "agent_id_number", "受托人身份证号码：校验位不正确"),
    ({"agent_name": "李四"}, "agent_name", "登记的姓名不一致"),
    ({"scope": "bundles"}, "bundle_codes", "授权事项：请至少选择一件事"),
    ({"valid_until": "2000-01-01"}, "valid_until", "到期时间：须晚于当前时间"),
    ({"agent_kind": "agency"}, "agent_credit_code", "受托机构统一社会信用代码：必填"),
    ({"agent_kind": "agency", "agent_credit_code": NEW_CREDIT_CODE}, "agent_credit_code", "该机构尚未在平台注册"),
], ids=["bad-id", "wrong-name", "no-bundle", "past-date", "no-credit-code", "unknown-agency"])
def test_an_invalid_grant_is_refused_next_to_the_field(resident, relative, overrides, field, message):
    data = {"principal": resident.person.pk, "agent_kind": "person", "agent_name": "张小军",
            "agent_id_number": RELATIVE_ID, "scope": "all",
            "valid_until": (date.today() + timedelta(days=30)).isoformat(), **overrides}
    response = _client_for(resident).post(reverse("accounts:mandate-grant"), data)
    assert response.status_code == 400
    assert message in _field_error(response, field)
    assert not Mandate.objects.exists()


def test_a_resident_cannot_see_or_revoke_another_residents_mandate(resident, relative, representative):
    theirs = _grant(representative, relative.person)
    client = _client_for(resident)
    assert f'id="mandate-{theirs.pk}"' not in client.get(reverse("accounts:mandates")).content.decode()
    response = client.post(reverse("accounts:mandate-revoke", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Mandate.Status.ACTIVE


def test_an_agent_renounces_a_mandate_they_hold(resident, relative):
    mandate = _grant(resident, relative.person)
    client = _client_for(relative)
    assert f'id="mandate-{mandate.pk}"' in client.get(reverse("accounts:mandates")).content.decode()
    response = client.post(reverse("accounts:mandate-revoke", args=[mandate.pk]), follow=True)
    assert "已放弃授权" in response.content.decode()
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.REVOKED
    assert mandate.status_changes.last().reason == "受托人放弃授权"
    assert "已撤销" in client.get(reverse("accounts:mandates")).content.decode()


def test_revoking_a_mandate_twice_is_a_400_not_a_500(resident, relative):
    mandate = _grant(resident, relative.person)
    client = _client_for(resident)
    client.post(reverse("accounts:mandate-revoke", args=[mandate.pk]))
    response = client.post(reverse("accounts:mandate-revoke", args=[mandate.pk]))
    assert response.status_code == 400 and "不能再变更" in response.content.decode()


# --- Enterprises ---------------------------------------------------------------------------------------------

def _enterprise_data(**overrides):
    data = {"name": "清涧县宽州红枣合作社", "credit_code": NEW_CREDIT_CODE, "representative_name": "张桂兰",
            "representative_id_number": RESIDENT_ID}
    data.update(overrides)
    return data


def test_legal_representative_registers_her_enterprise(resident):
    client = _client_for(resident)
    response = client.post(reverse("accounts:enterprise-register"), _enterprise_data(), follow=True)
    enterprise = Enterprise.objects.get(credit_code=NEW_CREDIT_CODE)
    assert enterprise.legal_representative_id == resident.person.pk
    page = response.content.decode()
    assert NEW_CREDIT_CODE in page and "您是法定代表人" in page
    assert "清涧县宽州红枣合作社" in client.get(reverse("accounts:me")).content.decode()


def test_enterprise_registration_by_someone_else_than_the_legal_representative_is_refused(resident):
    response = _client_for(resident).post(reverse("accounts:enterprise-register"), _enterprise_data(
        representative_name="马丽", representative_id_number=REPRESENTATIVE_ID))
    assert response.status_code == 400
    assert "法定代表人身份证号码：须由法定代表人本人注册企业" in _field_error(response, "representative_id_number")
    assert not Enterprise.objects.exists()


def test_only_managers_open_an_enterprise_and_the_representative_appoints_an_administrator(resident, representative):
    enterprise = representative.enterprise
    url = reverse("accounts:enterprise-detail", args=[enterprise.pk])
    resident_client = _client_for(resident)
    assert resident_client.get(url).status_code == 404

    rep_client = _client_for(representative)
    response = rep_client.post(reverse("accounts:enterprise-administrators", args=[enterprise.pk]),
                               {"action": "add", "name": "张桂兰", "id_number": RESIDENT_ID}, follow=True)
    assert "已添加授权管理员 张**" in response.content.decode()
    page = resident_client.get(url).content.decode()
    assert "您是授权管理员" in page and "马*" in page and REPRESENTATIVE_ID not in page
    # An administrator grants for the enterprise, but may not appoint administrators.
    assert f"以企业名义：{enterprise.name}" in resident_client.get(reverse("accounts:mandates")).content.decode()
    response = resident_client.post(reverse("accounts:enterprise-administrators", args=[enterprise.pk]),
                                    {"action": "add", "name": "张小军", "id_number": RELATIVE_ID})
    assert response.status_code == 403

    rep_client.post(reverse("accounts:enterprise-administrators", args=[enterprise.pk]),
                    {"action": "remove", "person_id": resident.person.pk})
    assert resident_client.get(url).status_code == 404


def test_an_administrator_with_a_wrong_id_number_is_refused_next_to_the_field(representative):
    enterprise = representative.enterprise
    response = _client_for(representative).post(
        reverse("accounts:enterprise-administrators", args=[enterprise.pk]),
        {"action": "add", "name": "张桂兰", "id_number": _check_digit_off(RESIDENT_ID)})
    assert response.status_code == 400
    assert "身份证号码：校验位不正确" in " ".join(response.context["admin_form"].errors["id_number"])
    assert not enterprise.mandate_administrators.exists()
