"""Staff pages: staff accounts and their roles, system accounts and API tokens, legal representative changes,
and the person look-up with its audited reveal. Thin: parse the form, call a service or selector, render.

The services check permissions themselves; the views check too, only to answer with a page that says why.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from yijianshi.accounts import selectors, services
from yijianshi.accounts.forms import form_error_from
from yijianshi.accounts.identity import IdentityError, parse_credit_code
from yijianshi.accounts.models import ApiToken, Enterprise, Mandate, Person, User
from yijianshi.accounts.permissions import NotAllowed, has_permission
from yijianshi.accounts.services import InvalidInput
from yijianshi.accounts.staff_forms import (
    EnterpriseSearchForm,
    LegalRepresentativeChangeForm,
    PersonLookupForm,
    RevealForm,
    RolesChangeForm,
    SetActiveForm,
    StaffCreateForm,
    StaffFilterForm,
    SystemAccountForm,
    TokenIssueForm,
    grant_formset,
    grant_specs,
    grants_initial,
)
from yijianshi.accounts.system_accounts import system_account_create

PAGE_SIZE = 50

# The staff workbench's sections; each is shown only to those holding its permission.
SECTIONS = [
    ("window", "综合窗口", "case.accept", "cases:window"),
    ("tasks", "部门待办", "task.process", "cases:tasks"),
    ("certificates", "电子证照", "task.process", "certificates:issued"),
    ("hotline", "12345 工单", "hotline.intake", "hotline:console"),
    ("hotline-dept", "12345 工单", "hotline.handle", "hotline:department"),
    ("overdue", "工单督办", "hotline.supervise", "hotline:overdue"),
    ("hall", "大厅窗口", "hall.window", "hall:windows"),
    ("hall-help", "帮办代办", "hall.help", "hall:help"),
    ("hall-figures", "大厅监督", "supervision.view", "hall:supervision"),
    ("rating-appeals", "评价申诉", "supervision.view", "cases:rating-appeals"),
    ("staff", "工作人员管理", "staff.manage", "staff:list"),
    ("enterprises", "法定代表人变更", "enterprise.change_representative", "staff:enterprise-search"),
    ("persons", "群众信息查询", "person.lookup", "staff:person-lookup"),
    ("profiles", "档案查询", "profile.read", "profiles:lookup"),
    ("feeds", "数据共享导入", "profile.feed", "profiles:feeds"),
    ("policy-grants", "政策兑现", "task.process", "policies:grants"),
    ("policy-editor", "政策管理", "catalog.edit", "policies:editor"),
    ("audit", "审计日志", "audit.view", "audit:events"),
]


def staff_render(request, template: str, context: dict, *, section: str, status: int = 200):
    nav = [{"label": label, "url": reverse(url_name), "current": key == section}
           for key, label, permission, url_name in SECTIONS if has_permission(request.user, permission)]
    return render(request, template, {**context, "staff_nav": nav, "section": section}, status=status)


def forbidden(request, message: str = "", *, section: str = ""):
    return staff_render(request, "staff/forbidden.html", {"message": message or "您的角色没有使用本页面的权限。"},
                        section=section, status=403)


def staff_page(*permissions, section):
    """Staff holding any of ``permissions``; anonymous visitors go to the log-in page, others (and a service's
    NotAllowed further in) get the staff 403 page saying why. ``section`` names the workbench tab, or is a
    function of the user for pages several roles reach."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            current = section(request.user) if callable(section) else section
            try:
                if not any(has_permission(request.user, p) for p in permissions):
                    raise NotAllowed("您的角色没有使用本页面的权限。")
                return view(request, *args, **kwargs)
            except NotAllowed as exc:
                return staff_render(request, "staff/forbidden.html", {"message": exc.message}, section=current,
                                    status=403)

        return login_required(wrapped)

    return decorator


def permission_page(permission: str, *, section: str):
    """Anonymous visitors go to the log-in page; a logged-in user without ``permission`` gets a 403 page that
    says so, as does a NotAllowed raised by a service further in."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not has_permission(request.user, permission):
                return forbidden(request, section=section)
            try:
                return view(request, *args, **kwargs)
            except NotAllowed as exc:
                return forbidden(request, exc.message, section=section)

        return login_required(wrapped)

    return decorator


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- Staff accounts ------------------------------------------------------------------------------------------

@require_http_methods(["GET"])
@permission_page("staff.manage", section="staff")
def staff_list(request):
    form = StaffFilterForm(request.GET or None)
    accounts = selectors.staff_list(user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        if data["role"]:
            accounts = accounts.filter(role_grants__role=data["role"])
        if data["department"]:
            accounts = accounts.filter(role_grants__department=data["department"])
        if data["service_point"]:
            accounts = accounts.filter(role_grants__service_point=data["service_point"])
        accounts = accounts.distinct()
    return staff_render(request, "staff/staff_list.html", {
        "form": form, "page": _page(request, accounts), "query": _query_without_page(request),
    }, section="staff")


@require_http_methods(["GET", "POST"])
@permission_page("staff.manage", section="staff")
def staff_create(request):
    if request.method == "GET":
        return _create_response(request, StaffCreateForm(), grant_formset(spare=3))
    form = StaffCreateForm(request.POST)
    grants = grant_formset(request.POST, spare=0, require_one=True)
    if not (form.is_valid() and grants.is_valid()):
        return _create_response(request, form, grants, status=400)
    data = form.cleaned_data
    try:
        staff = services.staff_account_create(
            user=request.user, username=data["username"], name=data["name"], id_number=data["id_number"],
            mobile=data["mobile"], password=data["password"], grants=grant_specs(grants))
    except InvalidInput as exc:
        form_error_from(form, exc)
        return _create_response(request, form, grants, status=400)
    messages.success(request, f"已创建工作人员账号 {staff.username}。请将初始密码当面告知本人。")
    return redirect("staff:detail", user_id=staff.pk)


def _create_response(request, form, grants, *, status: int = 200):
    return staff_render(request, "staff/staff_create.html", {"form": form, "grants": grants},
                        section="staff", status=status)


@require_http_methods(["GET", "POST"])
@permission_page("staff.manage", section="staff")
def system_account_new(request):
    form = SystemAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            system = system_account_create(user=request.user, **form.cleaned_data)
        except InvalidInput as exc:
            form_error_from(form, exc)
        else:
            messages.success(request, f"已创建对接系统账号 {system.username}，可在下方签发接口令牌。")
            return redirect("staff:detail", user_id=system.pk)
    status = 400 if request.method == "POST" else 200
    return staff_render(request, "staff/system_create.html", {"form": form}, section="staff", status=status)


def _staff_or_404(request, user_id: int) -> User:
    return get_object_or_404(selectors.staff_list(user=request.user), pk=user_id)


def _detail_response(request, staff: User, *, status: int = 200, **forms):
    grants = forms.get("grants") or grant_formset(initial=grants_initial(staff))
    tokens = staff.api_tokens.order_by("-created_at") if staff.kind == User.Kind.SYSTEM else []
    return staff_render(request, "staff/staff_detail.html", {
        "staff": staff,
        "person": getattr(staff, "person", None),
        "grants": grants,
        "roles_form": forms.get("roles_form") or RolesChangeForm(),
        "active_form": forms.get("active_form") or SetActiveForm(initial={"active": "0" if staff.is_active else "1"}),
        "token_form": forms.get("token_form") or TokenIssueForm(),
        "tokens": tokens,
        "now": timezone.now(),
        "is_self": staff.pk == request.user.pk,
    }, section="staff", status=status)


@require_http_methods(["GET"])
@permission_page("staff.manage", section="staff")
def staff_detail(request, user_id: int):
    return _detail_response(request, _staff_or_404(request, user_id))


@require_POST
@permission_page("staff.manage", section="staff")
def staff_roles(request, user_id: int):
    staff = _staff_or_404(request, user_id)
    grants = grant_formset(request.POST, spare=0)
    roles_form = RolesChangeForm(request.POST)
    if not (grants.is_valid() and roles_form.is_valid()):
        return _detail_response(request, staff, grants=grants, roles_form=roles_form, status=400)
    try:
        services.staff_roles_set(user=request.user, staff=staff, grants=grant_specs(grants),
                                 reason=roles_form.cleaned_data["reason"])
    except InvalidInput as exc:
        form_error_from(roles_form, exc)
        return _detail_response(request, staff, grants=grants, roles_form=roles_form, status=400)
    messages.success(request, "角色已更新。")
    return redirect("staff:detail", user_id=staff.pk)


@require_POST
@permission_page("staff.manage", section="staff")
def staff_set_active(request, user_id: int):
    staff = _staff_or_404(request, user_id)
    form = SetActiveForm(request.POST)
    if form.is_valid():
        try:
            services.staff_account_set_active(user=request.user, staff=staff, active=form.cleaned_data["active"],
                                              reason=form.cleaned_data["reason"])
        except InvalidInput as exc:
            form_error_from(form, exc)
        else:
            done = "已启用" if staff.is_active else "已停用，其所有登录会话和接口令牌均已失效"
            messages.success(request, f"账号 {staff.username} {done}。")
            return redirect("staff:detail", user_id=staff.pk)
    return _detail_response(request, staff, active_form=form, status=400)


@never_cache
@require_POST
@permission_page("staff.manage", section="staff")
def token_issue(request, user_id: int):
    staff = _staff_or_404(request, user_id)
    form = TokenIssueForm(request.POST)
    if staff.kind != User.Kind.SYSTEM:
        # People sign in on pages; bearer tokens are for machines only.
        form.add_error(None, "接口令牌：只能为对接系统账号签发")
    if form.is_valid():
        try:
            token, secret = services.api_token_issue(user=request.user, owner=staff, name=form.cleaned_data["name"],
                                                     days=form.cleaned_data["days"] or 365)
        except InvalidInput as exc:
            form_error_from(form, exc)
        else:
            # The one and only time the secret exists outside the caller's hands: this response, not cached.
            return staff_render(request, "staff/token_issued.html", {"staff": staff, "token": token,
                                                                       "secret": secret}, section="staff")
    return _detail_response(request, staff, token_form=form, status=400)


@require_POST
@permission_page("staff.manage", section="staff")
def token_revoke(request, user_id: int, token_id: int):
    staff = _staff_or_404(request, user_id)
    token = get_object_or_404(ApiToken, pk=token_id, user=staff)
    services.api_token_revoke(user=request.user, token=token)
    messages.success(request, f"接口令牌 {token.prefix}… 已吊销。")
    return redirect("staff:detail", user_id=staff.pk)


# --- Enterprises: legal representative change ----------------------------------------------------------------

@require_http_methods(["GET"])
@permission_page("enterprise.change_representative", section="enterprises")
def enterprise_search(request):
    form = EnterpriseSearchForm(request.GET or None)
    searched, status = False, 200
    if form.is_valid() and form.cleaned_data["credit_code"]:
        searched = True
        try:
            code = parse_credit_code(form.cleaned_data["credit_code"])
        except IdentityError as exc:
            form.add_error("credit_code", exc.message)
            status = 400
        else:
            enterprise = selectors.enterprise_by_credit_code(code)
            if enterprise is not None:
                return redirect("staff:enterprise-detail", enterprise_id=enterprise.pk)
    return staff_render(request, "staff/enterprise_search.html", {"form": form, "searched": searched},
                        section="enterprises", status=status)


def _enterprise_response(request, enterprise: Enterprise, form, *, status: int = 200):
    now = timezone.now()
    counts = selectors.mandates_granted(enterprise).aggregate(
        total=Count("pk"),
        in_force=Count("pk", filter=Q(status=Mandate.Status.ACTIVE, valid_from__lte=now, valid_until__gt=now)),
        active=Count("pk", filter=Q(status=Mandate.Status.ACTIVE)),
    )
    return staff_render(request, "staff/enterprise_detail.html", {
        "enterprise": enterprise, "representative": enterprise.legal_representative, "counts": counts,
        "administrators": enterprise.mandate_administrators.count(), "form": form,
    }, section="enterprises", status=status)


@require_http_methods(["GET", "POST"])
@permission_page("enterprise.change_representative", section="enterprises")
def enterprise_detail(request, enterprise_id: int):
    enterprise = get_object_or_404(Enterprise.objects.select_related("legal_representative"), pk=enterprise_id)
    if request.method == "GET":
        return _enterprise_response(request, enterprise, LegalRepresentativeChangeForm())
    form = LegalRepresentativeChangeForm(request.POST)
    if not form.is_valid():
        return _enterprise_response(request, enterprise, form, status=400)
    try:
        voided = services.enterprise_change_legal_representative(user=request.user, enterprise=enterprise,
                                                                 **form.cleaned_data)
    except InvalidInput as exc:
        form_error_from(form, exc)
        return _enterprise_response(request, enterprise, form, status=400)
    messages.success(request, f"法定代表人已变更。该企业原有的 {voided} 条有效授权已全部失效，授权管理员已清空，"
                              "由新的法定代表人重新授权。")
    return redirect("staff:enterprise-detail", enterprise_id=enterprise.pk)


# --- Persons: look-up and audited reveal ---------------------------------------------------------------------
# Look-ups are POSTed and answered in the response: an ID or mobile number must never sit in a URL, where
# browsers, proxies and access logs would keep it.

def _person_cards(request, persons, *, revealed=None, reveal_forms=None):
    may_reveal = has_permission(request.user, "personal_data.reveal")
    cards = []
    for person in persons:
        forms = {}
        for field in ("id_number", "mobile"):
            key = (person.pk, field)
            forms[field] = (reveal_forms or {}).get(key) or RevealForm(initial={"field": field},
                                                                       auto_id=_reveal_auto_id(person, field))
        cards.append({
            "person": person,
            "id_form": forms["id_number"],
            "mobile_form": forms["mobile"],
            "revealed": (revealed or {}).get(person.pk, {}),
            "enterprises": list(person.represented_enterprises.all()),
        })
    return {"cards": cards, "may_reveal": may_reveal}


def _reveal_auto_id(person, field: str) -> str:
    return f"reveal-{person.pk}-{field}-%s"  # two reveal forms per person card: ids must differ


def _lookup_response(request, form, persons=(), *, searched=False, status=200, **cards):
    return staff_render(request, "staff/person_lookup.html", {
        "form": form, "searched": searched, **_person_cards(request, persons, **cards),
    }, section="persons", status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@permission_page("person.lookup", section="persons")
def person_lookup(request):
    if request.method == "GET":
        return _lookup_response(request, PersonLookupForm())
    form = PersonLookupForm(request.POST)
    if not form.is_valid():
        return _lookup_response(request, form, status=400)
    data = form.cleaned_data
    try:
        # A typo gets its own message (naming the field), not "not found".
        persons = services.person_lookup(user=request.user, id_number=data["id_number"], mobile=data["mobile"])
    except InvalidInput as exc:
        form_error_from(form, exc)
        return _lookup_response(request, form, status=400)
    return _lookup_response(request, form, persons, searched=True)


@never_cache
@require_POST
@permission_page("person.lookup", section="persons")
def person_reveal(request, person_id: int):
    person = get_object_or_404(Person, pk=person_id)
    field = request.POST.get("field") if request.POST.get("field") in ("id_number", "mobile") else "id_number"
    form = RevealForm(request.POST, auto_id=_reveal_auto_id(person, field))
    lookup = PersonLookupForm()
    if form.is_valid():
        field = form.cleaned_data["field"]
        try:
            value = services.person_reveal(user=request.user, person=person, field=field,
                                           purpose=form.cleaned_data["purpose"])
        except InvalidInput as exc:
            form_error_from(form, exc)
        else:
            return _lookup_response(request, lookup, [person], searched=True, revealed={person.pk: {field: value}})
    return _lookup_response(request, lookup, [person], searched=True, status=400,
                            reveal_forms={(person.pk, field): form})
