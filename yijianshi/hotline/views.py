"""Pages of the 12345 hotline: the operators' console (take a call, look up the caller, dispatch with the
classifier's suggestions), the ticket page with the actions the user may take now (including the co-handlers'
opinions, rating appeals and the audited reveal of the caller's number), the department's tickets, the
supervisors' view (overdue tickets, 办不成事 to assign, bad ratings and appeals to decide), and the residents' web
form and their own tickets. Thin: parse, call a service or a selector, render.

Errors from the services: InvalidInput goes next to the field it names with a 400 re-render; Conflict (the ticket
moved on meanwhile) is a message with 409; NotAllowed is the staff 403 page.
"""

from __future__ import annotations

import logging

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yijianshi.accounts.forms import form_error_from
from yijianshi.accounts.identity import IdentityError, parse_mobile
from yijianshi.accounts.permissions import NotAllowed, departments_with, has_permission
from yijianshi.accounts.services import InvalidInput
from yijianshi.accounts.staff_views import staff_page, staff_render
from yijianshi.cases import storage
from yijianshi.hotline import forms, selectors, services
from yijianshi.hotline.models import CoHandling, Ticket, TicketPhoto
from yijianshi.hotline.services import Conflict
from yijianshi.privacy.masking import mask_mobile

logger = logging.getLogger(__name__)
S = Ticket.Status
STAFF_PERMISSIONS = ("hotline.intake", "hotline.handle", "hotline.supervise")


# --- shared --------------------------------------------------------------------------------------------------------

def _section(user) -> str:
    if has_permission(user, "hotline.intake"):
        return "hotline"
    if has_permission(user, "hotline.supervise"):
        return "overdue"
    return "hotline-dept"


def hotline_page(*permissions):
    return staff_page(*permissions, section=_section)


def suggestions_for(text: str) -> tuple[list[tuple[str, float]], bool]:
    """The classifier's top three (department code, score) and whether a person must decide. A broken model must
    not stop the operators: they then choose by hand."""
    try:
        from yijianshi.hotline.dispatch.classifier import needs_person
        from yijianshi.hotline.dispatch.training import current_model

        suggestions = [(code, float(score)) for code, score in current_model().suggest(text, k=3)]
    except Exception:  # noqa: BLE001 - any failure of the model means "decide by hand", logged for the engineers
        logger.exception("分拨建议不可用")
        return [], True
    return suggestions, needs_person(suggestions)


def _suggestion_rows(suggestions, names) -> list[dict]:
    return [{"code": code, "name": names.get(code, code), "percent": round(score * 100)} for code, score in suggestions]


def _put_error(form, exc: InvalidInput, aliases=None) -> None:
    if not hasattr(form, "cleaned_data"):
        form.is_valid()
    form_error_from(form, exc, aliases)


# --- 话务员工作台 -------------------------------------------------------------------------------------------------------

def _console_response(request, form, *, status=200):
    names = selectors.department_names()
    queue = []
    for ticket in selectors.dispatch_queue()[:50]:
        suggestions, unsure = suggestions_for(ticket.content)
        queue.append({"ticket": ticket, "suggestions": _suggestion_rows(suggestions, names), "needs_person": unsure,
                      "flag": selectors.alert_level(ticket)})
    return staff_render(request, "hotline/console.html", {"form": form, "queue": queue}, section="hotline",
                        status=status)


@require_http_methods(["GET", "POST"])
@hotline_page("hotline.intake")
def console(request):
    lookup_url = reverse("hotline:caller-lookup")
    if request.method == "GET":
        return _console_response(request, forms.IntakeForm(lookup_url=lookup_url))
    form = forms.IntakeForm(request.POST, lookup_url=lookup_url)
    if not form.is_valid():
        return _console_response(request, form, status=400)
    data = form.cleaned_data
    try:
        ticket = services.ticket_intake(user=request.user, channel=Ticket.Channel.PHONE, **data)
    except InvalidInput as exc:
        _put_error(form, exc)
        return _console_response(request, form, status=400)
    messages.success(request, f"已受理，工单编号 {ticket.number}。请分拨或当场答复。")
    return redirect("hotline:ticket", pk=ticket.pk)


@require_POST
@hotline_page("hotline.intake")
def caller_lookup(request):
    """htmx: the caller's earlier tickets and a registered person with that mobile, while the operator talks.
    POSTed so the number never sits in a URL or an access log."""
    raw = (request.POST.get("caller_mobile") or "").strip()
    context = {"searched": False}
    if len(raw) >= 11:
        try:
            mobile = parse_mobile(raw, field="caller_mobile")
        except IdentityError as exc:
            context = {"searched": False, "error": exc.message.replace("手机号码", "来电号码", 1)}
        else:
            context = {"searched": True, "tickets": selectors.tickets_by_mobile(mobile),
                       "persons": selectors.persons_by_mobile(mobile)}
    return render(request, "hotline/_caller_lookup.html", context)


# --- 工单 -------------------------------------------------------------------------------------------------------------

def _visible_ticket(request, pk: int) -> Ticket:
    try:
        return selectors.tickets_visible_to(request.user).get(pk=pk)
    except Ticket.DoesNotExist:
        raise Http404("没有这个工单") from None


def _actions(user, ticket: Ticket) -> dict:
    """What this user may do with the ticket now; the services check again."""
    lead = ticket.lead_department
    handler = lead is not None and has_permission(user, "hotline.handle", lead)
    leader = lead is not None and has_permission(user, services.LEADER_PERMISSION, lead)
    operator = has_permission(user, "hotline.intake")
    supervisor = has_permission(user, "hotline.supervise")
    failure = ticket.kind == Ticket.Kind.SERVICE_FAILURE
    handling = ticket.status in (S.DISPATCHED, S.IN_PROGRESS)
    pending_co = ticket.co_handlings.filter(status=CoHandling.Status.PENDING)
    return {
        "dispatch": operator and not failure and ticket.status in (S.RECEIVED, S.RETURNED),
        "assign": supervisor and failure and ticket.status in (S.TO_SUPERVISOR, S.RETURNED),
        "co_handle": handling and not handler and pending_co.filter(
            department_id__in=departments_with(user, "hotline.handle")).exists(),
        "co_waive": supervisor and handling and pending_co.exists(),
        "appeal": leader and ticket.ratings.filter(level__lte=2, appealed_at__isnull=True).exists(),
        "appeal_decide": supervisor and ticket.ratings.filter(appealed_at__isnull=False, appeal_decision="").exists(),
        "merge": operator and ticket.status == S.RECEIVED,
        "answer": operator and ticket.status == S.RECEIVED and ticket.kind == Ticket.Kind.CONSULTATION,
        "accept": handler and ticket.status == S.DISPATCHED,
        "return": handler and ticket.status == S.DISPATCHED,
        "reply": handler and ticket.status == S.IN_PROGRESS,
        "extend": lead is not None and has_permission(user, "hotline.extend", lead) and not ticket.extended
                  and ticket.status in (S.DISPATCHED, S.IN_PROGRESS),
        "rate": operator and ticket.status == S.REPLIED,
        "supervise": supervisor and ticket.status not in (S.CLOSED, S.MERGED),
        "review": supervisor and ticket.status == S.REOPEN_REQUESTED,
    }


def _dispatch_initial(ticket: Ticket, suggestions) -> dict:
    initial = {}
    if suggestions:
        initial["department_code"] = suggestions[0][0]
    if ticket.town_id:
        initial["service_point_code"] = f"town-{ticket.town.division_code}"
    return initial


FORMS = {
    "accept": django_forms.Form,  # accepting needs no input
    "dispatch": forms.DispatchForm, "merge": forms.MergeForm, "answer": forms.AnswerForm, "return": forms.ReasonForm,
    "reply": forms.ReplyForm, "extend": forms.ExtendForm, "rate": forms.RatingForm, "supervise": forms.SuperviseForm,
    "review": forms.ReviewForm, "assign": forms.AssignForm, "co_handle": forms.CoHandleForm,
    "co_waive": forms.CoWaiveForm, "appeal": forms.AppealForm, "appeal_decide": forms.AppealDecisionForm,
}
TICKET_FORMS = {"co_waive", "appeal", "appeal_decide"}  # their choices come from the ticket


def _form(name: str, ticket: Ticket, data=None, **kwargs):
    if name in TICKET_FORMS:
        kwargs["ticket"] = ticket
    return FORMS[name](data, auto_id=f"{name}-%s", **kwargs)


def _reveal_context(request, ticket: Ticket, *, form=None, revealed: str = "") -> dict:
    """The caller's number, masked; with the reveal form for those who may see it whole (audited, by purpose)."""
    may_reveal = services.may_reveal_caller(request.user, ticket)
    return {"ticket": ticket, "caller_mobile": mask_mobile(ticket.caller_mobile) if ticket.caller_mobile else "",
            "has_mobile": bool(ticket.caller_mobile) or ticket.caller_id is not None, "may_reveal": may_reveal,
            "reveal_form": form or forms.RevealForm(auto_id="reveal-%s"), "revealed": revealed}


def _ticket_page(request, ticket: Ticket, *, status=200, bound: dict | None = None, reveal: dict | None = None):
    actions = _actions(request.user, ticket)
    co_handlings = selectors.co_handlings(ticket)
    context = {**_reveal_context(request, ticket, **(reveal or {})), "actions": actions,
               "events": selectors.timeline(ticket, staff=True), "co_handlings": co_handlings,
               "pending_co": [c for c in co_handlings if c.status == CoHandling.Status.PENDING],
               "co_departments": list(ticket.co_departments.all()), "ratings": list(ticket.ratings.all()),
               "flag": selectors.alert_level(ticket), "forms": {}}
    suggestions = []
    if actions["dispatch"] or actions["assign"]:
        suggestions, unsure = suggestions_for(ticket.content)
        context.update(suggestions=_suggestion_rows(suggestions, selectors.department_names()), needs_person=unsure)
    if actions["merge"]:
        context["merge_candidates"] = selectors.merge_candidates(ticket)
    for name in FORMS:
        if actions[name]:
            kwargs = {"initial": _dispatch_initial(ticket, suggestions)} if name in ("dispatch", "assign") else {}
            context["forms"][name] = (bound or {}).get(name) or _form(name, ticket, **kwargs)
    context["any_action"] = any(actions.values())
    return staff_render(request, "hotline/ticket.html", context, section=_section(request.user), status=status)


@require_GET
@hotline_page(*STAFF_PERMISSIONS)
def ticket_detail(request, pk: int):
    return _ticket_page(request, _visible_ticket(request, pk))


def _act(name: str, call, done: str):
    """A POSTed action on the ticket page: bind its form, call the service, and come back to the ticket."""

    @require_POST
    @hotline_page(*STAFF_PERMISSIONS)
    def view(request, pk: int):
        ticket = _visible_ticket(request, pk)
        form = _form(name, ticket, request.POST)
        if not form.is_valid():
            return _ticket_page(request, ticket, status=400, bound={name: form})
        try:
            call(request, ticket, form.cleaned_data)
        except InvalidInput as exc:
            _put_error(form, exc)
            return _ticket_page(request, ticket, status=400, bound={name: form})
        except Conflict as exc:
            messages.error(request, exc.message)
            return _ticket_page(request, Ticket.objects.get(pk=ticket.pk), status=409)
        messages.success(request, done)
        return redirect("hotline:ticket", pk=ticket.pk)

    view.__name__ = f"ticket_{name}"
    return view


def _dispatch(request, ticket, data):
    suggestions, _ = suggestions_for(ticket.content)
    services.ticket_dispatch(user=request.user, ticket=ticket, suggestions=suggestions, **data)


def _assign(request, ticket, data):
    suggestions, _ = suggestions_for(ticket.content)
    services.ticket_assign(user=request.user, ticket=ticket, suggestions=suggestions, **data)


def _merge(request, ticket, data):
    into = Ticket.objects.filter(number=data["into"].strip().upper()).first()
    if into is None:
        raise InvalidInput("into", "并入工单编号：没有这个工单")
    services.ticket_merge(user=request.user, ticket=ticket, into=into)


ticket_dispatch = _act("dispatch", _dispatch, "已分拨。")
ticket_merge = _act("merge", _merge, "已并单。")
ticket_answer = _act("answer", lambda r, t, d: services.ticket_close_at_intake(user=r.user, ticket=t, **d),
                     "已当场答复并办结。")
ticket_accept = _act("accept", lambda r, t, d: services.ticket_accept(user=r.user, ticket=t), "已签收，开始办理。")
ticket_return = _act("return", lambda r, t, d: services.ticket_return(user=r.user, ticket=t, **d),
                     "已退单，话务员将重新分拨。")
ticket_reply = _act("reply", lambda r, t, d: services.ticket_reply(user=r.user, ticket=t, **d), "已答复诉求人。")
ticket_extend = _act("extend", lambda r, t, d: services.ticket_extend(user=r.user, ticket=t, **d), "已延期。")
ticket_rate = _act("rate", lambda r, t, d: services.ticket_rate(user=r.user, ticket=t, **d), "回访评价已记录。")
ticket_supervise = _act("supervise", lambda r, t, d: services.ticket_supervise(user=r.user, ticket=t, **d),
                        "已督办。")
ticket_review = _act("review", lambda r, t, d: services.ticket_review(
    user=r.user, ticket=t, reopen=d["decision"] == "reopen", reason=d["reason"]), "复核已完成。")
ticket_assign = _act("assign", _assign, "已交办并督办。")
ticket_co_handle = _act("co_handle", lambda r, t, d: services.ticket_co_contribute(user=r.user, ticket=t, **d),
                        "协办意见已提交。")
ticket_co_waive = _act("co_waive", lambda r, t, d: services.ticket_co_waive(
    user=r.user, ticket=t, co_handling=d["co_handling"], reason=d["reason"]), "已免于协办。")
ticket_appeal = _act("appeal", lambda r, t, d: services.ticket_rating_appeal(
    user=r.user, rating=d["rating"], reason=d["reason"]), "评价申诉已提交，等待效能监督员复核。")
ticket_appeal_decide = _act("appeal_decide", lambda r, t, d: services.ticket_rating_appeal_decide(
    user=r.user, rating=d["rating"], exclude=d["decision"] == "exclude", reason=d["reason"]), "申诉复核已完成。")


@never_cache
@require_POST
@hotline_page(*STAFF_PERMISSIONS)
def caller_reveal(request, pk: int):
    """The caller's full number for a stated purpose, audited. htmx swaps it in place (no reload); without
    JavaScript the ticket page comes back with it. POSTed and never cached, so it stays out of URLs and caches."""
    ticket = _visible_ticket(request, pk)
    form = forms.RevealForm(request.POST, auto_id="reveal-%s")
    revealed, status = "", 400
    if form.is_valid():
        try:
            revealed = services.ticket_caller_reveal(user=request.user, ticket=ticket,
                                                     purpose=form.cleaned_data["purpose"])
            status = 200
        except InvalidInput as exc:
            _put_error(form, exc)
        except Conflict as exc:
            form.add_error(None, exc.message)
            status = 409
    if request.headers.get("HX-Request") == "true":
        return render(request, "hotline/_caller_mobile.html",
                      _reveal_context(request, ticket, form=form, revealed=revealed), status=status)
    return _ticket_page(request, ticket, status=status, reveal={"form": form, "revealed": revealed})


# --- 部门工单 / 督办 --------------------------------------------------------------------------------------------------

@require_GET
@hotline_page("hotline.handle")
def department(request):
    rows = [{"ticket": t, "flag": selectors.alert_level(t)} for t in selectors.department_tickets(request.user)]
    return staff_render(request, "hotline/department.html", {"rows": rows}, section="hotline-dept")


@require_GET
@hotline_page("hotline.supervise")
def overdue(request):
    form = forms.OverdueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = [{"ticket": t, "flag": selectors.alert_level(t)}
            for t in selectors.overdue_tickets(department=filters.get("department"), town=filters.get("town"))]
    reviews = [{"ticket": t, "rating": t.ratings.all().order_by("-rated_at").first()}
               for t in selectors.reopen_requested()]
    return staff_render(request, "hotline/overdue.html", {
        "form": form, "rows": rows, "reviews": reviews, "supervise_form": forms.SuperviseForm(auto_id=False),
        "failures": selectors.service_failures_to_assign(), "appeals": selectors.appeals_to_decide(),
        "satisfaction": selectors.satisfaction_by_department(),
    }, section="overdue")


# --- 群众：网上留言与我的诉求 -------------------------------------------------------------------------------------------

def _person_or_none(request):
    return getattr(request.user, "person", None)


def _new_response(request, form, *, status=200):
    return render(request, "hotline/new.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def web_new(request):
    person = _person_or_none(request)
    if person is None:
        raise NotAllowed("请以实名账号登录后留言")
    if request.method == "GET":
        return _new_response(request, forms.WebTicketForm())
    form = forms.WebTicketForm(request.POST, request.FILES)
    if not form.is_valid():
        return _new_response(request, form, status=400)
    photo_ids = []
    for upload in request.FILES.getlist("photos")[:services.MAX_PHOTOS + 1]:
        try:
            photo_ids.append(storage.store(upload.read(), owner=request.user).pk)
        except storage.UploadRejected as exc:
            form.add_error("photos", f"现场照片：{exc.message}")
            return _new_response(request, form, status=400)
    data = {k: v for k, v in form.cleaned_data.items() if k != "photos"}
    try:
        ticket = services.ticket_intake(user=request.user, channel=Ticket.Channel.WEB, caller=person,
                                        caller_mobile=person.mobile or "", photo_ids=photo_ids, **data)
    except InvalidInput as exc:
        _put_error(form, exc)
        return _new_response(request, form, status=400)
    messages.success(request, f"您的诉求已提交，工单编号 {ticket.number}。办理进展将通知您。")
    return redirect("hotline:mine-detail", number=ticket.number)


@login_required
@require_GET
def mine(request):
    return render(request, "hotline/mine.html", {"tickets": selectors.tickets_of_resident(request.user)[:100]})


def _my_ticket_page(request, ticket, *, form=None, status=200):
    rate = ticket.status == S.REPLIED
    return render(request, "hotline/mine_detail.html", {
        "ticket": ticket, "events": selectors.timeline(ticket, staff=False), "ratings": list(ticket.ratings.all()),
        "rating_form": (form or forms.RatingForm()) if rate else None,
    }, status=status)


@login_required
@require_GET
def mine_detail(request, number: str):
    return _my_ticket_page(request, get_object_or_404(selectors.tickets_of_resident(request.user), number=number))


@login_required
@require_POST
def mine_rate(request, number: str):
    ticket = get_object_or_404(selectors.tickets_of_resident(request.user), number=number)
    form = forms.RatingForm(request.POST)
    if not form.is_valid():
        return _my_ticket_page(request, ticket, form=form, status=400)
    try:
        services.ticket_rate(user=request.user, ticket=ticket, **form.cleaned_data)
    except InvalidInput as exc:
        _put_error(form, exc)
        return _my_ticket_page(request, ticket, form=form, status=400)
    except Conflict as exc:
        messages.error(request, exc.message)
        return _my_ticket_page(request, Ticket.objects.get(pk=ticket.pk), status=409)
    messages.success(request, "感谢您的评价。")
    return redirect("hotline:mine-detail", number=ticket.number)


@login_required
@require_GET
def ticket_photo(request, pk: int, photo_id: int):
    """A ticket's photo for the caller or the staff who may see the ticket, never from a public URL."""
    ticket = Ticket.objects.filter(pk=pk).first()
    person = _person_or_none(request)
    own = ticket is not None and person is not None and ticket.caller_id == person.pk
    if not own:
        ticket = _visible_ticket(request, pk)
    photo = get_object_or_404(TicketPhoto.objects.select_related("file"), pk=photo_id, ticket=ticket)
    response = HttpResponse(storage.read(photo.file), content_type=photo.file.content_type)
    response["Cache-Control"] = "private, no-store"
    return response
