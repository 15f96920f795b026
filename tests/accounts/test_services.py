"""Identity, staff and mandate services: who may do what, for whom, and what the audit chain then says."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import PASSWORD, RELATIVE_ID, RESIDENT_ID
from yijianshi.accounts import services
from yijianshi.accounts.models import Mandate, Person, User
from yijianshi.accounts.permissions import NotAllowed, departments_with, has_permission
from yijianshi.accounts.selectors import principals_for
from yijianshi.accounts.services import GrantSpec, InvalidInput
from yijianshi.audit.models import AuditEvent
from yijianshi.catalog.models import Bundle

pytestmark = pytest.mark.django_db
NEXT_YEAR = timezone.now() + timedelta(days=365)


def _last_event(action):
    return AuditEvent.objects.filter(action=action).order_by("-seq").first()


# --- Sign-up ---------------------------------------------------------------------------------------------------

def test_sign_up_stores_the_person_and_audits_it_with_masked_values_only(resident):
    person = resident.person
    assert person.name == "张桂兰" and person.id_number == RESIDENT_ID and person.birth_date.year == 1940
    event = _last_event("account.sign_up")
    assert event.actor_user_id == resident.pk and event.subject_party_id == person.pk
    assert RESIDENT_ID not in str(event.after) and "610830********0096" in str(event.after)


def test_signing_up_twice_with_one_id_number_is_refused_naming_the_field(resident):
    with pytest.raises(InvalidInput) as error:
        services.resident_sign_up(name="张桂兰", id_number=RESIDENT_ID, mobile="13800000009", password=PASSWORD)
    assert error.value.field == "id_number" and "已注册" in error.value.message


def test_a_wrong_name_for_a_known_id_number_is_refused(resident):
    with pytest.raises(InvalidInput, match="姓名：与身份证号码登记的姓名不一致"):
        services.person_ensure(name="李四", id_number=RESIDENT_ID)


def test_a_weak_password_leaves_nothing_behind():
    with pytest.raises(InvalidInput) as error:
        services.resident_sign_up(name="张小军", id_number=RELATIVE_ID, mobile="13800000002", password="123")
    assert error.value.field == "password"
    # the service is atomic: the person created before the password check is rolled back too
    assert not Person.objects.exists() and not User.objects.exists()


def test_someone_named_in_a_mandate_before_signing_up_gets_it_on_sign_up(resident):
    services.mandate_grant(user=resident, principal=resident.person, agent_name="张小军", agent_id_number=RELATIVE_ID,
                           all_services=True, valid_until=NEXT_YEAR)
    relative = services.resident_sign_up(name="张小军", id_number=RELATIVE_ID, mobile="13800000002", password=PASSWORD)
    assert [p.pk for p in principals_for(relative)] == [relative.person.pk, resident.person.pk]


# --- Roles -----------------------------------------------------------------------------------------------------

def test_department_scoped_rights_hold_only_for_the_officers_department(make_staff):
    from yijianshi.organizations.models import Department

    officer = make_staff("officer1", "department_officer", department="rsj")
    rsj, gaj = Department.objects.get(code="rsj"), Department.objects.get(code="gaj")
    assert has_permission(officer, "task.process", rsj) and not has_permission(officer, "task.process", gaj)
    assert not has_permission(officer, "task.approve", rsj)
    assert departments_with(officer, "task.process") == {rsj.pk}


def test_only_system_administrators_create_staff(make_staff):
    clerk = make_staff("clerk1", "window_clerk", service_point="county-hall")
    with pytest.raises(NotAllowed):
        services.staff_account_create(user=clerk, username="x", name="王五", id_number="610830199001011235",
                                      mobile="13900000000", password=PASSWORD, grants=[])


def test_an_officer_role_needs_a_department(system_admin):
    with pytest.raises(InvalidInput, match="所属部门"):
        services.staff_account_create(user=system_admin, username="o2", name="王五", id_number="610830199001011235",
                                      mobile="13900000000", password=PASSWORD, grants=[GrantSpec("department_officer")])
    assert not User.objects.filter(username="o2").exists()


def test_a_catalog_administrator_gets_the_admin_and_the_catalog_group(make_staff):
    staff = make_staff("cat1", "catalog_admin")
    assert staff.is_staff and staff.groups.filter(name="事项库管理员").exists()
    services.staff_roles_set(user=User.objects.get(username="sysadmin"), staff=staff,
                             grants=[GrantSpec("supervisor")], reason="调岗")
    staff.refresh_from_db()
    assert not staff.is_staff and not staff.groups.exists()
    assert _last_event("staff.roles_set").reason == "调岗"


def test_the_first_system_administrator_can_be_bootstrapped_only_once(system_admin):
    with pytest.raises(NotAllowed):
        services.system_admin_bootstrap(username="second", name="王五", id_number="610830199001011235",
                                        mobile="13900000000", password=PASSWORD)


# --- Mandates --------------------------------------------------------------------------------------------------

def test_a_resident_authorises_a_relative_for_all_services(resident, relative):
    mandate = services.mandate_grant(user=resident, principal=resident.person, agent_name="张小军",
                                     agent_id_number=RELATIVE_ID, all_services=True, valid_until=NEXT_YEAR)
    context = services.acting_context(relative, resident.person.pk)
    assert context.on_behalf and context.mandate == mandate
    event = _last_event("mandate.grant")
    assert (event.actor_user_id, event.principal_party_id) == (resident.pk, resident.person.pk)


def test_acting_without_a_mandate_is_refused(resident, relative):
    with pytest.raises(NotAllowed, match="没有代张\\*\\*办理"):
        services.acting_context(relative, resident.person.pk)


def test_a_mandate_for_named_bundles_covers_only_those(resident, relative):
    newborn, other = Bundle.objects.get(code="newborn"), Bundle.objects.exclude(code="newborn").first()
    services.mandate_grant(user=resident, principal=resident.person, agent_name="张小军", agent_id_number=RELATIVE_ID,
                           bundle_codes=["newborn"], valid_until=NEXT_YEAR)
    assert services.acting_context(relative, resident.person.pk, bundle=newborn).mandate is not None
    with pytest.raises(NotAllowed):
        services.acting_context(relative, resident.person.pk, bundle=other)
    with pytest.raises(NotAllowed):  # no bundle named = any service: not covered by a bundle-limited mandate
        services.acting_context(relative, resident.person.pk)


def test_an_expired_mandate_no_longer_works(resident, relative):
    mandate = services.mandate_grant(user=resident, principal=resident.person, agent_name="张小军",
                                     agent_id_number=RELATIVE_ID, all_services=True, valid_until=NEXT_YEAR)
    Mandate.objects.filter(pk=mandate.pk).update(valid_until=timezone.now() - timedelta(seconds=1))
    with pytest.raises(NotAllowed):
        services.acting_context(relative, resident.person.pk)


def test_a_revoked_mandate_stops_at_once_and_keeps_its_history(resident, relative):
    mandate = services.mandate_grant(user=resident, principal=resident.person, agent_name="张小军",
                                     agent_id_number=RELATIVE_ID, all_services=True, valid_until=NEXT_YEAR)
    services.mandate_revoke(user=resident, mandate=mandate, reason="不再需要")
    with pytest.raises(NotAllowed):
        services.acting_context(relative, resident.person.pk)
    assert [(c.from_status, c.to_status) for c in mandate.status_changes.all()] == [("", "active"), ("active", "revoked")]
    with pytest.raises(InvalidInput, match="不能再变更"):
        services.mandate_revoke(user=resident, mandate=mandate)


def test_the_agent_may_renounce_but_a_stranger_may_not_revoke(resident, relative, representative):
    mandate = services.mandate_grant(user=resident, principal=resident.person, agent_name="张小军",
                                     agent_id_number=RELATIVE_ID, all_services=True, valid_until=NEXT_YEAR)
    with pytest.raises(NotAllowed):
        services.mandate_revoke(user=representative, mandate=mandate)
    assert services.mandate_revoke(user=relative, mandate=mandate).status == "revoked"
    assert mandate.status_changes.last().reason == "受托人放弃授权"


def test_nobody_grants_a_mandate_for_someone_else(resident, relative):
    with pytest.raises(NotAllowed):
        services.mandate_grant(user=relative, principal=resident.person, agent_name="张小军",
                               agent_id_number=RELATIVE_ID, all_services=True, valid_until=NEXT_YEAR)


@pytest.mark.parametrize("change, field", [
    (dict(valid_until=timezone.now() - timedelta(days=1)), "valid_until"),
    (dict(valid_until=timezone.now() + timedelta(days=5 * 365)), "valid_until"),
    (dict(all_services=False), "bundle_codes"),
    (dict(all_services=False, bundle_codes=["no-such-bundle"]), "bundle_codes"),
    (dict(agent_id_number="610830198307070103"), "agent_id_number"),
    (dict(agent_name="李四"), "agent_name"),
])
def test_bad_mandate_input_names_the_field_and_saves_nothing(resident, relative, change, field):
    arguments = dict(user=resident, principal=resident.person, agent_name="张小军", agent_id_number=RELATIVE_ID,
                     all_services=True, valid_until=NEXT_YEAR) | change
    with pytest.raises(InvalidInput) as error:
        services.mandate_grant(**arguments)
    assert error.value.field == field
    assert not Mandate.objects.exists()


def test_an_enterprise_mandate_lets_an_employee_act_and_a_new_legal_representative_voids_it(
        representative, relative, system_admin):
    enterprise = representative.enterprise
    services.mandate_grant(user=representative, principal=enterprise, agent_name="张小军", agent_id_number=RELATIVE_ID,
                           bundle_codes=["business-startup"], valid_until=NEXT_YEAR)
    bundle = Bundle.objects.get(code="business-startup")
    assert services.acting_context(relative, enterprise.pk, bundle=bundle).principal.pk == enterprise.pk
    # the legal representative acts for the enterprise without any mandate
    assert services.acting_context(representative, enterprise.pk).mandate is None

    voided = services.enterprise_change_legal_representative(
        user=system_admin, enterprise=enterprise, name="张桂兰", id_number=RESIDENT_ID, reason="榆林市监变更登记〔2026〕12号")
    assert voided == 1
    with pytest.raises(NotAllowed):
        services.acting_context(relative, enterprise.pk, bundle=bundle)
    with pytest.raises(NotAllowed):
        services.acting_context(representative, enterprise.pk)  # no longer the representative


def test_a_mandate_administrator_grants_for_the_enterprise(representative, relative):
    enterprise = representative.enterprise
    services.enterprise_administrator_set(user=representative, enterprise=enterprise, name="张小军",
                                          id_number=RELATIVE_ID)
    mandate = services.mandate_grant(user=relative, principal=enterprise, agent_name="张桂兰",
                                     agent_id_number=RESIDENT_ID, all_services=True, valid_until=NEXT_YEAR)
    assert mandate.granted_by == relative.person


def test_an_agency_acts_through_its_legal_representative(resident, representative):
    services.mandate_grant(user=resident, principal=resident.person, agent_credit_code="91610830MA7QJ0001J",
                           all_services=True, valid_until=NEXT_YEAR)
    context = services.acting_context(representative, resident.person.pk)
    assert context.principal.pk == resident.person.pk and context.mandate.agent_id == representative.enterprise.pk


def test_an_agent_changes_the_principals_mobile_and_the_audit_records_both(resident, relative):
    services.mandate_grant(user=resident, principal=resident.person, agent_name="张小军", agent_id_number=RELATIVE_ID,
                           all_services=True, valid_until=NEXT_YEAR)
    context = services.acting_context(relative, resident.person.pk)
    services.person_update_mobile(context=context, mobile="13912345678")
    resident.person.refresh_from_db()
    assert resident.person.mobile == "13912345678"
    event = _last_event("person.update_mobile")
    assert (event.actor_user_id, event.principal_party_id) == (relative.pk, resident.person.pk)
    assert event.after == {"mobile": "139****5678"}


# --- Personal data reveal --------------------------------------------------------------------------------------

def test_a_clerk_reveals_an_id_number_with_a_purpose_and_the_read_is_audited(make_staff, resident):
    clerk = make_staff("clerk2", "window_clerk", service_point="county-hall")
    value = services.person_reveal(user=clerk, person=resident.person, field="id_number", purpose="核对申请人身份")
    assert value == RESIDENT_ID
    event = _last_event("personal_data.read")
    assert event.actor_user_id == clerk.pk and event.subject_party_id == resident.person.pk
    assert event.reason == "核对申请人身份" and event.after == {"fields": ["id_number"]}


def test_revealing_needs_a_purpose_and_a_role(make_staff, resident):
    clerk = make_staff("clerk3", "window_clerk", service_point="county-hall")
    helper = make_staff("helper1", "helper", service_point="county-hall")
    with pytest.raises(InvalidInput, match="查看事由"):
        services.person_reveal(user=clerk, person=resident.person, field="mobile", purpose="")
    with pytest.raises(NotAllowed):
        services.person_reveal(user=helper, person=resident.person, field="mobile", purpose="核对申请人身份")
    assert not AuditEvent.objects.filter(action="personal_data.read").exists()


# --- Sessions and tokens ---------------------------------------------------------------------------------------

def test_log_out_everywhere_changes_the_session_hash(resident):
    before = resident.get_session_auth_hash()
    services.logout_everywhere(user=resident)
    assert resident.get_session_auth_hash() != before


def test_an_api_token_authenticates_until_revoked_and_only_its_hash_is_stored(system_admin):
    from yijianshi.accounts.system_accounts import system_account_create

    hotline_system = system_account_create(user=system_admin, username="hotline-12345", name="12345 热线系统")
    token, secret = services.api_token_issue(user=system_admin, owner=hotline_system, name="工单对接")
    assert secret not in (token.secret_hash, token.prefix) and secret.startswith(token.prefix)
    assert services.api_token_authenticate(secret) == hotline_system
    services.api_token_revoke(user=system_admin, token=token)
    with pytest.raises(InvalidInput, match="只能为对接系统账号签发"):
        services.api_token_issue(user=system_admin, owner=system_admin, name="个人令牌")
    assert services.api_token_authenticate(secret) is None
    assert services.api_token_authenticate("qjt_guess") is None


def test_a_lookup_shows_masked_data_but_is_still_on_the_record(make_staff, resident):
    clerk = make_staff("clerk4", "window_clerk", service_point="county-hall")
    assert services.person_lookup(user=clerk, mobile="13800000001") == [resident.person]
    event = _last_event("personal_data.read")
    assert event.actor_user_id == clerk.pk and event.subject_party_id == resident.person.pk
    with pytest.raises(InvalidInput, match="身份证号码：校验位不正确"):
        services.person_lookup(user=clerk, id_number="610830194001010097")
    with pytest.raises(NotAllowed):
        services.person_lookup(user=resident, id_number=RESIDENT_ID)


def test_establishing_an_enterprise_assigns_a_new_credit_code_and_lets_the_founder_manage_it(resident, relative):
    """张桂兰 founds a company with her son as legal representative: he represents it, she administers its
    mandates, and each registration gets its own valid code; the same name cannot be registered twice."""
    from stdnum.cn import uscc

    founder = resident.person
    first = services.enterprise_establish(name="清涧县老区红枣合作社有限公司", representative_name="张小军",
                                          representative_id_number=RELATIVE_ID, founder=founder, actor=None,
                                          reason="办件 QJ1 企业设立登记")
    second = services.enterprise_establish(name="清涧县石板小吃有限公司", representative_name="张桂兰",
                                           representative_id_number=RESIDENT_ID, founder=founder, actor=None,
                                           reason="办件 QJ2 企业设立登记")
    assert first.credit_code != second.credit_code
    assert all(uscc.is_valid(e.credit_code) and e.credit_code.startswith("91610830MA") for e in (first, second))
    assert first.legal_representative.user_id == relative.pk
    assert list(first.mandate_administrators.all()) == [founder]
    assert not second.mandate_administrators.exists()  # she represents it herself
    assert first.pk in {p.pk for p in principals_for(resident)} | {p.pk for p in principals_for(relative)}
    event = AuditEvent.objects.filter(action="enterprise.establish").last()
    assert event.after["credit_code"] == second.credit_code and event.reason == "办件 QJ2 企业设立登记"
    with pytest.raises(InvalidInput) as error:
        services.enterprise_establish(name="清涧县石板小吃有限公司", representative_name="张桂兰",
                                      representative_id_number=RESIDENT_ID, founder=founder, actor=None, reason="重复")
    assert error.value.field == "enterprise.name" and "已被登记" in error.value.message
