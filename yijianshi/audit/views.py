"""审计日志: the supervisors' and administrators' view of the audit chain, with the last verification result.

Verifying re-hashes the whole chain, too slow to do on every page view of a long chain; it runs every night
(audit/tasks.py) and when someone presses 立即校验, and each run is kept (VerificationRun) with when and by whom.
"""

from __future__ import annotations

import json

from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from yijianshi.accounts.identity import IdentityError, parse_id_number
from yijianshi.accounts.models import Party, User
from yijianshi.accounts.services import person_find
from yijianshi.accounts.staff_views import permission_page, staff_render
from yijianshi.audit.models import ChainHead, Checkpoint, VerificationRun
from yijianshi.audit.selectors import events_filter
from yijianshi.audit.services import verification_run

PAGE_SIZE = 50
FILTER_PARAMS = ("subject", "actor", "object_type", "object_id", "action")

ACTION_LABELS = {
    "account.sign_up": "群众注册",
    "account.login": "登录",
    "account.logout": "退出登录",
    "account.logout_everywhere": "退出全部设备",
    "account.password_change": "修改密码",
    "person.create": "登记自然人",
    "person.update_mobile": "修改手机号码",
    "personal_data.read": "查看完整个人信息",
    "enterprise.register": "企业注册",
    "enterprise.administrator_add": "设置授权管理员",
    "enterprise.administrator_remove": "移除授权管理员",
    "enterprise.change_legal_representative": "变更法定代表人",
    "mandate.grant": "授权代办",
    "mandate.revoked": "撤销授权",
    "mandate.voided": "授权失效",
    "staff.bootstrap": "初始化系统管理员",
    "staff.create": "创建工作人员账号",
    "staff.roles_set": "调整角色",
    "staff.activate": "启用账号",
    "staff.deactivate": "停用账号",
    "system_account.create": "创建对接系统账号",
    "api_token.issue": "签发接口令牌",
    "api_token.revoke": "吊销接口令牌",
}

OBJECT_TYPE_LABELS = {
    "accounts.person": "自然人",
    "accounts.enterprise": "法人",
    "accounts.user": "账号",
    "accounts.mandate": "授权代办",
    "accounts.apitoken": "接口令牌",
}


def _filters_from(params) -> dict:
    return {name: (params.get(name) or "").strip()[:100] for name in FILTER_PARAMS}


def _selector_arguments(filters: dict) -> dict:
    arguments = {"object_type": filters["object_type"], "object_id": filters["object_id"],
                 "action": filters["action"]}
    if filters["subject"].isdigit():
        arguments["subject_party_id"] = int(filters["subject"])
    if filters["actor"]:
        user = User.objects.filter(username=filters["actor"]).first()
        # No such account: match the recorded label instead, which is how "系统" events are found.
        if user is not None:
            arguments["actor_user_id"] = user.pk
        else:
            arguments["actor_label"] = filters["actor"]
    return arguments


def _pretty(value) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)


def _actor_names(events) -> dict[int, str]:
    """Masked names of the acting accounts' people: a resident's login name is a meaningless random string."""
    ids = {e.actor_user_id for e in events if e.actor_user_id is not None}
    users = User.objects.filter(pk__in=ids).select_related("person")
    return {u.pk: (u.person.masked_name if getattr(u, "person", None) else u.first_name) for u in users}


def _rows(events):
    events = list(events)
    names = _actor_names(events)
    for event in events:
        yield {
            "event": event,
            "actor_name": names.get(event.actor_user_id, ""),
            "action_label": ACTION_LABELS.get(event.action, ""),
            "object_label": OBJECT_TYPE_LABELS.get(event.object_type, event.object_type),
            "before": _pretty(event.before),
            "after": _pretty(event.after),
        }


def _last_verification():
    run = VerificationRun.objects.first()
    if run is None:
        return None
    head = ChainHead.objects.filter(pk=1).first()
    return {"ok": run.ok, "events_checked": run.events_checked, "checkpoints_checked": run.checkpoints_checked,
            "broken_seq": run.broken_seq, "broken_reason": run.broken_reason, "problems": run.problems,
            "verified_at": run.ran_at, "verified_by": run.ran_by,
            # What was checked ends at the head as it was then; later events are shown as not yet verified.
            "unverified": max((head.seq if head else 0) - run.head_seq, 0)}


def _events_response(request, filters: dict, *, form_errors=None, status: int = 200):
    events = events_filter(**_selector_arguments(filters))
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    subject = None
    if filters["subject"].isdigit():
        subject = Party.objects.filter(pk=int(filters["subject"])).first()
    return staff_render(request, "audit/events.html", {
        "filters": filters,
        "subject": subject,
        "page": page,
        "rows": list(_rows(page.object_list)),
        "query": _query(filters),
        "form_errors": form_errors or {},
        "verification": _last_verification(),
        "checkpoints": Checkpoint.objects.order_by("-seq")[:10],
        "action_labels": sorted(ACTION_LABELS.items()),
        "object_type_labels": sorted(OBJECT_TYPE_LABELS.items()),
    }, section="audit", status=status)


@require_http_methods(["GET", "POST"])
@permission_page("audit.view", section="audit")
def events(request):
    if request.method == "GET":
        return _events_response(request, _filters_from(request.GET))
    # The person is named by ID number in a POSTed form and travels on as the party id: an ID number must
    # not end up in a URL (browser history, proxy and access logs).
    filters = _filters_from(request.POST)
    id_number = (request.POST.get("id_number") or "").strip()
    if id_number:
        try:
            parse_id_number(id_number)
        except IdentityError as exc:
            return _events_response(request, filters, form_errors={"id_number": exc.message}, status=400)
        person = person_find(id_number)
        if person is None:
            return _events_response(request, filters, status=400,
                                    form_errors={"id_number": "人员（身份证号码）：平台上没有这个身份证号码的人员"})
        filters["subject"] = str(person.pk)
    elif request.POST.get("clear_subject"):
        filters["subject"] = ""
    return redirect(_events_url(filters))


def _query(filters: dict) -> str:
    query = QueryDict(mutable=True)
    query.update({k: v for k, v in filters.items() if v})
    return query.urlencode()


def _events_url(filters: dict) -> str:
    query = _query(filters)
    return reverse("audit:events") + (f"?{query}" if query else "")


@require_POST
@permission_page("audit.view", section="audit")
def verify(request):
    verification_run(actor=request.user)
    return redirect(_events_url(_filters_from(request.POST)))
