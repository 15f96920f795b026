"""Writes for single sign-on through the province's unified identity platform: the account of a resident who
first arrives by SSO, and the audit trail of SSO log-ins. The province has verified who they are, so the
account has no local password."""

from __future__ import annotations

import secrets

from django.db import transaction

from yijianshi.accounts.identity import IdentityError, parse_mobile
from yijianshi.accounts.models import Person, User
from yijianshi.accounts.services import (
    InvalidInput,
    _invalid_from,
    _person_snapshot,
    mobile_index,
    person_ensure,
)
from yijianshi.audit.services import audit_record

SSO_REASON = "省统一身份认证平台登录"


@transaction.atomic
def resident_sign_up_from_sso(*, name: str, id_number: str, mobile: str = "") -> User:
    """The account of a resident the province has identified. As with resident_sign_up, a person the platform
    already knows (named in a mandate, say) is linked rather than duplicated; a wrong name for a known ID
    number is refused by person_ensure."""
    if mobile:
        try:
            mobile = parse_mobile(mobile)
        except IdentityError as exc:
            raise _invalid_from(exc) from None
    person = person_ensure(name=name, id_number=id_number, reason=SSO_REASON)
    # Locked so two simultaneous first log-ins of one person cannot both attach an account.
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.user_id is not None:
        raise InvalidInput("id_number", "身份证号码：该身份证号码已注册账号，请直接登录")
    user = User(username=f"r{secrets.token_hex(5)}", kind=User.Kind.PUBLIC, first_name=person.name)
    user.set_unusable_password()
    user.save()
    person.user = user
    fields = ["user"]
    if mobile and not person.mobile:
        person.mobile, person.mobile_index = mobile, mobile_index(mobile)
        fields += ["mobile", "mobile_index"]
    person.save(update_fields=fields)
    audit_record(action="account.sso_sign_up", object_type="accounts.user", object_id=user.pk, actor=user,
                 principal=person, subject=person, reason=SSO_REASON, after={"person": _person_snapshot(person)})
    return user


@transaction.atomic
def sso_login_record(*, user: User, person: Person) -> None:
    """Each SSO log-in is audited: there is no password check of ours to leave a trace otherwise."""
    audit_record(action="account.sso_login", object_type="accounts.user", object_id=user.pk, actor=user,
                 principal=person, subject=person, reason=SSO_REASON)
