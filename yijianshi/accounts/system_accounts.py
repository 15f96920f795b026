"""Accounts for other systems (对接系统) that call the API with a bearer token. They have no Person and no
password: a system never logs in on a page, and whoever holds its token is the system."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from yijianshi.accounts.models import User
from yijianshi.accounts.permissions import require_permission
from yijianshi.accounts.services import InvalidInput
from yijianshi.audit.services import audit_record


@transaction.atomic
def system_account_create(*, user, username: str, name: str) -> User:
    require_permission(user, "staff.manage")
    username = (username or "").strip()
    name = (name or "").strip()
    if not username or len(username) > 150:
        raise InvalidInput("username", "登录名：必填，不超过 150 个字符")
    try:
        User.username_validator(username)
    except ValidationError:
        raise InvalidInput("username", "登录名：只能包含字母、数字和 @ . + - _") from None
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput("username", "登录名：已被使用")
    if not name:
        raise InvalidInput("name", "系统名称：必填")
    if len(name) > 150:
        raise InvalidInput("name", "系统名称：不能超过 150 个字符")
    system = User(username=username, kind=User.Kind.SYSTEM, first_name=name)
    system.set_unusable_password()
    system.save()
    audit_record(action="system_account.create", object_type="accounts.user", object_id=system.pk, actor=user,
                 after={"username": username, "name": name})
    return system
