"""Pages of 一人一档 and data sharing. Thin: parse, call a service or a selector, render.

Staff: 档案查询 (read a profile under an entry of the sharing catalogue, audited) and 数据共享导入 (a department's
feeds, with the run's status polled by htmx while a large feed is processed). Residents and enterprises: 我的档案
(their own file; reading it is not audited, it is nobody else's read) and 数据使用记录 (who read their data, when,
why and on which legal basis, from the audit chain).
"""

from __future__ import annotations

import csv
import io

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from yijianshi.accounts.forms import form_error_from
from yijianshi.accounts.models import Party, Person
from yijianshi.accounts.permissions import NotAllowed, departments_with
from yijianshi.accounts.selectors import own_party
from yijianshi.accounts.services import InvalidInput
from yijianshi.accounts.staff_views import staff_page, staff_render
from yijianshi.organizations.models import Department
from yijianshi.profiles import selectors, services
from yijianshi.profiles.forms import FeedUploadForm, LookupForm
from yijianshi.profiles.models import ProfileElement

PAGE_SIZE = 20
ERRORS_SHOWN = 200


# --- 档案查询 ----------------------------------------------------------------------------------------------------

def _lookup_page(request, form, entries, *, status=200, **context):
    return staff_render(request, "profiles/lookup.html", {"form": form, "entries": entries, **context},
                        section="profiles", status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@staff_page("profile.read", section="profiles")
def lookup(request):
    """POSTed, so ID numbers never sit in a URL or an access log."""
    entries = list(selectors.entries_for(request.user))
    if request.method == "GET":
        return _lookup_page(request, LookupForm(entries=entries), entries)
    form = LookupForm(request.POST, entries=entries)
    if not form.is_valid():
        return _lookup_page(request, form, entries, status=400)
    entry = next(e for e in entries if e.pk == form.cleaned_data["entry"])
    try:
        party = selectors.party_by_identifier(form.cleaned_data["subject"])
    except InvalidInput as exc:
        form_error_from(form, exc)
        return _lookup_page(request, form, entries, status=400)
    if party is None:
        return _lookup_page(request, form, entries, not_found=True)
    try:
        values = services.profile_read(user=request.user, party=party, element_codes=entry.element_codes,
                                       purpose=entry.purpose)
    except NotAllowed as exc:
        form.add_error("entry", exc.message)
        return _lookup_page(request, form, entries, status=403)
    specs = {p.element.code: p for p in selectors.profile_elements(party.party_kind)}
    names = selectors.element_names(entry.element_codes)
    rows = [{"code": code, "name": names.get(code, code), "fact": fact,
             "shown": selectors.display_fact(fact, specs.get(code)) if fact else ""}
            for code, fact in values.items()]
    # A fresh form: the full number typed is not echoed back next to the masked result.
    return _lookup_page(request, LookupForm(entries=entries, initial={"entry": entry.pk}), entries, entry=entry,
                        party=party.as_concrete(), rows=rows)


# --- 数据共享导入 --------------------------------------------------------------------------------------------------

def _feed_departments(user) -> list[Department]:
    return list(Department.objects.filter(pk__in=departments_with(user, "profile.feed")))


def _feeds_page(request, form, departments, *, status=200):
    runs = Paginator(selectors.feed_runs_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    feedable = (ProfileElement.objects.filter(element__source_department__in=departments)
                .select_related("element", "element__source_department").order_by("party_kind", "position"))
    return staff_render(request, "profiles/feeds.html", {
        "form": form, "page": runs, "feedable": feedable, "inline_limit_kb": services.FEED_INLINE_MAX_BYTES // 1024,
        "max_mb": services.FEED_MAX_BYTES // 1024 // 1024,
    }, section="feeds", status=status)


@require_http_methods(["GET", "POST"])
@staff_page("profile.feed", section="feeds")
def feeds(request):
    departments = _feed_departments(request.user)
    if request.method == "GET":
        return _feeds_page(request, FeedUploadForm(departments=departments), departments)
    form = FeedUploadForm(request.POST, request.FILES, departments=departments)
    if not form.is_valid():
        return _feeds_page(request, form, departments, status=400)
    data = form.cleaned_data
    upload = data["file"]
    if upload.size > services.FEED_MAX_BYTES:
        form.add_error("file", f"数据文件：不能超过 {services.FEED_MAX_BYTES // 1024 // 1024} MB，请分批提供")
        return _feeds_page(request, form, departments, status=400)
    try:
        run = services.feed_apply(user=request.user, department=data["department"], file_name=upload.name,
                                  content=upload.read(), format=data["format"],
                                  apply_valid_only=data["apply_valid_only"])
    except InvalidInput as exc:
        form_error_from(form, exc)
        return _feeds_page(request, form, departments, status=400)
    return redirect("profiles:feed", pk=run.pk)  # the run's page says what happened


def _run_context(run) -> dict:
    return {"run": run, "errors": run.errors[:ERRORS_SHOWN], "errors_hidden": max(0, len(run.errors) - ERRORS_SHOWN),
            "errors_unlisted": max(0, run.rows_invalid - len(run.errors))}


@require_GET
@staff_page("profile.feed", section="feeds")
def feed_detail(request, pk: int):
    run = get_object_or_404(selectors.feed_runs_for(request.user), pk=pk)
    return staff_render(request, "profiles/feed_detail.html", _run_context(run), section="feeds")


@never_cache
@require_GET
@staff_page("profile.feed", section="feeds")
def feed_status(request, pk: int):
    """htmx: the run's status block; it keeps polling itself until the run is finished."""
    run = get_object_or_404(selectors.feed_runs_for(request.user), pk=pk)
    return render(request, "profiles/_feed_run.html", _run_context(run))


def _cell(value) -> str:
    """No cell a spreadsheet would run as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@require_GET
@staff_page("profile.feed", section="feeds")
def feed_errors_csv(request, pk: int):
    run = get_object_or_404(selectors.feed_runs_for(request.user), pk=pk)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["行号", "主体标识（已脱敏）", "数据元", "错误原因"])
    for error in run.errors:
        writer.writerow([error["line"], _cell(error["subject"]), _cell(error["element"]), _cell(error["message"])])
    # With a BOM, so Excel in Chinese opens it as UTF-8.
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="feed-{run.pk}-errors.csv"'
    return response


# --- 我的档案, 数据使用记录 -----------------------------------------------------------------------------------------

def _own_file(request) -> Party | None:
    """Whose file the user may see: their own, or the enterprise they are acting for as its legal representative
    or mandate administrator. An agent acting for another person under a mandate is refused: looking into someone
    else's file and read log is for them to do. None when the account has no person (staff, systems)."""
    person = getattr(request.user, "person", None)
    if person is None:
        return None
    principal = request.acting.principal if request.acting else person
    if (party := own_party(person, principal)) is not None:
        return party
    raise NotAllowed("档案和数据使用记录只能由本人（企业由法定代表人或授权管理员）查看；请先切换回本人办理。")


@login_required
@require_GET
def me_profile(request):
    party = _own_file(request)
    if party is None:
        return render(request, "accounts/no_person.html", status=403)
    return render(request, "profiles/me_profile.html", {
        "party": party,
        "is_person": isinstance(party, Person),
        "groups": selectors.profile_history(party),
        "relations": selectors.relations_current(party) if isinstance(party, Person) else [],
        "relation_history": selectors.relation_history(party) if isinstance(party, Person) else [],
    })


@login_required
@require_GET
def me_data_access(request):
    party = _own_file(request)
    if party is None:
        return render(request, "accounts/no_person.html", status=403)
    page = Paginator(selectors.reads_of(party, viewer=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "profiles/me_data_access.html", {
        "party": party, "is_person": isinstance(party, Person), "page": page,
        "records": selectors.describe_reads(page.object_list),
    })

