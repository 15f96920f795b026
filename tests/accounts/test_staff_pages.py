"""The staff pages: staff accounts and roles, system accounts and tokens, legal representative changes, and the
person look-up whose full-number reveal is audited."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.accounts import factories as f
from yijianshi.accounts.models import ApiToken, Enterprise, Mandate, Person, RoleGrant, User
from yijianshi.accounts.services import api_token_authenticate, enterprise_register, mandate_grant
from yijianshi.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return f.system_admin()


@pytest.fixture
def admin_client(admin):
    return f.client_for(admin)


@pytest.fixture
def clerk(admin):
    return f.window_clerk(admin)


@pytest.fixture
def resident():
    return f.resident("张桂兰", "610830194001010096", "13800000001")


def _grants(*rows):
    data = {"grants-TOTAL_FORMS": str(len(rows)), "grants-INITIAL_FORMS": "0",
            "grants-MIN_NUM_FORMS": "0", "grants-MAX_NUM_FORMS": "20"}
    for n, (role, department, point) in enumerate(rows):
        data[f"grants-{n}-role"] = role
        data[f"grants-{n}-department"] = str(department.pk) if department else ""
        data[f"grants-{n}-service_point"] = str(point.pk) if point else ""
    return data


def _new_staff_form(**overrides):
    data = {"username": "wangfang", "name": "王芳", "id_number": f.id_number("19920304"), "mobile": "13991112222",
            "password": "Qingjian-new-2026"}
    data.update(overrides)
    return data


# --- Who may open the pages ----------------------------------------------------------------------------------

STAFF_ADMIN_PAGES = ["/staff/", "/staff/new/", "/staff/systems/new/", "/staff/enterprises/"]


@pytest.mark.parametrize("url", [*STAFF_ADMIN_PAGES, "/staff/persons/"])
def test_anonymous_visitors_are_sent_to_log_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("url", STAFF_ADMIN_PAGES)
def test_staff_administration_pages_refuse_a_window_clerk(clerk, url):
    response = f.client_for(clerk).get(url)
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()


@pytest.mark.parametrize("url", [*STAFF_ADMIN_PAGES, "/staff/persons/"])
def test_staff_pages_refuse_a_resident(resident, url):
    assert f.client_for(resident).get(url).status_code == 403


def test_account_and_enterprise_pages_refuse_a_window_clerk(admin, clerk):
    client = f.client_for(clerk)
    assert client.get(f"/staff/{admin.pk}/").status_code == 403
    assert client.post(f"/staff/{admin.pk}/tokens/", {"name": "x"}).status_code == 403
    assert client.get("/staff/enterprises/", {"credit_code": "91610830MA7QJ0001J"}).status_code == 403


def test_the_person_look_up_refuses_a_hotline_operator(admin):
    operator = f.staff(admin, "hotline", "hotline_operator", name="赵敏")
    assert f.client_for(operator).get("/staff/persons/").status_code == 403


def test_a_clerk_cannot_change_roles_by_posting_directly(admin, clerk):
    response = f.client_for(clerk).post(f"/staff/{clerk.pk}/roles/", {
        **_grants(("system_admin", None, None)), "reason": "自己提权"})
    assert response.status_code == 403
    assert set(clerk.role_grants.values_list("role", flat=True)) == {"window_clerk"}


# --- Staff accounts ------------------------------------------------------------------------------------------

def test_system_admin_creates_a_staff_account_with_roles(admin_client):
    data = {**_new_staff_form(), **_grants(("window_clerk", None, f.service_point("county-hall")),
                                          ("department_officer", f.department("rsj"), None),
                                          ("", None, None))}
    response = admin_client.post("/staff/new/", data)

    staff = User.objects.get(username="wangfang")
    assert response.status_code == 302 and response["Location"] == f"/staff/{staff.pk}/"
    assert staff.kind == User.Kind.STAFF and staff.check_password("Qingjian-new-2026")
    assert staff.person.name == "王芳"
    assert sorted(staff.role_grants.values_list("role", "department__code", "service_point__code")) == [
        ("department_officer", "rsj", None), ("window_clerk", None, "county-hall")]
    listing = admin_client.get("/staff/?role=department_officer").content.decode()
    assert "wangfang" in listing and "王*" in listing and "王芳" not in listing
    assert "admin" not in re.findall(r'href="/staff/\d+/">(\w+)<', listing)


def test_invalid_staff_account_input_is_refused_with_the_field_named_and_nothing_created(admin_client):
    events_before = AuditEvent.objects.count()
    valid = f.id_number("19920304")
    wrong_check_digit = valid[:17] + ("0" if valid[-1] != "0" else "1")
    data = {**_new_staff_form(id_number=wrong_check_digit), **_grants(("window_clerk", None, f.service_point()))}
    response = admin_client.post("/staff/new/", data)

    assert response.status_code == 400
    assert "身份证号码：校验位不正确" in response.content.decode()
    assert not User.objects.filter(username="wangfang").exists()
    assert AuditEvent.objects.count() == events_before


def test_a_role_without_its_required_scope_saves_nothing_at_all(admin_client):
    """The person record is written before the grants are checked: the whole creation must roll back."""
    people_before, events_before = Person.objects.count(), AuditEvent.objects.count()
    response = admin_client.post("/staff/new/", {**_new_staff_form(), **_grants(("department_officer", None, None))})

    assert response.status_code == 400
    assert "所属部门：部门经办人须指定部门" in response.content.decode()
    assert not User.objects.filter(username="wangfang").exists()
    assert (Person.objects.count(), AuditEvent.objects.count()) == (people_before, events_before)


def test_a_staff_account_needs_at_least_one_role(admin_client):
    response = admin_client.post("/staff/new/", {**_new_staff_form(), **_grants(("", None, None))})
    assert response.status_code == 400
    assert "角色：请至少授予一个角色" in response.content.decode()
    assert not User.objects.filter(username="wangfang").exists()


def test_the_staff_list_filters_by_department(admin, admin_client, clerk):
    officer = f.staff(admin, "officer", "department_officer", name="陈静", department_code="rsj")
    page = admin_client.get(f"/staff/?department={f.department('rsj').pk}").content.decode()
    assert f'/staff/{officer.pk}/' in page and f'/staff/{clerk.pk}/' not in page


def test_admin_changes_roles_with_a_reason(admin_client, clerk):
    response = admin_client.post(f"/staff/{clerk.pk}/roles/", {
        **_grants(("helper", None, f.service_point("county-hall"))), "reason": "调任帮办代办岗"})

    assert response.status_code == 302
    assert list(clerk.role_grants.values_list("role", flat=True)) == ["helper"]
    event = AuditEvent.objects.filter(action="staff.roles_set").latest("seq")
    assert event.reason == "调任帮办代办岗" and event.object_id == str(clerk.pk)


def test_a_role_change_needs_a_reason(admin_client, clerk):
    response = admin_client.post(f"/staff/{clerk.pk}/roles/", {**_grants(("helper", None, f.service_point())),
                                                                "reason": ""})
    assert response.status_code == 400
    assert "变更原因：必填" in response.content.decode()
    assert list(clerk.role_grants.values_list("role", flat=True)) == ["window_clerk"]


def test_deactivation_ends_the_staff_members_session(admin_client, clerk):
    clerk_client = f.client_for(clerk)
    assert clerk_client.get("/staff/persons/").status_code == 200

    response = admin_client.post(f"/staff/{clerk.pk}/active/", {"active": "0", "reason": "调离岗位"})
    assert response.status_code == 302

    after = clerk_client.get("/staff/persons/")
    assert after.status_code == 302 and after["Location"].startswith("/accounts/login/")
    assert not clerk_client.login(username="clerk", password=f.PASSWORD)
    assert AuditEvent.objects.filter(action="staff.deactivate", reason="调离岗位", object_id=str(clerk.pk)).exists()

    admin_client.post(f"/staff/{clerk.pk}/active/", {"active": "1", "reason": "返岗"})
    assert clerk_client.login(username="clerk", password=f.PASSWORD)


def test_deactivation_needs_a_reason_and_an_admin_cannot_deactivate_themself(admin, admin_client, clerk):
    response = admin_client.post(f"/staff/{clerk.pk}/active/", {"active": "0", "reason": ""})
    assert response.status_code == 400 and "原因：必填" in response.content.decode()
    response = admin_client.post(f"/staff/{admin.pk}/active/", {"active": "0", "reason": "测试"})
    assert response.status_code == 400 and "不能停用自己的账号" in response.content.decode()
    assert User.objects.filter(pk__in=[admin.pk, clerk.pk], is_active=True).count() == 2


# --- System accounts and API tokens --------------------------------------------------------------------------

def test_token_issue_shows_the_secret_once_and_the_token_then_authenticates(admin_client):
    response = admin_client.post("/staff/systems/new/", {"username": "hotline-12345", "name": "12345 热线系统"})
    system = User.objects.get(username="hotline-12345")
    assert response.status_code == 302 and system.kind == User.Kind.SYSTEM and not system.has_usable_password()
    assert not hasattr(system, "person") or Person.objects.filter(user=system).count() == 0

    issued = admin_client.post(f"/staff/{system.pk}/tokens/", {"name": "工单对接", "days": "30"})
    html = issued.content.decode()
    secret = re.search(r'value="(qjt_[^"]+)"', html).group(1)
    assert issued.status_code == 200 and "只显示这一次" in html
    assert "no-store" in issued["Cache-Control"]
    assert api_token_authenticate(secret) == system

    detail = admin_client.get(f"/staff/{system.pk}/").content.decode()
    token = ApiToken.objects.get(user=system)
    assert secret not in detail and f"{token.prefix}…" in detail and "工单对接" in detail

    admin_client.post(f"/staff/{system.pk}/tokens/{token.pk}/revoke/")
    assert api_token_authenticate(secret) is None
    assert "已吊销" in admin_client.get(f"/staff/{system.pk}/").content.decode()


def test_tokens_are_issued_only_to_system_accounts(admin_client, clerk):
    response = admin_client.post(f"/staff/{clerk.pk}/tokens/", {"name": "试试", "days": "30"})
    assert response.status_code == 400 and "只能为对接系统账号签发" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_system_account_name_taken_by_someone_else_is_refused(admin_client, clerk):
    response = admin_client.post("/staff/systems/new/", {"username": "CLERK", "name": "某系统"})
    assert response.status_code == 400 and "登录名：已被使用" in response.content.decode()


# --- Legal representative change -----------------------------------------------------------------------------

@pytest.fixture
def enterprise():
    rep = f.resident("马丽", "610830196003030110", "13800000003")
    company = enterprise_register(user=rep, name="清涧县红枣食品有限公司", credit_code="91610830MA7QJ0001J",
                                  representative_name="马丽", representative_id_number="610830196003030110")
    mandate_grant(user=rep, principal=company, agent_name="张小军", agent_id_number="610830198307070102",
                  all_services=True, valid_until=timezone.now() + timedelta(days=30))
    return company


def test_the_legal_representative_change_voids_the_enterprises_mandates(admin_client, enterprise):
    found = admin_client.get("/staff/enterprises/", {"credit_code": "91610830ma7qj0001j"})
    assert found.status_code == 302 and found["Location"] == f"/staff/enterprises/{enterprise.pk}/"
    page = admin_client.get(found["Location"]).content.decode()
    assert "马*" in page and "610830********0110" in page and "610830196003030110" not in page
    assert "状态为“有效”的 1 条" in page

    response = admin_client.post(f"/staff/enterprises/{enterprise.pk}/", {
        "name": "马强", "id_number": f.id_number("19850606"), "reason": "清市监变字〔2026〕第 12 号"}, follow=True)

    assert "1 条有效授权已全部失效" in response.content.decode()
    enterprise.refresh_from_db()
    assert enterprise.legal_representative.name == "马强"
    assert list(Mandate.objects.filter(principal=enterprise).values_list("status", flat=True)) == ["voided"]


def test_the_legal_representative_change_needs_a_basis(admin_client, enterprise):
    response = admin_client.post(f"/staff/enterprises/{enterprise.pk}/", {
        "name": "马强", "id_number": f.id_number("19850606"), "reason": ""})
    assert response.status_code == 400 and "变更依据：必填" in response.content.decode()
    assert Mandate.objects.get(principal=enterprise).status == "active"


def test_an_unknown_or_malformed_credit_code_is_explained(admin_client, enterprise):
    assert "没有统一社会信用代码为" in admin_client.get("/staff/enterprises/",
                                                   {"credit_code": "91610830MA7QJ0002M"}).content.decode()
    bad = admin_client.get("/staff/enterprises/", {"credit_code": "12345"})
    assert bad.status_code == 400 and "统一社会信用代码：应为 18 位" in bad.content.decode()


def test_the_representative_change_is_refused_to_a_clerk(clerk, enterprise):
    response = f.client_for(clerk).post(f"/staff/enterprises/{enterprise.pk}/", {
        "name": "马强", "id_number": f.id_number("19850606"), "reason": "冒充"})
    assert response.status_code == 403
    assert Enterprise.objects.get(pk=enterprise.pk).legal_representative.name == "马丽"


# --- Person look-up and reveal -------------------------------------------------------------------------------

def test_a_window_clerk_finds_a_person_by_id_number_and_sees_masked_data_only(clerk, resident):
    response = f.client_for(clerk).post("/staff/persons/", {"id_number": "610830194001010096"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "张**" in html and "610830********0096" in html and "138****0001" in html
    assert "张桂兰" not in html and "13800000001" not in html
    # The number typed in is echoed in the search box only, never in a link or the URL.
    assert html.count("610830194001010096") == 1 and 'value="610830194001010096"' in html
    assert "no-store" in response["Cache-Control"]


def test_a_window_clerk_finds_a_person_by_mobile(clerk, resident):
    html = f.client_for(clerk).post("/staff/persons/", {"mobile": "13800000001"}).content.decode()
    assert "610830********0096" in html


def test_a_number_nobody_has_is_reported_and_a_typo_is_named(clerk, resident):
    client = f.client_for(clerk)
    assert "没有找到该人员" in client.post("/staff/persons/", {"id_number": f.id_number()}).content.decode()
    typo = client.post("/staff/persons/", {"id_number": "610830194001010097"})
    assert typo.status_code == 400 and "身份证号码：校验位不正确" in typo.content.decode()


def test_a_window_clerk_reveals_an_id_number_with_a_purpose_and_the_read_is_audited(clerk, resident):
    person = resident.person
    response = f.client_for(clerk).post(f"/staff/persons/{person.pk}/reveal/", {
        "field": "id_number", "purpose": "核对办件申请人身份"})

    html = response.content.decode()
    assert response.status_code == 200 and "610830194001010096" in html
    assert "13800000001" not in html  # only the field asked for
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.filter(action="personal_data.read").latest("seq")
    assert event.reason == "核对办件申请人身份"
    assert event.actor_user_id == clerk.pk and event.subject_party_id == person.pk
    assert event.after == {"fields": ["id_number"]}


def test_a_reveal_without_a_purpose_is_refused_and_not_logged(clerk, resident):
    response = f.client_for(clerk).post(f"/staff/persons/{resident.person.pk}/reveal/", {
        "field": "mobile", "purpose": " "})
    html = response.content.decode()
    assert response.status_code == 400 and "查看事由：必填" in html and "13800000001" not in html
    assert not AuditEvent.objects.filter(action="personal_data.read").exists()


def test_a_helper_sees_the_reveal_form_disabled_and_cannot_reveal(admin, resident):
    helper_client = f.client_for(f.helper(admin))
    page = helper_client.post("/staff/persons/", {"id_number": "610830194001010096"}).content.decode()
    assert "<fieldset disabled>" in page and "您的角色不能查看他人的完整身份证号码" in page

    response = helper_client.post(f"/staff/persons/{resident.person.pk}/reveal/", {
        "field": "id_number", "purpose": "核对办件申请人身份"})
    assert response.status_code == 403
    assert "610830194001010096" not in response.content.decode()
    # the masked look-up is on the record; no full number was read
    reads = AuditEvent.objects.filter(action="personal_data.read")
    assert [event.after for event in reads] == [{"fields": ["masked"]}]


def test_role_grants_stay_consistent_after_the_pages_are_used(admin_client, clerk):
    """A formset row for a removed scope must not leave a stale grant behind."""
    admin_client.post(f"/staff/{clerk.pk}/roles/", {
        **_grants(("window_clerk", None, f.service_point()), ("supervisor", None, None)), "reason": "兼任监督"})
    assert RoleGrant.objects.filter(user=clerk).count() == 2
    admin_client.post(f"/staff/{clerk.pk}/roles/", {**_grants(("window_clerk", None, f.service_point())),
                                                     "reason": "不再兼任"})
    assert list(RoleGrant.objects.filter(user=clerk).values_list("role", flat=True)) == ["window_clerk"]
