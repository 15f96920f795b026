"""Role checks, made in the service layer (views may check too, for a friendlier page, never instead)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from yijianshi.accounts.roles import DEPARTMENT_SCOPED, PERMISSIONS


class NotAllowed(PermissionDenied):
    """Raised by services; the message is shown to the user."""

    def __init__(self, message: str = "您没有权限进行此操作"):
        self.message = message
        super().__init__(message)


def _active_grants(user):
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_role_grants_cache", None)
    if cached is None:
        cached = list(user.role_grants.select_related("department", "service_point"))
        user._role_grants_cache = cached
    return cached


def has_permission(user, permission: str, department=None) -> bool:
    roles = PERMISSIONS[permission]  # KeyError on a typo: fail loudly, never silently deny or allow
    for grant in _active_grants(user):
        if grant.role not in roles:
            continue
        if department is None or permission not in DEPARTMENT_SCOPED or grant.department_id == getattr(department, "pk", department):
            return True
    return False


def require_permission(user, permission: str, department=None, message: str | None = None) -> None:
    if not has_permission(user, permission, department):
        raise NotAllowed(message or "您没有权限进行此操作")


def departments_with(user, permission: str) -> set[int]:
    """Department ids where the user holds ``permission``: the filter for 'a department officer sees only
    tasks of their department'."""
    roles = PERMISSIONS[permission]
    return {g.department_id for g in _active_grants(user) if g.role in roles and g.department_id}


def roles_of(user) -> set[str]:
    return {g.role for g in _active_grants(user)}
