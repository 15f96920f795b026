"""Pages of 免申即享 / 即申即享. Thin: resolve who acts, call a service or a selector, render.

Residents and enterprises: 惠企利民政策 (/me/policies/: matched policies with the reasons, confirm / decline, the
即申即享 application, opting out of proactive matching). Departments: 政策兑现 (their payment queue). Catalog
administrators: 政策管理 (the editor: validate, preview how many subjects match now, publish).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yijianshi.accounts.permissions import NotAllowed
from yijianshi.accounts.services import InvalidInput
from yijianshi.accounts.staff_views import staff_page, staff_render
from yijianshi.cases.services import Conflict
from yijianshi.policies import selectors, services
from yijianshi.policies.models import Grant, PolicyVersion
from yijianshi.workdays.selectors import remaining_working_days

# --- the subject ------------------------------------------------------------------------------------------------------


def _subject(request):
    subject = selectors.subject_of(request.user, request.acting)
    if subject is None:
        raise NotAllowed("惠企利民政策页面供群众和企业使用；工作人员账号没有本人档案。")
    return subject


def _match(request, pk):
    match = selectors.match_of(_subject(request), pk)
    if match is None:
        raise Http404  # not theirs, or no such match: the same answer
    return match


@login_required
@require_GET
def me_policies(request):
    subject = _subject(request)
    return render(request, "policies/me_policies.html", {
        "subject": subject.as_concrete(), "matches": selectors.matches_for(subject),
        "opted_out": selectors.is_opted_out(subject),
    })


def _detail(request, match, *, status=200, error=None, answers=None):
    item = selectors.describe(match)
    fields = selectors.application_draft(match) if item["mode"] == PolicyVersion.Mode.PREFILLED_APPLICATION else []
    for f in fields:
        if answers and f["code"] in answers:
            f["value"] = answers[f["code"]]
    return render(request, "policies/match_detail.html", {
        "item": item, "fields": fields, "error": error, "events": match.events.all(),
        "grant_events": item["grant"].events.all() if item["grant"] else [],
    }, status=status)


@login_required
@require_GET
def match_detail(request, pk: int):
    return _detail(request, _match(request, pk))


def _act(request, pk, action, done: str):
    match = _match(request, pk)
    try:
        action(match)
    except Conflict as exc:
        return _detail(request, match, status=409, error=exc.message)
    except InvalidInput as exc:
        return _detail(request, match, status=400, error=exc.message, answers=request.POST)
    messages.success(request, done)
    return redirect("policies:match", pk=pk)


@login_required
@require_POST
def match_confirm(request, pk: int):
    return _act(request, pk, lambda m: services.match_confirm(user=request.user, acting=request.acting, match=m),
                "已确认享受，已转交经办部门发放")


@login_required
@require_POST
def match_decline(request, pk: int):
    return _act(request, pk, lambda m: services.match_decline(user=request.user, acting=request.acting, match=m),
                "已放弃享受；如改变主意，可在本页恢复")


@login_required
@require_POST
def match_reconsider(request, pk: int):
    return _act(request, pk, lambda m: services.match_reconsider(user=request.user, acting=request.acting, match=m),
                "已恢复，可重新确认")


@login_required
@require_POST
def match_apply(request, pk: int):
    return _act(request, pk, lambda m: services.application_submit(user=request.user, acting=request.acting, match=m,
                                                                    answers=request.POST),
                "申请已提交，已转交经办部门办理")


@login_required
@require_POST
def matching_preference(request):
    opted_out = request.POST.get("opted_out") == "1"
    services.opt_out_set(user=request.user, acting=request.acting, opted_out=opted_out)
    messages.success(request, "已关闭政策主动匹配，平台不再为您匹配新的政策" if opted_out else
                     "已开启政策主动匹配，符合条件的政策将及时通知您")
    return redirect("policies:me")


# --- the department's payment queue ----------------------------------------------------------------------------------

SECTION_GRANTS = "policy-grants"
SECTION_EDITOR = "policy-editor"


@never_cache
@require_GET
@staff_page("task.process", section=SECTION_GRANTS)
def grants(request):
    status = request.GET.get("status") or ""
    rows = selectors.grants_for(request.user)
    if status in Grant.Status.values:
        rows = rows.filter(status=status)
    rows = list(rows[:300])
    for grant in rows:
        grant.remaining = remaining_working_days(grant.due_date) if grant.status in ("queued", "paying") else None
    return staff_render(request, "policies/grants.html", {"grants": rows, "status": status,
                                                          "statuses": Grant.Status.choices}, section=SECTION_GRANTS)


GRANT_ACTIONS = {
    "pay": (services.grant_start_payment, "已开始发放"),
    "paid": (services.grant_mark_paid, "已标记为已发放，并通知了申请人"),
    "refuse": (services.grant_refuse, "已不予发放，并将理由告知申请人"),
}


@require_POST
@staff_page("task.process", section=SECTION_GRANTS)
def grant_action(request, pk: int, action: str):
    if action not in GRANT_ACTIONS:
        raise Http404
    grant = get_object_or_404(selectors.grants_for(request.user), pk=pk)
    service, done = GRANT_ACTIONS[action]
    kwargs = {"reason": request.POST.get("reason", "")} if action == "refuse" else {}
    try:
        service(user=request.user, grant=grant, **kwargs)
    except (Conflict, InvalidInput) as exc:
        return _grants_error(request, exc)
    messages.success(request, done)
    return redirect("policies:grants")


def _grants_error(request, exc):
    rows = list(selectors.grants_for(request.user)[:300])
    status = 409 if isinstance(exc, Conflict) else 400
    return staff_render(request, "policies/grants.html", {"grants": rows, "status": "", "error": exc.message,
                                                          "statuses": Grant.Status.choices},
                        section=SECTION_GRANTS, status=status)


# --- the editor -------------------------------------------------------------------------------------------------------

@never_cache
@require_GET
@staff_page("catalog.edit", section=SECTION_EDITOR)
def editor(request):
    return staff_render(request, "policies/editor_list.html", {"versions": selectors.versions_list()},
                        section=SECTION_EDITOR)


@never_cache
@require_http_methods(["GET", "POST"])
@staff_page("catalog.edit", section=SECTION_EDITOR)
def editor_edit(request):
    text, errors, saved = "", [], None
    if request.method == "GET":
        source = request.GET.get("from")
        if source and source.isdigit():
            version = get_object_or_404(PolicyVersion, pk=int(source))
            text = services.yaml_text(version.content)
        return staff_render(request, "policies/editor_edit.html", {"text": text}, section=SECTION_EDITOR)
    text = request.POST.get("content", "")
    try:
        saved = services.draft_save(user=request.user, text=text)
    except services.PolicyInvalid as exc:
        errors = exc.errors
        return staff_render(request, "policies/editor_edit.html", {"text": text, "errors": errors},
                            section=SECTION_EDITOR, status=400)
    messages.success(request, f"已保存为 {saved.policy.code} 第{saved.version}版草稿；校验通过后可发布")
    return redirect("policies:editor")


@require_POST
@staff_page("catalog.edit", section=SECTION_EDITOR)
def editor_preview(request):
    """htmx: validate the text and count the subjects it matches now."""
    text = request.POST.get("content", "")
    try:
        count = services.preview_count(user=request.user, text=text)
    except services.PolicyInvalid as exc:
        return render(request, "policies/_preview.html", {"errors": exc.errors}, status=400)
    return render(request, "policies/_preview.html", {"count": count})


@require_POST
@staff_page("catalog.edit", section=SECTION_EDITOR)
def editor_publish(request, pk: int):
    version = get_object_or_404(PolicyVersion, pk=pk)
    try:
        version = services.version_publish(user=request.user, version=version)
    except services.PolicyInvalid as exc:
        messages.error(request, "不能发布：" + "；".join(exc.errors))
        return staff_render(request, "policies/editor_list.html", {"versions": selectors.versions_list()},
                            section=SECTION_EDITOR, status=400)
    except Conflict as exc:
        messages.error(request, exc.message)
        return staff_render(request, "policies/editor_list.html", {"versions": selectors.versions_list()},
                            section=SECTION_EDITOR, status=409)
    messages.success(request, f"已发布 {version}；此前发布的版本已撤回")
    return redirect("policies:editor")
