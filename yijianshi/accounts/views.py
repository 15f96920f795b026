"""Pages residents and enterprises use for their identity and mandates (授权代办). Thin: parse the form, call a
service, render. A service's InvalidInput becomes an error next to its field and a 400 re-render; NotAllowed
becomes the 403 page. Mandates and enterprises are looked up only among the user's own parties (404 otherwise)."""

from __future__ import annotations

from datetime import datetime, time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yijianshi.accounts import selectors, services
from yijianshi.accounts.forms import (
    AdministratorForm,
    ContactForm,
    EnterpriseRegisterForm,
    LoginForm,
    MandateGrantForm,
    RevokeForm,
    SignUpForm,
    form_error_from,
)
from yijianshi.accounts.middleware import SESSION_KEY
from yijianshi.accounts.models import Enterprise, Mandate, Party, Person
from yijianshi.accounts.permissions import NotAllowed
from yijianshi.accounts.roles import Role
from yijianshi.accounts.services import InvalidInput
from yijianshi.audit.services import audit_read
from yijianshi.notifications.selectors import site_messages
from yijianshi.catalog.models import Bundle

PASSWORD_BACKEND = "yijianshi.accounts.backends.IdentifierBackend"
PROFILE_READ_PURPOSE = "依授权代办查看"


def _own_person(request) -> Person | None:
    return getattr(request.user, "person", None)


def _require_person(request) -> Person:
    person = _own_person(request)
    if person is None:
        raise NotAllowed("请先以实名账号登录（工作人员账号未关联实名信息，无法使用“我的空间”）")
    return person


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return ""


# --- Sign-up, log-in, log-out ----------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
def sign_up(request):
    form = SignUpForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                user = services.resident_sign_up(name=data["name"], id_number=data["id_number"],
                                                 mobile=data["mobile"], password=data["password"])
            except InvalidInput as exc:
                form_error_from(form, exc)
            else:
                login(request, user, backend=PASSWORD_BACKEND)
                messages.success(request, "注册成功，欢迎使用清涧县政务服务平台")
                return redirect("accounts:me")
        return render(request, "accounts/signup.html", {"form": form}, status=400)
    return render(request, "accounts/signup.html", {"form": form})


def _oidc_login_url() -> str:
    """The province's single sign-on, if switched on and its URLs are installed."""
    if not getattr(settings, "OIDC_ENABLED", False):
        return ""
    try:
        return reverse("oidc:authenticate")
    except NoReverseMatch:
        return ""


class LoginView(auth_views.LoginView):
    """Django's log-in view (authenticate(request, ...) so django-axes counts attempts, `next` checked to be
    same-site), with our form and a 400 when the credentials are refused."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["oidc_login_url"] = _oidc_login_url()
        return context

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


@require_POST
def log_out(request):
    logout(request)
    messages.info(request, "您已退出登录")
    return redirect("portal:home")


@login_required
@require_POST
def log_out_everywhere(request):
    services.logout_everywhere(user=request.user)
    logout(request)
    messages.info(request, "已退出所有设备上的登录")
    return redirect("accounts:login")


# --- 我的空间 ------------------------------------------------------------------------------------------------------

def _switchable(request, party: Party) -> bool:
    """Whether the user may act for ``party`` in general. A mandate limited to some bundles is used when
    applying for one of them, not as the general acting context."""
    try:
        services.acting_context(request.user, party.pk)
    except NotAllowed:
        return False
    return True


def _render_me(request, *, contact_form=None, status=200):
    person = _require_person(request)
    acting = request.acting
    principal = acting.principal.as_concrete()
    if acting.on_behalf and isinstance(principal, Person):
        # An agent sees (masked) personal data of someone else: that read is on the record.
        audit_read(actor=request.user, subject=principal, fields=["name", "id_number", "mobile"],
                   purpose=PROFILE_READ_PURPOSE, principal=principal)
    principals = [{"party": p, "is_self": p.pk == person.pk, "current": p.pk == principal.pk,
                   "switchable": p.pk == person.pk or _switchable(request, p)}
                  for p in selectors.principals_for(request.user)]
    enterprises = [{"enterprise": e, "is_representative": e.legal_representative_id == person.pk}
                   for e in selectors.enterprises_managed(person).select_related("legal_representative")]
    now = timezone.now()
    granted_count = sum(selectors.mandates_granted(party).filter(status=Mandate.Status.ACTIVE, valid_until__gt=now)
                        .count() for party in [person, *(item["enterprise"] for item in enterprises)])
    return render(request, "accounts/me.html", {
        "person": person,
        "principal": principal,
        "principal_is_person": isinstance(principal, Person),
        "on_behalf": acting.on_behalf,
        "principals": principals,
        "enterprises": enterprises,
        "contact_form": contact_form or ContactForm(),
        "granted_count": granted_count,
        "held_count": selectors.mandates_held(person).filter(
            status=Mandate.Status.ACTIVE, valid_until__gt=now).count(),
        # One's own messages only, whoever one is acting for.
        "messages_list": list(site_messages(request.user)),
    }, status=status)


@login_required
@require_GET
def me(request):
    if _own_person(request) is None:
        return render(request, "accounts/no_person.html")
    return _render_me(request)


@login_required
@require_POST
def acting_switch(request):
    _require_person(request)
    try:
        principal_id = int(request.POST.get("principal_id", ""))
    except ValueError:
        return HttpResponseBadRequest("请选择要为谁办理")
    context = services.acting_context(request.user, principal_id)  # NotAllowed -> 403
    if context.on_behalf:
        request.session[SESSION_KEY] = context.principal.pk
        messages.info(request, f"现在正在代 {context.principal.masked_display_name} 办理")
    else:
        request.session.pop(SESSION_KEY, None)
        messages.info(request, "已切换回本人办理")
    return redirect(_safe_next(request) or reverse("accounts:me"))


@login_required
@require_POST
def contact_update(request):
    _require_person(request)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            person = services.person_update_mobile(context=request.acting, mobile=form.cleaned_data["mobile"])
        except InvalidInput as exc:
            form_error_from(form, exc)
        else:
            whose = f"{person.masked_name} 的" if request.acting.on_behalf else ""
            messages.success(request, f"已更新{whose}手机号码：{person.masked_mobile}")
            return redirect("accounts:me")
    return _render_me(request, contact_form=form, status=400)


# --- 我的授权 ------------------------------------------------------------------------------------------------------

def _managed_enterprises(person: Person) -> list[Enterprise]:
    return list(selectors.enterprises_managed(person).order_by("name"))


def _helper_choices() -> list[tuple[int, str]]:
    choices = []
    for helper in selectors.helpers().prefetch_related("user__role_grants__service_point",
                                                       "user__role_grants__department"):
        grant = next((g for g in helper.user.role_grants.all() if g.role == Role.HELPER), None)
        where = (grant.service_point or grant.department) if grant else None
        choices.append((helper.pk, f"{helper.masked_name}（{where}）" if where else helper.masked_name))
    return choices


def _grant_form(person: Person, enterprises: list[Enterprise], data=None) -> MandateGrantForm:
    principals = [(person.pk, f"本人（{person.name}）")] + [(e.pk, e.name) for e in enterprises]
    return MandateGrantForm(data, principals=principals, helpers=_helper_choices(), bundles=list(Bundle.objects.all()))


def _render_mandates(request, *, grant_form=None, revoke_error="", status=200):
    person = _require_person(request)
    enterprises = _managed_enterprises(person)
    granted = [{"party": party, "is_self": party.pk == person.pk,
                "mandates": list(selectors.mandates_granted(party))}
               for party in [person, *enterprises]]
    held = list(selectors.mandates_held(person).prefetch_related("status_changes"))
    labels = dict(Mandate.Status.choices)
    for mandate in [*held, *(m for section in granted for m in section["mandates"])]:
        mandate.history = [{"at": c.changed_at, "status": labels.get(c.to_status, c.to_status), "reason": c.reason}
                           for c in mandate.status_changes.all()]
    form = grant_form or _grant_form(person, enterprises)
    bundles = list(Bundle.objects.all())
    chosen = set(form["bundle_codes"].value() or [])
    return render(request, "accounts/mandates.html", {
        "person": person,
        "granted": granted,
        "held": held,
        "form": form,
        "bundle_groups": [
            (label, [(b, b.code in chosen) for b in bundles if b.subject == subject])
            for subject, label in Bundle.Subject.choices
        ],
        "revoke_error": revoke_error,
    }, status=status)


@login_required
@require_GET
def mandates(request):
    if _own_person(request) is None:
        return render(request, "accounts/no_person.html", status=403)
    return _render_mandates(request)


def _end_of_day(day) -> datetime:
    """A mandate "until 2027-05-01" holds through that whole day, in the county's time zone."""
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))


@login_required
@require_POST
def mandate_grant(request):
    person = _require_person(request)
    enterprises = _managed_enterprises(person)
    form = _grant_form(person, enterprises, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        principal = next(p for p in [person, *enterprises] if p.pk == data["principal"])
        kind = data["agent_kind"]
        aliases = {}
        if kind == "agency":
            agent = {"agent_credit_code": data["agent_credit_code"]}
        elif kind == "helper":
            helper = selectors.helpers().get(pk=data["helper"])  # the choices came from helpers(): it is there
            agent = {"agent_name": helper.name, "agent_id_number": helper.id_number}
            aliases = {"agent_name": "helper", "agent_id_number": "helper"}
        else:
            agent = {"agent_name": data["agent_name"], "agent_id_number": data["agent_id_number"]}
        all_services = data["scope"] == "all"
        try:
            mandate = services.mandate_grant(
                user=request.user, principal=principal, all_services=all_services,
                bundle_codes=[] if all_services else data["bundle_codes"],
                valid_until=_end_of_day(data["valid_until"]), note=data["note"], **agent)
        except InvalidInput as exc:
            form_error_from(form, exc, aliases)
        else:
            until = timezone.localtime(mandate.valid_until).date()
            messages.success(request, f"已授权 {mandate.agent.masked_display_name} 代"
                                      f"{'本人' if principal.pk == person.pk else principal.name}办理，"
                                      f"有效期至 {until:%Y年%m月%d日}")
            return redirect("accounts:mandates")
    return _render_mandates(request, grant_form=form, status=400)


def _my_mandate(person: Person, pk: int) -> Mandate:
    """A mandate the person granted (for themself or an enterprise they manage) or holds; 404 for any other."""
    for party in [person, *_managed_enterprises(person)]:
        mandate = selectors.mandates_granted(party).filter(pk=pk).first()
        if mandate is not None:
            return mandate
    mandate = selectors.mandates_held(person).filter(pk=pk).first()
    if mandate is None:
        raise Http404("没有这条授权")
    return mandate


@login_required
@require_POST
def mandate_revoke(request, pk: int):
    person = _require_person(request)
    mandate = _my_mandate(person, pk)
    form = RevokeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.mandate_revoke(user=request.user, mandate=mandate, reason=reason)
    except InvalidInput as exc:
        return _render_mandates(request, revoke_error=exc.message, status=400)
    renounced = mandate.agent_id == person.pk
    messages.success(request, f"已{'放弃' if renounced else '撤销'}授权（{mandate.principal.masked_display_name} → "
                              f"{mandate.agent.masked_display_name}）")
    return redirect("accounts:mandates")


# --- Enterprises -----------------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def enterprise_register(request):
    person = _require_person(request)
    if request.method == "POST":
        form = EnterpriseRegisterForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                enterprise = services.enterprise_register(
                    user=request.user, name=data["name"], credit_code=data["credit_code"],
                    representative_name=data["representative_name"],
                    representative_id_number=data["representative_id_number"])
            except InvalidInput as exc:
                form_error_from(form, exc)
            else:
                messages.success(request, f"企业“{enterprise.name}”已注册，您是其法定代表人")
                return redirect("accounts:enterprise-detail", pk=enterprise.pk)
        return render(request, "accounts/enterprise_register.html", {"form": form}, status=400)
    form = EnterpriseRegisterForm(initial={"representative_name": person.name})
    return render(request, "accounts/enterprise_register.html", {"form": form})


def _my_enterprise(person: Person, pk: int) -> Enterprise:
    enterprise = selectors.enterprises_managed(person).select_related("legal_representative").filter(pk=pk).first()
    if enterprise is None:
        raise Http404("没有这家企业，或您不是其法定代表人或授权管理员")
    return enterprise


def _render_enterprise(request, enterprise: Enterprise, *, admin_form=None, status=200):
    person = _require_person(request)
    return render(request, "accounts/enterprise_detail.html", {
        "enterprise": enterprise,
        "is_representative": enterprise.legal_representative_id == person.pk,
        "administrators": list(enterprise.mandate_administrators.order_by("name")),
        "admin_form": admin_form or AdministratorForm(),
        "active_mandates": selectors.mandates_granted(enterprise).filter(
            status=Mandate.Status.ACTIVE, valid_until__gt=timezone.now()).count(),
    }, status=status)


@login_required
@require_GET
def enterprise_detail(request, pk: int):
    enterprise = _my_enterprise(_require_person(request), pk)
    return _render_enterprise(request, enterprise)


@login_required
@require_POST
def enterprise_administrators(request, pk: int):
    person = _require_person(request)
    enterprise = _my_enterprise(person, pk)
    if request.POST.get("action") == "remove":
        admin = enterprise.mandate_administrators.filter(pk=request.POST.get("person_id") or 0).first()
        if admin is None:
            raise Http404("没有这位授权管理员")
        services.enterprise_administrator_set(user=request.user, enterprise=enterprise, name=admin.name,
                                              id_number=admin.id_number, add=False)
        messages.success(request, f"已移除授权管理员 {admin.masked_name}")
        return redirect("accounts:enterprise-detail", pk=enterprise.pk)
    form = AdministratorForm(request.POST)
    if form.is_valid():
        try:
            admin = services.enterprise_administrator_set(user=request.user, enterprise=enterprise,
                                                          name=form.cleaned_data["name"],
                                                          id_number=form.cleaned_data["id_number"], add=True)
        except InvalidInput as exc:
            form_error_from(form, exc)
        else:
            messages.success(request, f"已添加授权管理员 {admin.masked_name}")
            return redirect("accounts:enterprise-detail", pk=enterprise.pk)
    return _render_enterprise(request, enterprise, admin_form=form, status=400)
