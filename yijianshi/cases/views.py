"""Pages of the case lifecycle: applying (情形引导 -> one form -> materials -> delivery -> receipt), following a case,
the window's pre-review and walk-in applications, and the departments' task queue. Thin: parse the form, call a
service or a selector, render.

Errors from the services: InvalidInput goes next to the field it names with a 400 re-render; Conflict (the case or
task moved on meanwhile) is a message with 409; NotAllowed is the 403 page. Uploaded files are stored
(content-addressed) before the service is called, so a rejected application leaves at most an unreferenced file.
"""

from __future__ import annotations

import json
import time
import uuid
from functools import wraps
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yijianshi.accounts import selectors as account_selectors
from yijianshi.accounts.identity import IdentityError, parse_id_number, parse_mobile, parse_person_name
from yijianshi.accounts.models import Party, Person
from yijianshi.accounts.permissions import NotAllowed, has_permission
from yijianshi.accounts.services import InvalidInput, acting_context, person_find
from yijianshi.accounts.staff_views import staff_page
from yijianshi.audit.services import audit_read
from yijianshi.cases import forms as case_forms
from yijianshi.cases import pdf, selectors, services, storage
from yijianshi.cases import plan as case_plan
from yijianshi.cases.domain.forms import clean_form
from yijianshi.cases.models import Case, CaseMaterial, Commitment, CorrectionNotice, Task
from yijianshi.cases.services import Conflict, Submission
from yijianshi.catalog.domain.situation import tolerable_materials
from yijianshi.catalog.models import Bundle
from yijianshi.catalog.selectors import bundle_questionnaire
from yijianshi.privacy import crypto
from yijianshi.privacy.masking import mask_id_number, mask_mobile
from yijianshi.workdays import selectors as workdays

# --- shared helpers ------------------------------------------------------------------------------------------------


def _acting(request):
    """The applicant context of a logged-in person; staff accounts without a Person use the window instead."""
    if request.acting is None:
        raise NotAllowed("请以实名账号登录后办理；工作人员请在“综合窗口 → 窗口代办申请”中为群众提交")
    return request.acting


def _form_field_for(service_field: str) -> str:
    """A service's field name as the page's input name (see cases.forms)."""
    for prefix, replacement in (("form.", ""), ("answers.", ""), ("materials.", "material-")):
        if service_field.startswith(prefix):
            return replacement + service_field[len(prefix):]
    return service_field


def _put_error(form, exc: InvalidInput) -> None:
    name = _form_field_for(exc.field)
    if not hasattr(form, "cleaned_data"):
        form.is_valid()
    form.add_error(name if name in form.fields else None, exc.message)


def _store_upload(form, name: str, upload, owner) -> int | None:
    """Store one uploaded file; a rejected one (wrong type, too big, a PDF with scripts) becomes a field error."""
    if not upload:
        return None
    if upload.size > storage.MAX_UPLOAD_BYTES:  # refused before it is read into memory
        form.add_error(name, f"{form.fields[name].label}：文件不能超过 {storage.MAX_UPLOAD_BYTES // 1024 // 1024} MB")
        return None
    try:
        return storage.store(upload.read(), owner=owner).pk
    except storage.UploadRejected as exc:
        form.add_error(name, f"{form.fields[name].label}：{exc.message}")
        return None


def _store_material_uploads(request, form, codes) -> dict[str, int]:
    """material code -> stored file id for each ``material-<code>`` file posted; rejections become field errors."""
    stored = {}
    for code in codes:
        file_id = _store_upload(form, f"material-{code}", request.FILES.get(f"material-{code}"), request.user)
        if file_id is not None:
            stored[code] = file_id
    return stored


def _alert(due, stored: str = "") -> str:
    """The flag to show: the sweep's (yellow/red) or, between sweeps, today's view of the due date."""
    live = ""
    if due is not None:
        left = workdays.remaining_working_days(due)
        live = "red" if left < 0 else "yellow" if left <= 1 else ""
    rank = {"red": 2, "yellow": 1}
    return max([live, stored if stored in rank else ""], key=lambda level: rank.get(level, 0))


def _masked_value(rule, value) -> str:
    if value in (None, ""):
        return ""
    if rule is not None and rule.data_type == "id_number":
        return mask_id_number(str(value))
    if rule is not None and rule.data_type == "phone":
        return mask_mobile(str(value))
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _form_rows(rules, data: dict, *, only: set | None = None, masked: bool = True) -> list[dict]:
    return [{"label": rule.label, "element": rule.element,
             "value": _masked_value(rule, data.get(rule.element)) if masked else data.get(rule.element, "")}
            for rule in rules if (only is None or rule.element in only) and data.get(rule.element) not in (None, "")]


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f"attachment; filename=\"document.pdf\"; filename*=UTF-8''{quote(filename)}"
    return response


def _readable_case(request, number: str) -> tuple[Case, bool]:
    """(case, read by staff): the applicant (or their agent) reads their own case, staff the cases they may see."""
    if request.acting is not None:
        try:
            return _applicant_case(request, number)[1], False
        except Http404:
            pass
    if request.user.kind == request.user.Kind.STAFF:
        return selectors.case_for_staff(request.user, number), True
    raise Http404("没有这个办件")


# --- applying: the wizard --------------------------------------------------------------------------------------------
# The state lives in the session under a random token, which is also the idempotency key of the submission: a
# double click or a resubmitted page makes one case. What the applicant typed (and a walk-in applicant's ID
# number) is kept encrypted, as it is in the case itself.

WIZARDS = "case_wizards"
WIZARD_SEAL = "cases.wizard"
MAX_WIZARDS = 5
STEPS = [("situation", "情形选择"), ("form", "填写申请表"), ("materials", "上传材料"), ("confirm", "出件方式并提交")]
WINDOW_STEPS = [("applicant", "申请人"), *STEPS]


class Wizard:
    def __init__(self, request, token: str, state: dict, bundle: Bundle):
        self.request, self.token, self.state, self.bundle = request, token, state, bundle
        self._secret = None

    @property
    def window(self) -> bool:
        return self.state["mode"] == "window"

    @property
    def steps(self):
        return WINDOW_STEPS if self.window else STEPS

    @property
    def secret(self) -> dict:
        if self._secret is None:
            self._secret = json.loads(crypto.decrypt(self.state["secret"], WIZARD_SEAL))
        return self._secret

    def seal(self) -> None:
        self.state["secret"] = crypto.encrypt(json.dumps(self.secret, ensure_ascii=False), WIZARD_SEAL)

    def save(self) -> None:
        if self._secret is not None:
            self.seal()
        wizards = self.request.session.get(WIZARDS, {})
        wizards[self.token] = self.state
        self.request.session[WIZARDS] = wizards

    def done(self, step: str, value: bool = True) -> None:
        steps = set(self.state["done"]) - {step}
        self.state["done"] = sorted(steps | {step} if value else steps)

    def url(self, step: str) -> str:
        return reverse(f"cases:apply-{step}", args=[self.bundle.code, self.token])

    def first_missing(self, before: str) -> str | None:
        for step, _ in self.steps:
            if step == before:
                return None
            if step not in self.state["done"]:
                return step
        return None

    def context(self):
        """The applicant context to submit with: re-checked every time (a mandate may end mid-way)."""
        return acting_context(self.request.user, self.state["principal_id"], bundle=self.bundle)

    def principal(self) -> Party | None:
        if self.window:
            return None
        return self.context().principal.as_concrete()

    def progress(self, current: str) -> list[dict]:
        return [{"step": step, "label": label, "url": self.url(step), "current": step == current,
                 "done": step in self.state["done"]} for step, label in self.steps]

    def after_submit_url(self) -> str:
        number = self.state["case_number"]
        return reverse("cases:window-case", args=[number]) if self.window else reverse("cases:receipt", args=[number])


def _wizard_create(request, bundle: Bundle, *, mode: str, principal_id=None, applicant=None) -> Wizard:
    wizards = request.session.get(WIZARDS, {})
    for stale in sorted(wizards, key=lambda t: wizards[t].get("created", 0))[:max(0, len(wizards) - MAX_WIZARDS + 1)]:
        del wizards[stale]
    token = uuid.uuid4().hex
    state = {"bundle": bundle.code, "mode": mode, "principal_id": principal_id, "created": time.time(),
             "answers": {}, "materials": {}, "deferred": [], "commitment_signed": False, "delivery": {},
             "done": ["applicant"] if mode == "window" else [], "case_number": "", "secret": ""}
    request.session[WIZARDS] = wizards
    wizard = Wizard(request, token, state, bundle)
    wizard._secret = {"form": {}, "applicant": applicant or {}}
    wizard.save()
    return wizard


def wizard_step(step: str):
    """Load the wizard from the session, check the user may use it, keep the steps in order."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, code: str, token: str):
            state = request.session.get(WIZARDS, {}).get(token)
            if state is None or state.get("bundle") != code:
                messages.info(request, "该申请已过期或不存在，请重新开始")
                if has_permission(request.user, "case.accept"):
                    return redirect("cases:window-apply")
                return redirect("cases:apply", code=code)
            wizard = Wizard(request, token, state, get_object_or_404(Bundle, code=code))
            if wizard.window:
                if not has_permission(request.user, "case.accept"):
                    raise NotAllowed("只有综合窗口人员可以代群众提交申请")
            else:
                _acting(request)
                wizard.context()  # NotAllowed if the mandate no longer covers this bundle
            if state["case_number"] and not (step == "confirm" and request.method == "POST"):
                messages.info(request, f"该申请已提交，办件编号 {state['case_number']}")
                return redirect(wizard.after_submit_url())
            missing = wizard.first_missing(before=step)
            if missing:
                return redirect(wizard.url(missing))
            return view(request, wizard)

        return login_required(wrapped)

    return decorator


def _outcome(bundle: Bundle, answers: dict):
    rows, outcome = case_plan.situation_outcome(bundle, answers)
    return rows, outcome, set(outcome.included)


def _wizard_render(request, wizard: Wizard, step: str, template: str, context: dict, status: int = 200):
    return render(request, template, {
        **context, "wizard": wizard, "bundle": wizard.bundle, "progress": wizard.progress(step), "step": step,
        "principal": wizard.principal(), "walk_in": wizard.secret["applicant"] if wizard.window else None,
        "walk_in_masked_id": mask_id_number(wizard.secret["applicant"].get("id_number", "")) if wizard.window else "",
    }, status=status)


def _eligible_principals(request, bundle: Bundle) -> list[Party]:
    """Whom the user may apply for, for this bundle: themself or principals whose mandate covers it, of the kind
    the bundle serves (an enterprise bundle is applied for by or for an enterprise)."""
    founding_or_personal = bundle.subject != Bundle.Subject.ENTERPRISE or bundle.founds_enterprise
    kind = Party.Kind.PERSON if founding_or_personal else Party.Kind.ENTERPRISE
    eligible = []
    for party in account_selectors.principals_for(request.user):
        if party.party_kind != kind:
            continue
        try:
            acting_context(request.user, party.pk, bundle=bundle)
        except NotAllowed:
            continue
        eligible.append(party)
    return eligible


@login_required
@require_http_methods(["GET", "POST"])
def apply_start(request, code: str):
    """The bundle's first page: what the application is and for whom it is made."""
    context = _acting(request)
    bundle = get_object_or_404(Bundle, code=code)
    eligible = _eligible_principals(request, bundle)
    current = context.principal.pk if any(p.pk == context.principal.pk for p in eligible) else (
        eligible[0].pk if eligible else None)
    if request.method == "POST" and eligible:
        try:
            principal_id = int(request.POST.get("principal_id") or current)
        except ValueError:
            principal_id = current
        if principal_id not in {p.pk for p in eligible}:
            raise NotAllowed("您不能为该主体申请此事项")
        wizard = _wizard_create(request, bundle, mode="online", principal_id=principal_id)
        return redirect(wizard.url("situation"))
    rows = list(bundle.bundle_items.select_related("item__published_version__department").order_by("position"))
    return render(request, "cases/apply_start.html", {
        "bundle": bundle, "rows": rows, "eligible": eligible, "current": current,
        "is_enterprise": bundle.subject == Bundle.Subject.ENTERPRISE and not bundle.founds_enterprise,
        "self_pk": context.actor.pk,
    })


def _questionnaire_form(bundle, answers: dict, data=None):
    questionnaire = bundle_questionnaire(bundle)
    effective, _ = questionnaire.resolve_answers(answers)
    asked = questionnaire.asked_questions(answers)
    initial = {q.id: effective.get(q.id, q.default) for q in asked}
    form = case_forms.QuestionnaireForm(data, questions=asked, initial=initial)
    return questionnaire, form


@wizard_step("situation")
@require_http_methods(["GET", "POST"])
def apply_situation(request, wizard: Wizard):
    bundle = wizard.bundle
    if request.method == "GET":
        questionnaire, form = _questionnaire_form(bundle, wizard.state["answers"])
        return _situation_page(request, wizard, form, questionnaire, wizard.state["answers"])
    answers = case_forms.QuestionnaireForm.posted_answers(request.POST, bundle_questionnaire(bundle))
    questionnaire, form = _questionnaire_form(bundle, answers, data=request.POST)
    if request.POST.get("preview"):
        # htmx: follow-up questions and the outcome change as the applicant answers; nothing is saved.
        return _situation_page(request, wizard, form, questionnaire, answers)
    _, outcome, included = _outcome(bundle, answers)
    shown = set(request.POST.get("shown", "").split(","))
    unseen = [q for q in questionnaire.asked_questions(answers) if q.id not in shown]
    if unseen:
        # Follow-up questions the applicant has not seen yet (no JavaScript): ask them before going on.
        form.is_valid()
        form.add_error(None, "根据您的回答，还需要回答以下新出现的问题：" + "、".join(q.text for q in unseen))
        return _situation_page(request, wizard, form, questionnaire, answers, status=400)
    if outcome.errors:
        form.is_valid()
        for question_id, message in outcome.errors.items():
            form.add_error(question_id if question_id in form.fields else None, message)
        return _situation_page(request, wizard, form, questionnaire, answers, status=400)
    if not included:
        form.is_valid()
        form.add_error(None, "根据您的回答，本一件事中没有需要在本县办理的事项，请核对回答或咨询 12345")
        return _situation_page(request, wizard, form, questionnaire, answers, status=400)
    if outcome.answers != wizard.state["answers"]:
        # Other answers may change the form and the materials: those steps are checked again.
        wizard.done("form", False)
        wizard.done("materials", False)
    wizard.state["answers"] = outcome.answers
    wizard.done("situation")
    wizard.save()
    return redirect(wizard.url("form"))


def _situation_page(request, wizard, form, questionnaire, answers, status=200):
    rows, outcome, included = _outcome(wizard.bundle, answers)
    names = {row.item.code: row.item.published_version for row in rows}
    return _wizard_render(request, wizard, "situation", "cases/apply_situation.html", {
        "form": form, "has_questions": bool(questionnaire.questions),
        "preview": [{"name": names[c].name, "department": names[c].department.name, "included": c in included,
                     "reason": outcome.reasons.get(c, "")} for c in names],
    }, status=status)


def _locked(wizard: Wizard, rules) -> dict:
    """Authoritative values shown read-only (一数一源). Not at the window (the clerk types what the ID card says)
    nor for an agent acting for a person, who is not shown the principal's record; the server checks both."""
    context = wizard.context() if not wizard.window else None
    if context is None or (context.on_behalf and context.principal.party_kind == Party.Kind.PERSON):
        return {}
    codes = {rule.element for rule in rules}
    return {code: held for code, held in selectors.authoritative_values(context.principal).items() if code in codes}


def _prefill(wizard: Wizard, rules) -> dict:
    """What the platform already knows about the applicant (their record and their latest case)."""
    codes = {rule.element for rule in rules}
    if wizard.window:
        applicant = wizard.secret["applicant"]
        values = {"person.name": applicant.get("name"), "person.id_number": applicant.get("id_number"),
                  "person.mobile": applicant.get("mobile")}
        return {k: v for k, v in values.items() if k in codes and v}
    return selectors.prefill(wizard.context(), codes)


@wizard_step("form")
@require_http_methods(["GET", "POST"])
def apply_form(request, wizard: Wizard):
    rows, outcome, included = _outcome(wizard.bundle, wizard.state["answers"])
    rules = case_plan.form_rules(rows, included)
    elements = case_forms.elements_for(rules)
    locked = _locked(wizard, rules)
    if request.method == "GET":
        initial = {**(wizard.secret["form"] or _prefill(wizard, rules)), **{k: v.value for k, v in locked.items()}}
        form = case_forms.MergedForm(rules=rules, elements=elements, initial=initial, locked=locked)
        return _form_page(request, wizard, form, rows, outcome, included)
    form = case_forms.MergedForm(request.POST, rules=rules, elements=elements, locked=locked)
    form.is_valid()
    raw = {**form.raw_values(), **{k: v.value for k, v in locked.items()}}  # a read-only field is never typed
    _, errors = clean_form(rules, raw)
    for element, message in errors.items():
        if element not in form.errors:
            form.add_error(element, message)
    wizard.secret["form"] = raw  # kept even with errors: nothing typed is lost
    wizard.done("form", not form.errors)
    wizard.save()
    if form.errors:
        return _form_page(request, wizard, form, rows, outcome, included, status=400)
    return redirect(wizard.url("materials"))


def _form_page(request, wizard, form, rows, outcome, included, status=200):
    items = [{"name": row.item.published_version.name, "department": row.item.published_version.department.name,
              "included": row.item.code in included, "reason": outcome.reasons.get(row.item.code, "")}
             for row in rows]
    return _wizard_render(request, wizard, "form", "cases/apply_form.html", {
        "form": form, "items": items, "included_count": len(included),
        "excluded_materials": outcome.materials_excluded,
    }, status=status)


def _needs(bundle, answers):
    rows, outcome, included = _outcome(bundle, answers)
    needs = case_plan.material_needs(rows, outcome)
    tolerable = set(tolerable_materials(bundle_questionnaire(bundle), rows, included, needs))
    commitment_items = [row.item.published_version.name for row in rows
                        if row.item.code in included and row.item.published_version.commitment_allowed]
    # When a conditional material applies: the questionnaire's reason, else the item's 适用情形 text.
    for code, need in needs.items():
        conditions = [m.condition for row in rows if row.item.code in included
                      for m in row.item.published_version.materials.all()
                      if m.material.code == code and not m.required and m.condition]
        need["condition"] = outcome.materials_included.get(code) or "；".join(dict.fromkeys(conditions))
    return rows, outcome, needs, tolerable, commitment_items


@wizard_step("materials")
@require_http_methods(["GET", "POST"])
def apply_materials(request, wizard: Wizard):
    bundle, state = wizard.bundle, wizard.state
    rows, outcome, needs, tolerable, commitment_items = _needs(bundle, state["answers"])
    exempted = case_plan.exemptions(needs, _on_file(wizard))
    if request.method == "GET":
        form = case_forms.MaterialsForm(needs=needs, tolerable=tolerable, initial={
            "commitment_signed": state["commitment_signed"], **{f"defer-{c}": True for c in state["deferred"]}})
        return _materials_page(request, wizard, form, needs, tolerable, commitment_items, exempted)
    form = case_forms.MaterialsForm(request.POST, request.FILES, needs=needs, tolerable=tolerable)
    form.is_valid()
    uploaded = {code: value for code, value in state["materials"].items() if code in needs}
    for code in needs:
        upload = request.FILES.get(f"material-{code}")
        file_id = _store_upload(form, f"material-{code}", upload, request.user)
        if file_id is not None:
            uploaded[code] = {"id": file_id, "name": upload.name[:120]}
    deferred = [code for code in needs if code in tolerable and code not in uploaded
                and form.cleaned_data.get(f"defer-{code}")]
    signed = bool(form.cleaned_data.get("commitment_signed"))
    state.update(materials=uploaded, deferred=deferred, commitment_signed=signed)
    planned = case_plan.plan_case(bundle, state["answers"], wizard.secret["form"],
                                  {code: value["id"] for code, value in uploaded.items()}, deferred, signed,
                                  uploader=request.user, on_file=_on_file(wizard))
    for key, message in planned.errors.items():
        name = _form_field_for(key)
        if name in form.fields and name not in form.errors:
            form.add_error(name, message)
    wizard.done("materials", not form.errors)
    wizard.save()  # what was uploaded stays uploaded, even when another material still has a problem
    if form.errors:
        return _materials_page(request, wizard, form, needs, tolerable, commitment_items, exempted, status=400)
    return redirect(wizard.url("confirm"))


def _on_file(wizard: Wizard) -> dict:
    """The applicant's valid e-certificates by type name (免提交). At the window, the walk-in person's, if known."""
    if wizard.window:
        person = person_find(wizard.secret["applicant"].get("id_number", ""))
        return selectors.certificates_on_file(person) if person is not None else {}
    return selectors.certificates_on_file(wizard.context().principal)


def _materials_page(request, wizard, form, needs, tolerable, commitment_items, exempted, status=200):
    rows = [{"code": code, "name": need["name"], "required": need["required"], "condition": need["condition"],
             "field": form[f"material-{code}"],
             "defer": form[f"defer-{code}"] if code in tolerable and code not in exempted else None,
             "uploaded": wizard.state["materials"].get(code, {}).get("name", ""),
             "on_file": exempted.get(code)}
            for code, need in sorted(needs.items(), key=lambda kv: (not kv[1]["required"], kv[1]["name"]))]
    return _wizard_render(request, wizard, "materials", "cases/apply_materials.html", {
        "form": form, "rows": rows, "can_defer": bool(tolerable), "commitment_items": commitment_items,
        "show_commitment": bool(tolerable or commitment_items),
    }, status=status)


# Where each field a submission can be refused for is asked.
_STEP_OF = {"answers.": "situation", "form.": "form", "materials.": "materials", "commitment_signed": "materials",
            "name": "applicant", "id_number": "applicant"}


@wizard_step("confirm")
@require_http_methods(["GET", "POST"])
def apply_confirm(request, wizard: Wizard):
    state = wizard.state
    if request.method == "GET":
        form = case_forms.DeliveryForm(initial=state["delivery"] or None)
        return _confirm_page(request, wizard, form)
    form = case_forms.DeliveryForm(request.POST)
    if not form.is_valid():
        return _confirm_page(request, wizard, form, status=400)
    data = form.cleaned_data
    state["delivery"] = {"delivery_method": data["delivery_method"], "delivery_address": data["delivery_address"],
                         "pickup_point": data["pickup_point"].pk if data["pickup_point"] else None}
    wizard.save()
    submission = Submission(
        bundle_code=wizard.bundle.code, answers=state["answers"], form_data=wizard.secret["form"],
        materials={code: value["id"] for code, value in state["materials"].items()},
        deferred_materials=state["deferred"], commitment_signed=state["commitment_signed"],
        delivery_method=data["delivery_method"], delivery_address=data["delivery_address"],
        pickup_point_id=state["delivery"]["pickup_point"])
    try:
        with transaction.atomic():  # a walk-in applicant's record is not kept if the application is refused
            if wizard.window:
                applicant = wizard.secret["applicant"]
                case, created = services.case_submit_at_window(
                    clerk=request.user, applicant_name=applicant["name"], applicant_id_number=applicant["id_number"],
                    submission=submission, idempotency_key=wizard.token)
            else:
                case, created = services.case_submit(context=wizard.context(), submission=submission,
                                                     idempotency_key=wizard.token)
    except InvalidInput as exc:
        step = next((s for prefix, s in _STEP_OF.items() if exc.field.startswith(prefix)), "confirm")
        if step == "confirm":
            _put_error(form, exc)
        else:
            form.is_valid()
            form.add_error(None, exc.message)
        return _confirm_page(request, wizard, form, status=400, fix_step=step if step != "confirm" else "")
    state["case_number"] = case.number
    wizard.save()
    if created:
        messages.success(request, f"申请已提交，办件编号 {case.number}")
    return redirect(wizard.after_submit_url())


def _confirm_page(request, wizard, form, status=200, fix_step=""):
    state = wizard.state
    rows, outcome, needs, tolerable, _ = _needs(wizard.bundle, state["answers"])
    included = set(outcome.included)
    rules = case_plan.form_rules(rows, included)
    return _wizard_render(request, wizard, "confirm", "cases/apply_confirm.html", {
        "form": form, "fix_url": wizard.url(fix_step) if fix_step else "",
        "items": [row.item.published_version.name for row in rows if row.item.code in included],
        "form_rows": _form_rows(rules, wizard.secret["form"], masked=not wizard.window and wizard.context().on_behalf),
        "materials": [{"name": need["name"], "uploaded": state["materials"].get(code, {}).get("name", ""),
                       "deferred": code in state["deferred"]} for code, need in needs.items()],
        "commitment_signed": state["commitment_signed"],
    }, status=status)


# --- the applicant's cases -------------------------------------------------------------------------------------------

def _applicant_case(request, number: str):
    """(context, case) for the applicant's side: the case of whom the user acts for now, or one they applied for
    under a mandate limited to that bundle (such a mandate is used per bundle, never as the general context)."""
    context = _acting(request)
    try:
        return context, selectors.case_for_applicant(context, number)
    except Http404:
        row = Case.objects.filter(number=number, submitted_by=request.user).select_related("bundle").first()
        if row is None or row.applicant_id == context.principal.pk:
            raise
        try:
            context = acting_context(request.user, row.applicant_id, bundle=row.bundle)
        except NotAllowed:
            raise Http404("没有这个办件") from None
        return context, selectors.case_for_applicant(context, number)


@login_required
@require_GET
def my_cases(request):
    context = _acting(request)
    cases = list(selectors.cases_of(context)[:200])
    # Applications made for others under a mandate for one bundle: listed so the agent can follow them.
    for_others = list(Case.objects.filter(submitted_by=request.user).exclude(applicant=context.principal)
                      .exclude(channel=Case.Channel.WINDOW)
                      .select_related("bundle", "applicant").order_by("-submitted_at")[:100])
    return render(request, "cases/my_cases.html", {"cases": cases, "principal": context.principal,
                                                   "for_others": for_others})


@login_required
@require_GET
def receipt(request, number: str):
    _, case = _applicant_case(request, number)
    return render(request, "cases/receipt.html", {"case": case, "status": selectors.case_status(case)})


def _case_page(request, case: Case, *, status=200, correction_form=None, fulfil_forms=None, rating_form=None,
               withdraw_form=None):
    info = selectors.case_status(case)
    labels = case_forms.target_labels(case)
    open_notices = list(case.notices.filter(resolved_at__isnull=True).order_by("issued_at"))
    problems = [row for n in open_notices for row in case_forms.problem_rows(n.problems, labels)]
    rules = case_forms.case_field_rules(case)
    if open_notices and correction_form is None:
        correction_form = case_forms.CorrectionForm(problems=problems, rules=rules,
                                                    current=selectors.case_form_data(case))
    pending = [c for c in case.commitments.all() if c.kind == Commitment.Kind.DEFICIENCY
               and c.status == Commitment.Status.PENDING]
    names = {m.material.code: m.material.name for m in case.materials.select_related("material")}
    fulfil_forms = fulfil_forms or {}
    fulfil = [{"commitment": c, "form": fulfil_forms.get(c.pk) or case_forms.FulfilForm(
        materials=[(code, names.get(code, code)) for code in c.materials])} for c in pending]
    can_rate = case.status in (Case.Status.COMPLETED, Case.Status.DELIVERED) and info["rating"] is None
    can_withdraw = case.status in (Case.Status.SUBMITTED, Case.Status.CORRECTION_REQUESTED)
    return render(request, "cases/case_detail.html", {
        "case": case, "info": info, "open_notices": open_notices, "problems": problems,
        "correction_form": correction_form, "fulfil": fulfil,
        "rating_form": (rating_form or case_forms.RatingForm()) if can_rate else None,
        "withdraw_form": (withdraw_form or case_forms.WithdrawForm()) if can_withdraw else None,
        "notices": list(case.notices.order_by("issued_at")),
        "commitments": list(case.commitments.order_by("pk")),
        "materials": list(case.materials.select_related("material", "certificate__type").order_by("material__name")),
        "results": [t for t in info["tasks"] if t["result"]],
        "flag": _alert(case.due_date, case.alert_level) if case.status == Case.Status.ACCEPTED else "",
    }, status=status)


@login_required
@require_GET
def case_detail(request, number: str):
    return _case_page(request, _applicant_case(request, number)[1])


def _conflict(request, exc: Conflict, page, **kwargs):
    messages.error(request, exc.message)
    return page(status=409, **kwargs)


@login_required
@require_POST
def case_correct(request, number: str):
    context, case = _applicant_case(request, number)
    labels = case_forms.target_labels(case)
    problems = [row for n in case.notices.filter(resolved_at__isnull=True)
                for row in case_forms.problem_rows(n.problems, labels)]
    form = case_forms.CorrectionForm(request.POST, request.FILES, problems=problems,
                                     rules=case_forms.case_field_rules(case), current=selectors.case_form_data(case))
    form.is_valid()
    materials = _store_material_uploads(request, form, form.material_codes)
    for code in form.material_codes:
        if code not in materials and f"material-{code}" not in form.errors:
            form.add_error(f"material-{code}", f"{form.fields[f'material-{code}'].label}：请上传补正后的材料")
    if not form.errors:
        try:
            services.case_correct(context=context, case=case, form_data=form.form_values(), materials=materials)
        except InvalidInput as exc:
            _put_error(form, exc)
        except Conflict as exc:
            return _conflict(request, exc, lambda **kw: _case_page(request, case, **kw))
        else:
            messages.success(request, "补正材料已提交，等待工作人员重新审核")
            return redirect("cases:detail", number=case.number)
    return _case_page(request, case, status=400, correction_form=form)


@login_required
@require_POST
def commitment_fulfil(request, number: str, commitment_id: int):
    context, case = _applicant_case(request, number)
    commitment = get_object_or_404(Commitment, pk=commitment_id, case=case)
    names = {m.material.code: m.material.name for m in case.materials.select_related("material")}
    form = case_forms.FulfilForm(request.POST, request.FILES,
                                 materials=[(code, names.get(code, code)) for code in commitment.materials])
    form.is_valid()
    files = _store_material_uploads(request, form, form.codes)
    page = lambda **kw: _case_page(request, case, fulfil_forms={commitment.pk: form}, **kw)  # noqa: E731
    if not form.errors:
        try:
            services.commitment_fulfil(context=context, commitment=commitment, materials=files)
        except InvalidInput as exc:
            _put_error(form, exc)
        except Conflict as exc:
            return _conflict(request, exc, page)
        else:
            messages.success(request, "容缺材料已补交")
            return redirect("cases:detail", number=case.number)
    return page(status=400)


@login_required
@require_POST
def case_rate(request, number: str):
    context, case = _applicant_case(request, number)
    form = case_forms.RatingForm(request.POST)
    if form.is_valid():
        try:
            services.case_rate(context=context, case=case, level=form.cleaned_data["level"],
                               comment=form.cleaned_data["comment"])
        except InvalidInput as exc:
            _put_error(form, exc)
        except Conflict as exc:
            return _conflict(request, exc, lambda **kw: _case_page(request, case, **kw))
        else:
            messages.success(request, "感谢您的评价")
            return redirect("cases:detail", number=case.number)
    return _case_page(request, case, status=400, rating_form=form)


@login_required
@require_POST
def case_withdraw(request, number: str):
    context, case = _applicant_case(request, number)
    form = case_forms.WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.case_withdraw(context=context, case=case, reason=form.cleaned_data["reason"])
        except Conflict as exc:
            return _conflict(request, exc, lambda **kw: _case_page(request, case, **kw))
        messages.success(request, "申请已撤回")
        return redirect("cases:detail", number=case.number)
    return _case_page(request, case, status=400, withdraw_form=form)


# --- documents and materials (applicant or staff) ------------------------------------------------------------------

@login_required
@require_GET
def receipt_pdf(request, number: str):
    case, _ = _readable_case(request, number)
    return _pdf_response(pdf.receipt_pdf(case), f"受理回执-{case.number}.pdf")


@login_required
@require_GET
def notice_pdf(request, number: str, notice_id: int):
    case, _ = _readable_case(request, number)
    notice = get_object_or_404(CorrectionNotice.objects.select_related("task__department", "issued_by"),
                               pk=notice_id, case=case)
    return _pdf_response(pdf.notice_pdf(notice), f"一次性告知书-{case.number}-{notice.pk}.pdf")


@login_required
@require_GET
def commitment_pdf(request, number: str, commitment_id: int):
    case, _ = _readable_case(request, number)
    commitment = get_object_or_404(Commitment, pk=commitment_id, case=case)
    return _pdf_response(pdf.commitment_pdf(commitment), f"承诺书-{case.number}.pdf")


@login_required
@require_GET
def material_download(request, number: str, material_id: int):
    """An uploaded material, never from a public URL: the applicant's own, or staff who may see the case
    (their reading of someone's documents is on the audit record)."""
    case, by_staff = _readable_case(request, number)
    material = get_object_or_404(CaseMaterial.objects.select_related("material", "file"), pk=material_id, case=case)
    if material.file is None:
        raise Http404("该材料尚未提交")
    if by_staff:
        audit_read(actor=request.user, subject=case.applicant, principal=case.applicant,
                   fields=[f"material:{material.material.code}"], purpose=f"审核办件 {case.number} 的申请材料",
                   object_type="cases.case", object_id=case.number)
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(material.file.content_type, "")
    response = HttpResponse(storage.read(material.file), content_type=material.file.content_type)
    name = f"{material.material.name}-{case.number}.{extension}"
    response["Content-Disposition"] = f"inline; filename=\"material.{extension}\"; filename*=UTF-8''{quote(name)}"
    response["Cache-Control"] = "private, no-store"
    return response


# --- staff: shared ---------------------------------------------------------------------------------------------------

def staff_render(request, template: str, context: dict, *, section: str, status: int = 200):
    from yijianshi.accounts.staff_views import staff_render as workbench_render

    return workbench_render(request, template, context, section=section, status=status)


def _may_prereview(user, case: Case) -> bool:
    return has_permission(user, "case.accept") or has_permission(user, "task.process", case.bundle.lead_department)


# --- staff: 综合窗口 ---------------------------------------------------------------------------------------------------

@require_GET
@staff_page("case.accept", "task.process", section="window")
def window_queue(request):
    number = (request.GET.get("number") or "").strip().upper()
    if number:
        return redirect("cases:window-case", number=number)
    waiting = [{"case": c, "flag": _alert(c.due_date)} for c in selectors.prereview_queue(request.user)[:200]]
    delivery = []
    if has_permission(request.user, "case.accept"):
        # 出件登记: completed cases whose results are picked up at a window or posted.
        delivery = list(Case.objects.filter(status=Case.Status.COMPLETED)
                        .exclude(delivery_method=Case.Delivery.DOWNLOAD)
                        .select_related("bundle", "pickup_point").order_by("completed_at")[:200])
    return staff_render(request, "cases/window_queue.html", {
        "waiting": waiting, "delivery": delivery, "is_clerk": has_permission(request.user, "case.accept"),
    }, section="window")


def _window_case_page(request, case: Case, *, status=200, notice_form=None, refuse_form=None, deliver_form=None):
    user = request.user
    rules = case_forms.case_field_rules(case)
    info = selectors.case_status(case, internal=True)
    labels = case_forms.target_labels(case)
    prereview = case.status == Case.Status.SUBMITTED and _may_prereview(user, case)
    deliverable = (case.status == Case.Status.COMPLETED and case.delivery_method != Case.Delivery.DOWNLOAD
                   and has_permission(user, "case.accept"))
    applicant = case.applicant.as_concrete()
    return staff_render(request, "cases/window_case.html", {
        "case": case, "info": info, "applicant": applicant,
        "applicant_id": applicant.masked_id_number if isinstance(applicant, Person) else applicant.credit_code,
        "form_rows": _form_rows(rules, selectors.case_form_data(case)),
        "materials": list(case.materials.select_related("material", "file", "certificate").order_by("material__name")),
        "notices": [{"notice": n, "problems": case_forms.problem_rows(n.problems, labels)}
                    for n in case.notices.order_by("issued_at")],
        "commitments": list(case.commitments.order_by("pk")),
        "prereview": prereview, "deliverable": deliverable,
        "notice_form": notice_form or (case_forms.ProblemsForm(labels=labels) if prereview else None),
        "refuse_form": refuse_form or (case_forms.RefuseForm() if prereview else None),
        "deliver_form": deliver_form or (case_forms.DeliverForm() if deliverable else None),
        "situation_reasons": _situation_rows(case),
    }, section="window", status=status)


def _situation_rows(case: Case) -> list[dict]:
    situation = case.situation or {}
    included, reasons = set(situation.get("included", [])), situation.get("reasons", {})
    rows = case.bundle.bundle_items.select_related("item__published_version__department").order_by("position")
    return [{"name": r.item.published_version.name, "department": r.item.published_version.department.name,
             "included": r.item.code in included, "reason": reasons.get(r.item.code, "")} for r in rows]


@require_GET
@staff_page("case.accept", "task.process", section="window")
def window_case(request, number: str):
    return _window_case_page(request, selectors.case_for_staff(request.user, number))


def _staff_action(request, obj, action, form_class, form_key, *, done: str, form_kwargs, page, reload, back):
    """Run one staff action on a case or task: success -> message and back to its page; the service's field
    error -> the page with the form again (400); a conflict (someone acted first) -> the page and why (409)."""
    form = form_class(request.POST, **(form_kwargs(obj) if form_kwargs else {})) if form_class else None
    if form is None or form.is_valid():
        try:
            action(obj, form)
        except InvalidInput as exc:
            if form is None:
                raise
            _put_error(form, exc)
        except Conflict as exc:
            messages.error(request, exc.message)
            return page(request, reload(), status=409)
        else:
            messages.success(request, done)
            return back
    return page(request, obj, status=400, **({form_key: form} if form_key else {}))


def _window_action(request, number: str, action, form_class=None, form_key=None, *, done: str, form_kwargs=None):
    case = selectors.case_for_staff(request.user, number)
    return _staff_action(request, case, action, form_class, form_key, done=done, form_kwargs=form_kwargs,
                         page=_window_case_page, reload=lambda: case,
                         back=redirect("cases:window-case", number=case.number))


@require_POST
@staff_page("case.accept", "task.process", section="window")
def window_accept(request, number: str):
    return _window_action(request, number, lambda case, _: services.case_accept(user=request.user, case=case),
                          done="已受理，相关部门开始并联办理")


@require_POST
@staff_page("case.accept", "task.process", section="window")
def window_notice(request, number: str):
    def action(case, form):
        services.case_request_correction(user=request.user, case=case, problems=form.problems())

    return _window_action(request, number, action, case_forms.ProblemsForm, "notice_form",
                          form_kwargs=lambda case: {"labels": case_forms.target_labels(case)},
                          done="一次性告知书已发出，等待申请人补正")


@require_POST
@staff_page("case.accept", "task.process", section="window")
def window_refuse(request, number: str):
    def action(case, form):
        services.case_refuse(user=request.user, case=case, reason=form.cleaned_data["reason"],
                             legal_basis=form.cleaned_data["legal_basis"])

    return _window_action(request, number, action, case_forms.RefuseForm, "refuse_form", done="已作出不予受理决定")


@require_POST
@staff_page("case.accept", section="window")
def window_deliver(request, number: str):
    def action(case, form):
        services.case_deliver(user=request.user, case=case, note=form.cleaned_data["note"])

    return _window_action(request, number, action, case_forms.DeliverForm, "deliver_form", done="已登记出件")


@require_http_methods(["GET", "POST"])
@staff_page("case.accept", section="window")
def window_apply(request):
    """一窗受理: the clerk starts an application for a walk-in resident, then follows the same wizard."""
    form = case_forms.WalkInForm(request.POST or None, initial={"bundle": request.GET.get("bundle")})
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            applicant = _walk_in_applicant(form, data)
            if applicant is not None:
                wizard = _wizard_create(request, data["bundle"], mode="window", applicant=applicant)
                return redirect(wizard.url("situation"))
        return staff_render(request, "cases/window_apply.html", {"form": form}, section="window", status=400)
    return staff_render(request, "cases/window_apply.html", {"form": form}, section="window")


def _walk_in_applicant(form, data) -> dict | None:
    """Check the numbers as typed from the ID card; whether the name matches a known person is checked on submit."""
    applicant = {}
    for field, parse, key in (("applicant_name", parse_person_name, "name"),
                              ("applicant_id_number", lambda v: parse_id_number(v).value, "id_number"),
                              ("applicant_mobile", parse_mobile, "mobile")):
        if field == "applicant_mobile" and not data.get(field):
            continue
        try:
            applicant[key] = parse(data[field])
        except IdentityError as exc:
            form.add_error(field, exc.message.replace("身份证号码", "申请人身份证号码", 1)
                           if key == "id_number" else exc.message)
    return None if form.errors else applicant


@wizard_step("applicant")
@require_http_methods(["GET", "POST"])
def apply_applicant(request, wizard: Wizard):
    """The walk-in applicant's name and numbers, corrected when the submission named them as wrong."""
    if not wizard.window:
        raise Http404("网上申请的申请人是登录的本人或其委托人")
    applicant = wizard.secret["applicant"]
    initial = {"bundle": wizard.bundle.code, "applicant_name": applicant.get("name"),
               "applicant_id_number": applicant.get("id_number"), "applicant_mobile": applicant.get("mobile")}
    form = case_forms.WalkInForm(request.POST or None, initial=initial)
    form.fields["bundle"].disabled = True
    if request.method == "POST":
        if form.is_valid():
            checked = _walk_in_applicant(form, form.cleaned_data)
            if checked is not None:
                wizard.secret["applicant"] = checked
                wizard.save()
                return redirect(wizard.url("confirm" if "materials" in wizard.state["done"] else "situation"))
        return _wizard_render(request, wizard, "applicant", "cases/apply_applicant.html", {"form": form}, status=400)
    return _wizard_render(request, wizard, "applicant", "cases/apply_applicant.html", {"form": form})


# --- staff: 部门待办 ---------------------------------------------------------------------------------------------------

TASK_FILTERS = [("", "待办"), (Task.Status.READY, "待认领"), (Task.Status.CLAIMED, "办理中"),
                (Task.Status.RETURNED, "退回补正中"), (Task.Status.WAITING, "等待前置事项"), (Task.Status.APPROVED, "已办结")]


@require_GET
@staff_page("task.process", section="tasks")
def task_list(request):
    status = request.GET.get("status", "")
    if status not in dict(TASK_FILTERS):
        status = ""
    tasks = [{"task": t, "flag": _alert(t.due_date, t.alert_level) if t.status in (Task.Status.READY,
                                                                                     Task.Status.CLAIMED) else ""}
             for t in selectors.task_queue(request.user, status=status or None)[:300]]
    prereview = list(selectors.prereview_queue(request.user)[:50]) if not has_permission(
        request.user, "case.accept") else []
    rectifications = list(selectors.rectifications_for(request.user))
    for r in rectifications:  # a leader of the department may appeal an abusive review, once
        r.can_appeal = r.rating.appealed_at is None and has_permission(request.user, "task.approve", r.department)
    return staff_render(request, "cases/task_list.html", {
        "tasks": tasks, "filters": TASK_FILTERS, "status": status, "prereview": prereview,
        "rectifications": rectifications,
    }, section="tasks")


@require_POST
@staff_page("task.process", section="tasks")
def rectification_close(request, pk: int):
    rectification = get_object_or_404(selectors.rectifications_for(request.user), pk=pk)
    try:
        services.rectification_close(user=request.user, rectification=rectification,
                                     response=request.POST.get("response", ""))
    except InvalidInput as exc:
        messages.error(request, exc.message)
        return redirect(reverse("cases:tasks") + "#rectifications")
    messages.success(request, "差评整改已办结。")
    return redirect("cases:tasks")


@require_POST
@staff_page("task.approve", section="tasks")
def rating_appeal(request, pk: int):
    """A leader of the rated department appeals the review behind a rectification (case or window service)."""
    rectification = get_object_or_404(selectors.rectifications_for(request.user), pk=pk)
    try:
        services.rating_appeal(user=request.user, rating=rectification.rating, reason=request.POST.get("reason", ""))
    except (InvalidInput, Conflict) as exc:
        messages.error(request, exc.message)
        return redirect(reverse("cases:tasks") + "#rectifications")
    messages.success(request, "申诉已提交，等待效能监督员复核。")
    return redirect(reverse("cases:tasks") + "#rectifications")


@require_GET
@staff_page("supervision.view", section="rating-appeals")
def rating_appeals(request):
    pending, decided = selectors.rating_appeals()
    return staff_render(request, "cases/rating_appeals.html", {"pending": pending, "decided": decided},
                        section="rating-appeals")


@require_POST
@staff_page("supervision.view", section="rating-appeals")
def rating_appeal_decide(request, pk: int):
    """A supervisor upholds the review or excludes it from the figures (closing its rectification)."""
    from yijianshi.cases.models import Rating

    rating = get_object_or_404(Rating, pk=pk, appealed_at__isnull=False)
    decision = request.POST.get("decision")
    try:
        if decision not in ("exclude", "uphold"):
            raise InvalidInput("decision", "复核结论：请选择申诉成立（不计入评价）或申诉不成立")
        services.rating_appeal_decide(user=request.user, rating=rating, exclude=decision == "exclude",
                                      reason=request.POST.get("reason", ""))
    except (InvalidInput, Conflict) as exc:
        messages.error(request, exc.message)
        return redirect("cases:rating-appeals")
    messages.success(request, "申诉已复核。")
    return redirect("cases:rating-appeals")


def _task_targets(task: Task) -> tuple[set, set, dict]:
    """The task's own fields and materials, and the one-time-notice targets among them (all, if it has none)."""
    version = task.item_version
    own_fields = set(version.form_fields.values_list("data_element__code", flat=True))
    own_materials = set(version.materials.values_list("material__code", flat=True))
    every = case_forms.target_labels(task.case)
    own = {t: label for t, label in every.items()
           if t.partition(":")[2] in (own_materials if t.startswith("material:") else own_fields)}
    return own_fields, own_materials, own or every


def _task_page(request, task: Task, *, status=200, **forms):
    user, case = request.user, task.case
    version = task.item_version
    rules = case_forms.case_field_rules(case)
    own_fields, own_materials, labels = _task_targets(task)
    running = task.status in (Task.Status.READY, Task.Status.CLAIMED)
    is_claimant = task.status == Task.Status.CLAIMED and (task.claimed_by_id == user.pk or has_permission(
        user, "task.approve", task.department))
    result_key = "证照编号" if version.result_type == "证照" else "登记号"
    approve_form = forms.get("approve_form") or case_forms.ApproveForm(initial={"result_key_0": result_key})
    commitments = [c for c in case.commitments.all() if c.kind == Commitment.Kind.COMMITMENT
                   and c.status == Commitment.Status.PENDING and version.item.code in c.items]
    return staff_render(request, "cases/task_detail.html", {
        "task": task, "case": case, "version": version,
        "flag": _alert(task.due_date, task.alert_level) if running else "",
        "prerequisites": list(task.prerequisites.select_related("item_version", "department")),
        "dependants": list(task.dependants.select_related("item_version", "department")),
        "form_rows": _form_rows(rules, selectors.case_form_data(case), only=own_fields),
        "inputs": selectors.task_inputs(task),
        "materials": [m for m in case.materials.select_related("material", "file", "certificate")
                      .order_by("material__name") if m.material.code in own_materials],
        "timeline": selectors.timeline(case, internal=True),
        "applicant": case.applicant.masked_display_name,
        "can_claim": task.status == Task.Status.READY, "is_claimant": is_claimant,
        "can_extend": has_permission(user, "task.approve", task.department) and task.status in (
            Task.Status.READY, Task.Status.CLAIMED, Task.Status.RETURNED),
        "approve_form": approve_form,
        "return_form": forms.get("return_form") or case_forms.TaskReturnForm(labels=labels),
        "refuse_form": forms.get("refuse_form") or case_forms.TaskRefuseForm(),
        "extend_form": forms.get("extend_form") or case_forms.ExtendForm(),
        "verify": [{"commitment": c, "form": forms.get("verify_forms", {}).get(c.pk) or case_forms.VerifyForm()}
                   for c in commitments],
        "element_codes": [(rule.element, rule.label) for rule in rules],
        "result": task.result, "output": task.output_data,
    }, section="tasks", status=status)


@require_GET
@staff_page("task.process", section="tasks")
def task_detail(request, task_id: int):
    return _task_page(request, selectors.task_for_staff(request.user, task_id))


def _task_action(request, task_id: int, action, form_class=None, form_key=None, *, done: str, form_kwargs=None):
    task = selectors.task_for_staff(request.user, task_id)
    return _staff_action(request, task, action, form_class, form_key, done=done, form_kwargs=form_kwargs,
                         page=_task_page, reload=lambda: selectors.task_for_staff(request.user, task_id),
                         back=redirect("cases:task", task_id=task.pk))


@require_POST
@staff_page("task.process", section="tasks")
def task_note(request, task_id: int):
    task = selectors.task_for_staff(request.user, task_id)
    try:
        services.case_note_add(user=request.user, task=task, text=request.POST.get("note", ""))
    except InvalidInput as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已添加内部备注")
    return redirect("cases:task", task_id=task.pk)


@require_POST
@staff_page("task.process", section="tasks")
def task_claim(request, task_id: int):
    return _task_action(request, task_id, lambda task, _: services.task_claim(user=request.user, task=task),
                        done="已认领，请办理")


@require_POST
@staff_page("task.process", section="tasks")
def task_approve(request, task_id: int):
    def action(task, form):
        services.task_approve(user=request.user, task=task, opinion=form.cleaned_data["opinion"],
                              result=form.pairs("result"), output_data=form.pairs("output"))

    return _task_action(request, task_id, action, case_forms.ApproveForm, "approve_form", done="已办结")


@require_POST
@staff_page("task.process", section="tasks")
def task_return(request, task_id: int):
    def action(task, form):
        services.task_return(user=request.user, task=task, opinion=form.cleaned_data["opinion"],
                             problems=form.problems())

    return _task_action(request, task_id, action, case_forms.TaskReturnForm, "return_form",
                        form_kwargs=lambda task: {"labels": _task_targets(task)[2]}, done="已退回申请人补正，计时暂停")


@require_POST
@staff_page("task.process", section="tasks")
def task_refuse(request, task_id: int):
    def action(task, form):
        services.task_refuse(user=request.user, task=task, opinion=form.cleaned_data["opinion"],
                             legal_basis=form.cleaned_data["legal_basis"])

    return _task_action(request, task_id, action, case_forms.TaskRefuseForm, "refuse_form", done="已作出不予许可决定")


@require_POST
@staff_page("task.process", section="tasks")
def task_extend(request, task_id: int):
    def action(task, form):
        services.task_extend(user=request.user, task=task, days=form.cleaned_data["days"],
                             reason=form.cleaned_data["reason"])

    return _task_action(request, task_id, action, case_forms.ExtendForm, "extend_form", done="已批准延期")


@require_POST
@staff_page("task.process", section="tasks")
def commitment_verify(request, task_id: int, commitment_id: int):
    task = selectors.task_for_staff(request.user, task_id)
    commitment = get_object_or_404(Commitment, pk=commitment_id, case=task.case)
    form = case_forms.VerifyForm(request.POST)
    if form.is_valid():
        try:
            services.commitment_verify(user=request.user, commitment=commitment, passed=form.cleaned_data["passed"],
                                       note=form.cleaned_data["note"])
        except InvalidInput as exc:
            _put_error(form, exc)
        except Conflict as exc:
            messages.error(request, exc.message)
            return _task_page(request, task, status=409)
        else:
            messages.success(request, "核查结果已记录")
            return redirect("cases:task", task_id=task.pk)
    return _task_page(request, task, status=400, verify_forms={commitment.pk: form})
