"""Writes about identity, staff, mandates and tokens. Each checks who may do it and appends an audit event in
the same transaction; personal numbers appear in audit records only masked."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from yijianshi.accounts.identity import (
    IdentityError,
    parse_credit_code,
    parse_id_number,
    parse_mobile,
    parse_person_name,
)
from yijianshi.accounts.domain.credit_code import credit_code_for_serial
from yijianshi.accounts.models import (
    ApiToken,
    CreditCodeSerial,
    Enterprise,
    Mandate,
    MandateStatusChange,
    Party,
    Person,
    RoleGrant,
    User,
)
from yijianshi.accounts.permissions import NotAllowed, require_permission
from yijianshi.accounts.roles import Role
from yijianshi.audit.services import audit_read, audit_record
from yijianshi.db import lock_or_create
from yijianshi.privacy.crypto import blind_index

MAX_MANDATE_DAYS = 3 * 366

# The life of a mandate. Expiry is not a transition: a mandate past valid_until is simply no longer in force.
MANDATE_TRANSITIONS: dict[str, set[str]] = {
    Mandate.Status.ACTIVE: {
        Mandate.Status.REVOKED,   # the principal (or the agent, renouncing) ends it
        Mandate.Status.VOIDED,    # the enterprise's legal representative changed
    },
    Mandate.Status.REVOKED: set(),
    Mandate.Status.VOIDED: set(),
}


class InvalidInput(Exception):
    """A user-correctable problem with one field; ``message`` names the field in Chinese."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(message)


def _invalid_from(error: IdentityError) -> InvalidInput:
    return InvalidInput(error.field, error.message)


def id_number_index(id_number: str) -> str:
    return blind_index(id_number, "id_number")


def mobile_index(mobile: str) -> str:
    return blind_index(mobile, "mobile")


# --- Persons and enterprises ---------------------------------------------------------------------------------

def person_find(id_number: str) -> Person | None:
    try:
        parsed = parse_id_number(id_number)
    except IdentityError:
        return None
    return Person.objects.filter(id_number_index=id_number_index(parsed.value)).first()


def _person_snapshot(person: Person) -> dict:
    return {"name": person.masked_name, "id_number": person.masked_id_number, "mobile": person.masked_mobile}


def person_ensure(*, name: str, id_number: str, actor=None, principal=None, reason: str = "") -> Person:
    """The person with this ID number, created if the platform does not know them yet. A known person must be
    named correctly: a wrong name for an ID number is refused rather than silently accepted."""
    try:
        name = parse_person_name(name)
        parsed = parse_id_number(id_number)
    except IdentityError as exc:
        raise _invalid_from(exc) from None
    index = id_number_index(parsed.value)
    person = Person.objects.filter(id_number_index=index).first()
    if person is not None:
        if person.name != name:
            raise InvalidInput("name", "姓名：与身份证号码登记的姓名不一致")
        return person
    person = Person.objects.create(
        party_kind=Party.Kind.PERSON, display_name=name, name=name, id_number=parsed.value, id_number_index=index,
        birth_date=parsed.birth_date, gender=parsed.gender)
    audit_record(action="person.create", object_type="accounts.person", object_id=person.pk, actor=actor,
                 principal=principal, subject=person, reason=reason, after=_person_snapshot(person))
    return person


def _set_password(user: User, password: str) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput("password", "密码：" + "；".join(exc.messages)) from None
    user.set_password(password)


@transaction.atomic
def resident_sign_up(*, name: str, id_number: str, mobile: str, password: str) -> User:
    """A resident creates their account. If the platform already knows them (named in a mandate, say), the
    account is linked to that record, so what was granted to them is theirs at once."""
    try:
        mobile = parse_mobile(mobile)
    except IdentityError as exc:
        raise _invalid_from(exc) from None
    person = person_ensure(name=name, id_number=id_number, reason="群众注册")
    if person.user_id is not None:
        raise InvalidInput("id_number", "身份证号码：该身份证号码已注册账号，请直接登录或找回密码")
    user = User(username=f"r{secrets.token_hex(5)}", kind=User.Kind.PUBLIC, first_name=person.name)
    _set_password(user, password)
    user.save()
    person.user = user
    person.mobile = mobile
    person.mobile_index = mobile_index(mobile)
    person.save(update_fields=["user", "mobile", "mobile_index"])
    audit_record(action="account.sign_up", object_type="accounts.user", object_id=user.pk, actor=user,
                 principal=person, subject=person, reason="群众注册", after={"person": _person_snapshot(person)})
    return user


def _acting_person(user) -> Person:
    person = getattr(user, "person", None) if user and user.is_authenticated else None
    if person is None:
        raise NotAllowed("请先以实名账号登录")
    return person


@transaction.atomic
def enterprise_register(*, user, name: str, credit_code: str, representative_name: str,
                        representative_id_number: str) -> Enterprise:
    """The legal representative registers their enterprise. (Anyone else needs a mandate from them.)"""
    person = _acting_person(user)
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name", "企业名称：必填")
    if len(name) > 200:
        raise InvalidInput("name", "企业名称：不能超过 200 个字符")
    try:
        code = parse_credit_code(credit_code)
        parsed = parse_id_number(representative_id_number, field="representative_id_number")
    except IdentityError as exc:
        raise _invalid_from(exc) from None
    if id_number_index(parsed.value) != person.id_number_index or representative_name.strip() != person.name:
        raise InvalidInput("representative_id_number",
                           "法定代表人身份证号码：须由法定代表人本人注册企业；其他人员请由法定代表人授权")
    if Enterprise.objects.filter(credit_code=code).exists():
        raise InvalidInput("credit_code", "统一社会信用代码：该企业已注册，请联系法定代表人为您授权")
    enterprise = Enterprise.objects.create(party_kind=Party.Kind.ENTERPRISE, display_name=name, name=name,
                                           credit_code=code, legal_representative=person)
    audit_record(action="enterprise.register", object_type="accounts.enterprise", object_id=enterprise.pk,
                 actor=user, principal=enterprise, subject=enterprise,
                 after={"name": name, "credit_code": code, "legal_representative": person.masked_name})
    return enterprise


def _assign_credit_code(division: str = "610830") -> str:
    serial = lock_or_create(CreditCodeSerial, division=division)
    while True:  # skip codes already held (enterprises registered elsewhere and signed up here)
        serial.last += 1
        code = credit_code_for_serial(serial.last, division=division)
        if not Enterprise.objects.filter(credit_code=code).exists():
            serial.save(update_fields=["last"])
            return code


@transaction.atomic
def enterprise_establish(*, name: str, representative_name: str, representative_id_number: str, founder: Person,
                         actor, reason: str) -> Enterprise:
    """Register a new enterprise when its 设立登记 is approved: assign its credit code and make the person named
    in the application its legal representative. A founder who is not the representative (an investor applying
    for the others) becomes a mandate administrator, so they can go on applying for it."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("enterprise.name", "企业名称：必填")
    if Enterprise.objects.filter(name=name).exists():
        raise InvalidInput("enterprise.name", f"企业名称：“{name}”已被登记，请申请人另行申报名称后补正")
    representative = person_ensure(name=representative_name, id_number=representative_id_number, actor=actor,
                                   reason=reason)
    enterprise = Enterprise.objects.create(party_kind=Party.Kind.ENTERPRISE, display_name=name[:200], name=name[:200],
                                           credit_code=_assign_credit_code(), legal_representative=representative)
    if founder.pk != representative.pk:
        enterprise.mandate_administrators.add(founder)
    audit_record(action="enterprise.establish", object_type="accounts.enterprise", object_id=enterprise.pk,
                 actor=actor, principal=founder, subject=enterprise, reason=reason,
                 after={"name": enterprise.name, "credit_code": enterprise.credit_code,
                        "legal_representative": representative.masked_name})
    return enterprise


def _may_manage_mandates(person: Person, principal: Party) -> bool:
    if principal.party_kind == Party.Kind.PERSON:
        return principal.pk == person.pk
    enterprise = principal.as_concrete()
    return (enterprise.legal_representative_id == person.pk
            or enterprise.mandate_administrators.filter(pk=person.pk).exists())


@transaction.atomic
def enterprise_administrator_set(*, user, enterprise: Enterprise, name: str, id_number: str, add: bool = True) -> Person:
    """The legal representative appoints (or removes) a mandate administrator."""
    person = _acting_person(user)
    if enterprise.legal_representative_id != person.pk:
        raise NotAllowed("只有法定代表人可以设置授权管理员")
    admin = person_ensure(name=name, id_number=id_number, actor=user, principal=enterprise)
    (enterprise.mandate_administrators.add if add else enterprise.mandate_administrators.remove)(admin)
    audit_record(action="enterprise.administrator_" + ("add" if add else "remove"),
                 object_type="accounts.enterprise", object_id=enterprise.pk, actor=user, principal=enterprise,
                 subject=admin, after={"administrator": admin.masked_name})
    return admin


@transaction.atomic
def enterprise_change_legal_representative(*, user, enterprise: Enterprise, name: str, id_number: str,
                                           reason: str) -> int:
    """Record a new legal representative (from the market regulator's change registration). Every mandate the
    enterprise granted is voided and its mandate administrators removed: the new representative decides anew."""
    require_permission(user, "enterprise.change_representative")
    if not (reason or "").strip():
        raise InvalidInput("reason", "变更依据：必填（如变更登记通知书文号）")
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    new_rep = person_ensure(name=name, id_number=id_number, actor=user, principal=enterprise, reason=reason)
    if new_rep.pk == enterprise.legal_representative_id:
        raise InvalidInput("id_number", "身份证号码：与现任法定代表人相同")
    old_rep = enterprise.legal_representative
    enterprise.legal_representative = new_rep
    enterprise.save(update_fields=["legal_representative"])
    enterprise.mandate_administrators.clear()
    voided = 0
    for mandate in Mandate.objects.filter(principal=enterprise, status=Mandate.Status.ACTIVE):
        _mandate_transition(mandate, Mandate.Status.VOIDED, user=user, reason=f"法定代表人变更：{reason}")
        voided += 1
    audit_record(action="enterprise.change_legal_representative", object_type="accounts.enterprise",
                 object_id=enterprise.pk, actor=user, principal=enterprise, subject=enterprise, reason=reason,
                 before={"legal_representative": old_rep.masked_name},
                 after={"legal_representative": new_rep.masked_name, "mandates_voided": voided})
    return voided


# --- Mandates ------------------------------------------------------------------------------------------------

def _mandate_snapshot(mandate: Mandate) -> dict:
    return {
        "principal": mandate.principal.masked_display_name,
        "agent": mandate.agent.masked_display_name,
        "all_services": mandate.all_services,
        "bundles": sorted(mandate.bundles.values_list("code", flat=True)) if mandate.pk else [],
        "valid_until": mandate.valid_until,
        "status": mandate.status,
    }


def _mandate_transition(mandate: Mandate, to_status: str, *, user, reason: str) -> Mandate:
    """The one place a mandate changes state: lock, check the table, append history, audit."""
    locked = Mandate.objects.select_for_update().get(pk=mandate.pk)
    if to_status not in MANDATE_TRANSITIONS[locked.status]:
        raise InvalidInput("status", f"状态：授权当前为“{locked.get_status_display()}”，不能再变更")
    before = _mandate_snapshot(locked)
    MandateStatusChange.objects.create(mandate=locked, from_status=locked.status, to_status=to_status,
                                       changed_by=user if user and user.is_authenticated else None, reason=reason)
    locked.status = to_status
    locked.save(update_fields=["status"])
    audit_record(action=f"mandate.{to_status}", object_type="accounts.mandate", object_id=locked.pk, actor=user,
                 principal=locked.principal, subject=locked.principal, reason=reason, before=before,
                 after=_mandate_snapshot(locked))
    return locked


@transaction.atomic
def mandate_grant(*, user, principal: Party, agent_name: str = "", agent_id_number: str = "",
                  agent_credit_code: str = "", all_services: bool = False, bundle_codes: list[str] | None = None,
                  valid_until: datetime, note: str = "") -> Mandate:
    """The principal (a resident for themself; an enterprise's legal representative or mandate administrator)
    lets a person, or an agency identified by its credit code, act for them."""
    from yijianshi.catalog.models import Bundle

    person = _acting_person(user)
    if not _may_manage_mandates(person, principal):
        raise NotAllowed("只有本人、企业法定代表人或授权管理员可以授权")
    if agent_credit_code:
        try:
            code = parse_credit_code(agent_credit_code, field="agent_credit_code")
        except IdentityError as exc:
            raise _invalid_from(exc) from None
        agent = Enterprise.objects.filter(credit_code=code).first()
        if agent is None:
            raise InvalidInput("agent_credit_code", "受托机构统一社会信用代码：该机构尚未在平台注册")
    else:
        try:
            agent = person_ensure(name=agent_name, id_number=agent_id_number, actor=user, principal=principal,
                                  reason="授权代办：登记受托人")
        except InvalidInput as exc:
            label = {"name": "姓名", "id_number": "身份证号码"}[exc.field]
            raise InvalidInput("agent_" + exc.field, "受托人" + exc.message if exc.message.startswith(label)
                               else exc.message) from None
    if agent.pk == principal.pk:
        raise InvalidInput("agent_id_number", "受托人：不能授权给自己")
    now = timezone.now()
    if valid_until <= now:
        raise InvalidInput("valid_until", "到期时间：须晚于当前时间")
    if valid_until > now + timedelta(days=MAX_MANDATE_DAYS):
        raise InvalidInput("valid_until", "到期时间：授权期限最长 3 年")
    codes = sorted(set(bundle_codes or []))
    bundles = list(Bundle.objects.filter(code__in=codes))
    if len(bundles) != len(codes):
        unknown = sorted(set(codes) - {b.code for b in bundles})
        raise InvalidInput("bundle_codes", f"授权事项：不存在的一件事 {'、'.join(unknown)}")
    if not all_services and not bundles:
        raise InvalidInput("bundle_codes", "授权事项：请选择“全部事项”或至少一件事")
    mandate = Mandate.objects.create(principal=principal, agent=agent, all_services=all_services,
                                     valid_from=now, valid_until=valid_until, granted_by=person, note=note[:200])
    if not all_services:
        mandate.bundles.set(bundles)
    MandateStatusChange.objects.create(mandate=mandate, from_status="", to_status=mandate.status,
                                       changed_by=user, reason="授权")
    audit_record(action="mandate.grant", object_type="accounts.mandate", object_id=mandate.pk, actor=user,
                 principal=principal, subject=principal, after=_mandate_snapshot(mandate))
    return mandate


@transaction.atomic
def mandate_revoke(*, user, mandate: Mandate, reason: str = "") -> Mandate:
    """The principal's side ends a mandate; the agent may also renounce one they hold."""
    person = _acting_person(user)
    is_agent = mandate.agent_id == person.pk
    if not (is_agent or _may_manage_mandates(person, mandate.principal)):
        raise NotAllowed("只有委托人一方或受托人本人可以撤销该授权")
    reason = (reason or "").strip()[:200] or ("受托人放弃授权" if is_agent else "委托人撤销授权")
    return _mandate_transition(mandate, Mandate.Status.REVOKED, user=user, reason=reason)


# --- Acting for someone --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ActingContext:
    """Who is acting (the logged-in user and their person) and for whom (the principal), and on what right."""

    user: User
    actor: Person
    principal: Party
    mandate: Mandate | None  # None when acting for oneself or as the enterprise's legal representative

    @property
    def on_behalf(self) -> bool:
        return self.principal.pk != self.actor.pk


def _covers(mandate: Mandate, bundle) -> bool:
    if mandate.all_services:
        return True
    return bundle is not None and mandate.bundles.filter(pk=bundle.pk).exists()


def acting_context(user, principal_id: int | None = None, *, bundle=None) -> ActingContext:
    """Resolve and check the right to act for ``principal_id`` (default: oneself), for ``bundle`` if given.
    Checked afresh on every request, so a revoked or expired mandate stops working at once."""
    person = _acting_person(user)
    if principal_id is None or principal_id == person.pk:
        return ActingContext(user, person, person, None)
    principal = Party.objects.filter(pk=principal_id).first()
    if principal is None:
        raise NotAllowed("委托主体不存在")
    if principal.party_kind == Party.Kind.ENTERPRISE and principal.as_concrete().legal_representative_id == person.pk:
        return ActingContext(user, person, principal, None)
    now = timezone.now()
    in_force = Mandate.objects.filter(principal=principal, status=Mandate.Status.ACTIVE, valid_from__lte=now,
                                      valid_until__gt=now)
    for mandate in in_force.filter(agent=person):
        if _covers(mandate, bundle):
            return ActingContext(user, person, principal, mandate)
    # An agency holding the mandate acts through its legal representative or staff it mandated for everything.
    for mandate in in_force.filter(agent__party_kind=Party.Kind.ENTERPRISE).select_related("agent__enterprise"):
        agency = mandate.agent.enterprise
        acts_for_agency = agency.legal_representative_id == person.pk or Mandate.objects.filter(
            principal=agency, agent=person, all_services=True, status=Mandate.Status.ACTIVE,
            valid_from__lte=now, valid_until__gt=now).exists()
        if acts_for_agency and _covers(mandate, bundle):
            return ActingContext(user, person, principal, mandate)
    what = f"“{bundle.name}”" if bundle is not None else "该事项"
    raise NotAllowed(f"您没有代{principal.masked_display_name}办理{what}的有效授权")


@transaction.atomic
def person_update_mobile(*, context: ActingContext, mobile: str) -> Person:
    """Change the contact mobile of the principal (a resident, or their agent for them)."""
    if context.principal.party_kind != Party.Kind.PERSON:
        raise InvalidInput("mobile", "手机号码：企业的联系电话请在企业信息中修改")
    try:
        mobile = parse_mobile(mobile)
    except IdentityError as exc:
        raise _invalid_from(exc) from None
    person = Person.objects.select_for_update().get(pk=context.principal.pk)
    before = person.masked_mobile
    person.mobile, person.mobile_index = mobile, mobile_index(mobile)
    person.save(update_fields=["mobile", "mobile_index"])
    audit_record(action="person.update_mobile", object_type="accounts.person", object_id=person.pk,
                 actor=context.user, principal=person, subject=person,
                 reason=f"依授权 #{context.mandate.pk} 代办" if context.mandate else "本人",
                 before={"mobile": before}, after={"mobile": person.masked_mobile})
    return person


def person_lookup(*, user, id_number: str = "", mobile: str = "") -> list[Person]:
    """Staff find a resident by exact ID number or mobile. Only masked data is shown, but who looked whom up
    is still a read of someone else's data, so each person found is audited."""
    require_permission(user, "person.lookup", message="您的角色不能查询群众信息")
    from yijianshi.accounts import selectors

    try:
        if id_number:
            persons = [p for p in [person_find(parse_id_number(id_number).value)] if p is not None]
        else:
            persons = selectors.persons_by_mobile(parse_mobile(mobile))
    except IdentityError as exc:
        raise _invalid_from(exc) from None
    with transaction.atomic():
        for person in persons:
            audit_read(actor=user, subject=person, fields=["masked"], purpose="群众信息查询（仅显示脱敏信息）")
    return persons


def person_reveal(*, user, person: Person, field: str, purpose: str) -> str:
    """A full ID or mobile number of someone else, for a stated purpose; the read is audited."""
    if field not in ("id_number", "mobile"):
        raise InvalidInput("field", "字段：只能查看身份证号码或手机号码")
    own = getattr(user, "person", None)
    if own is not None and own.pk == person.pk:
        return getattr(person, field)
    require_permission(user, "personal_data.reveal", message="您的角色不能查看他人的完整个人信息")
    purpose = (purpose or "").strip()
    if len(purpose) < 4:
        raise InvalidInput("purpose", "查看事由：必填，至少 4 个字（如“核对办件申请人身份”）")
    with transaction.atomic():
        audit_read(actor=user, subject=person, fields=[field], purpose=purpose[:500])
    return getattr(person, field)


# --- Staff ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GrantSpec:
    role: str
    department_id: int | None = None
    service_point_id: int | None = None


def _grants_snapshot(user: User) -> list[str]:
    return sorted(str(g) for g in user.role_grants.select_related("department", "service_point"))


def _apply_grants(user: User, grants: list[GrantSpec]) -> None:
    from django.contrib.auth.models import Group

    from yijianshi.organizations.models import Department, ServicePoint

    for grant in grants:
        if grant.role not in Role.values:
            raise InvalidInput("role", f"角色：未知角色 {grant.role}")
        if grant.department_id and not Department.objects.filter(pk=grant.department_id).exists():
            raise InvalidInput("department", "所属部门：不存在")
        if grant.service_point_id and not ServicePoint.objects.filter(pk=grant.service_point_id).exists():
            raise InvalidInput("service_point", "所属服务网点：不存在")
        if grant.role in (Role.DEPARTMENT_OFFICER, Role.DEPARTMENT_LEADER) and not grant.department_id:
            raise InvalidInput("department", f"所属部门：{Role(grant.role).label}须指定部门")
        if grant.role in (Role.WINDOW_CLERK, Role.HELPER) and not (grant.service_point_id or grant.department_id):
            raise InvalidInput("service_point", f"所属服务网点：{Role(grant.role).label}须指定服务网点或部门")
    user.role_grants.all().delete()
    RoleGrant.objects.bulk_create([RoleGrant(user=user, role=g.role, department_id=g.department_id,
                                             service_point_id=g.service_point_id) for g in grants])
    user._role_grants_cache = None
    roles = {g.role for g in grants}
    # The Django admin is the catalog's and the system administrators' workbench.
    user.is_staff = bool(roles & {Role.CATALOG_ADMIN, Role.SYSTEM_ADMIN})
    user.save(update_fields=["is_staff"])
    catalog_group, _ = Group.objects.get_or_create(name="事项库管理员")
    (user.groups.add if Role.CATALOG_ADMIN in roles else user.groups.remove)(catalog_group)


@transaction.atomic
def staff_account_create(*, user, username: str, name: str, id_number: str, mobile: str, password: str,
                         grants: list[GrantSpec]) -> User:
    require_permission(user, "staff.manage")
    username = (username or "").strip()
    if not username or len(username) > 150:
        raise InvalidInput("username", "登录名：必填，不超过 150 个字符")
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput("username", "登录名：已被使用")
    try:
        mobile = parse_mobile(mobile)
    except IdentityError as exc:
        raise _invalid_from(exc) from None
    person = person_ensure(name=name, id_number=id_number, actor=user, reason="创建工作人员账号")
    if person.user_id is not None:
        raise InvalidInput("id_number", "身份证号码：此人已有账号，请为其现有账号授予角色")
    staff = User(username=username, kind=User.Kind.STAFF, first_name=person.name)
    _set_password(staff, password)
    staff.save()
    person.user, person.mobile, person.mobile_index = staff, mobile, mobile_index(mobile)
    person.save(update_fields=["user", "mobile", "mobile_index"])
    _apply_grants(staff, grants)
    audit_record(action="staff.create", object_type="accounts.user", object_id=staff.pk, actor=user,
                 subject=person, after={"username": username, "roles": _grants_snapshot(staff)})
    return staff


@transaction.atomic
def staff_roles_set(*, user, staff: User, grants: list[GrantSpec], reason: str = "") -> User:
    require_permission(user, "staff.manage")
    if staff.kind == User.Kind.PUBLIC:
        raise InvalidInput("username", "账号：群众账号不能授予工作人员角色")
    before = _grants_snapshot(staff)
    _apply_grants(staff, grants)
    audit_record(action="staff.roles_set", object_type="accounts.user", object_id=staff.pk, actor=user,
                 subject=getattr(staff, "person", None), reason=reason, before={"roles": before},
                 after={"roles": _grants_snapshot(staff)})
    return staff


@transaction.atomic
def staff_account_set_active(*, user, staff: User, active: bool, reason: str) -> User:
    require_permission(user, "staff.manage")
    if staff.pk == user.pk:
        raise InvalidInput("username", "账号：不能停用自己的账号")
    if not (reason or "").strip():
        raise InvalidInput("reason", "原因：必填")
    staff.is_active = active
    staff.session_generation += 1  # a disabled account's open sessions end now
    staff.save(update_fields=["is_active", "session_generation"])
    if not active:
        ApiToken.objects.filter(user=staff, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit_record(action="staff.activate" if active else "staff.deactivate", object_type="accounts.user",
                 object_id=staff.pk, actor=user, reason=reason, after={"is_active": active})
    return staff


@transaction.atomic
def logout_everywhere(*, user) -> None:
    """End every session of this user on every device (the current one included)."""
    User.objects.filter(pk=user.pk).update(session_generation=user.session_generation + 1)
    user.session_generation += 1
    audit_record(action="account.logout_everywhere", object_type="accounts.user", object_id=user.pk, actor=user)


# --- API tokens ----------------------------------------------------------------------------------------------

TOKEN_PREFIX = "qjt_"


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@transaction.atomic
def api_token_issue(*, user, owner: User, name: str, days: int = 365) -> tuple[ApiToken, str]:
    """A new bearer token for ``owner`` (usually a system account). The secret is returned once, never stored."""
    require_permission(user, "staff.manage")
    if owner.kind != User.Kind.SYSTEM:
        # People sign in on pages (with lock-out and log-out everywhere); bearer tokens are for machines.
        raise InvalidInput("owner", "接口令牌：只能为对接系统账号签发")
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name", "用途：必填")
    if not 1 <= days <= 730:
        raise InvalidInput("days", "有效天数：应在 1 到 730 之间")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=owner, name=name[:100], prefix=secret[:12], secret_hash=_token_hash(secret),
                                    expires_at=timezone.now() + timedelta(days=days))
    audit_record(action="api_token.issue", object_type="accounts.apitoken", object_id=token.pk, actor=user,
                 after={"owner": owner.get_username(), "name": token.name, "prefix": token.prefix,
                        "expires_at": token.expires_at})
    return token, secret


@transaction.atomic
def api_token_revoke(*, user, token: ApiToken) -> None:
    if token.user_id != user.pk:
        require_permission(user, "staff.manage")
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit_record(action="api_token.revoke", object_type="accounts.apitoken", object_id=token.pk, actor=user)


def api_token_authenticate(secret: str) -> User | None:
    if not secret or not secret.startswith(TOKEN_PREFIX):
        return None
    token = (ApiToken.objects.select_related("user")
             .filter(secret_hash=_token_hash(secret), revoked_at__isnull=True, expires_at__gt=timezone.now())
             .first())
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)  # coarse, so reads stay cheap
    return token.user


@transaction.atomic
def system_admin_bootstrap(*, username: str, name: str, id_number: str, mobile: str, password: str,
                           superuser: bool = True) -> User:
    """The first system administrator, created from the command line by whoever installs the platform.
    Refused once an active system administrator exists: after that, administrators create staff accounts."""
    if RoleGrant.objects.filter(role=Role.SYSTEM_ADMIN, user__is_active=True).exists():
        raise NotAllowed("已有系统管理员；请由系统管理员在“工作人员管理”中创建账号")
    try:
        mobile = parse_mobile(mobile)
    except IdentityError as exc:
        raise _invalid_from(exc) from None
    person = person_ensure(name=name, id_number=id_number, reason="初始化系统管理员")
    admin = User(username=username, kind=User.Kind.STAFF, first_name=person.name, is_superuser=superuser)
    _set_password(admin, password)
    admin.save()
    person.user, person.mobile, person.mobile_index = admin, mobile, mobile_index(mobile)
    person.save(update_fields=["user", "mobile", "mobile_index"])
    _apply_grants(admin, [GrantSpec(Role.SYSTEM_ADMIN)])
    audit_record(action="staff.bootstrap", object_type="accounts.user", object_id=admin.pk, subject=person,
                 after={"username": username, "roles": _grants_snapshot(admin)})
    return admin
