"""Template context every page needs about the signed-in user."""

from django.urls import reverse

from yijianshi.accounts.permissions import has_permission


def workbench(request):
    """The first staff section the user may open, for the header's 工作台 link (None for residents)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.kind == user.Kind.PUBLIC:
        return {"workbench_url": None}
    from yijianshi.accounts.staff_views import SECTIONS

    for _key, _label, permission, url_name in SECTIONS:
        if has_permission(user, permission):
            return {"workbench_url": reverse(url_name)}
    return {"workbench_url": None}
