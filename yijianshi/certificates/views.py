"""Certificate pages: the public verification page and the documents offline verifiers fetch (status lists, trust
list); the holder's 我的证照 with the PDF; the issuing department's list with suspend / reinstate / revoke.
Thin: parse, call a selector or a service, render. InvalidInput goes next to its field (400), a Conflict is a
message (409), NotAllowed the staff 403 page."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from yijianshi.accounts.permissions import NotAllowed, departments_with, has_permission
from yijianshi.accounts.selectors import principals_for
from yijianshi.accounts.services import InvalidInput
from yijianshi.accounts.staff_views import staff_page, staff_render
from yijianshi.audit.services import audit_read
from yijianshi.certificates import selectors, services
from yijianshi.certificates.forms import IssuedFilterForm, ReasonForm, VerifyForm
from yijianshi.certificates.models import Certificate
from yijianshi.certificates.pdf import certificate_context, certificate_pdf, qr_svg_data_uri

SECTION = "certificates"
STAFF_PERMISSIONS = ("task.process", "certificate.manage")


# --- public ---------------------------------------------------------------------------------------------------------

@require_GET
def verify(request):
    """Paste or scan: the QR code's URL opens this page with ?q=<QR text>. The form re-renders the result card
    through htmx (hx-select) without a page load; without JavaScript it is an ordinary GET form."""
    form = VerifyForm(request.GET or None)
    verdict = None
    if form.is_bound and form.is_valid() and form.cleaned_data["q"].strip():
        verdict = selectors.certificate_verdict(form.cleaned_data["q"])
    return render(request, "certificates/verify.html", {"form": form, "verdict": verdict})


def _json_document(request, document: dict, *, max_age: int) -> HttpResponse:
    """A public JSON document verifiers may fetch from anywhere and cache for ``max_age`` seconds."""
    body = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={max_age}"
    response["Access-Control-Allow-Origin"] = "*"  # offline verifiers' own pages fetch these
    return response


@require_GET
def status_list(request, purpose: str):
    document = selectors.status_list_credential(purpose)  # Http404 for another purpose
    return _json_document(request, document, max_age=selectors.STATUS_LIST_CACHE_SECONDS)


@require_GET
def trust_list(request):
    return _json_document(request, selectors.trust_list(), max_age=600)


# --- the holder ------------------------------------------------------------------------------------------------------

def _acting(request):
    if request.acting is None:
        raise NotAllowed("请以实名账号登录后查看电子证照")
    return request.acting


def _holder_certificate(request, pk: int) -> Certificate:
    context = _acting(request)
    certificate = selectors.certificate_of_holder(context, pk)
    holder = certificate.holder
    if holder.party_kind == holder.Kind.PERSON and holder.pk != context.actor.pk:
        # An agent reads a principal's certificate under a mandate: the principal can see that it happened.
        audit_read(actor=request.user, subject=holder, principal=holder, fields=["certificate"],
                   purpose="代办：查看电子证照", object_type="certificates.certificate", object_id=certificate.pk)
    return certificate


@login_required
@require_GET
def mine(request):
    context = _acting(request)
    certificates = list(selectors.certificates_of(context.principal)[:200])
    others = [p for p in principals_for(request.user) if p.pk != context.principal.pk]
    return render(request, "certificates/mine.html", {"certificates": certificates, "principal": context.principal,
                                                      "others": others})


@login_required
@require_GET
def detail(request, pk: int):
    certificate = _holder_certificate(request, pk)
    return render(request, "certificates/detail.html", {
        **certificate_context(certificate), "rows": selectors.certificate_rows(certificate, masked=True),
        "events": certificate.events.all(), "expired": certificate.is_expired(),
        "verify_path": selectors.verify_path(certificate.qr_text),
    })


@login_required
@require_GET
def pdf(request, pk: int):
    certificate = _holder_certificate(request, pk)
    response = HttpResponse(certificate_pdf(certificate), content_type="application/pdf")
    filename = f"{certificate.type.name}-{certificate.serial}.pdf"
    response["Content-Disposition"] = f"attachment; filename=\"certificate.pdf\"; filename*=UTF-8''{quote(filename)}"
    return response


# --- the issuing department ------------------------------------------------------------------------------------------

@require_GET
@staff_page(*STAFF_PERMISSIONS, section=SECTION)
def issued(request):
    departments = departments_with(request.user, "task.process") | departments_with(request.user, "certificate.manage")
    form = IssuedFilterForm(request.GET or None, departments=departments)
    certificates = selectors.department_certificates(request.user)
    if form.is_valid():
        data = form.cleaned_data
        if data["identifier"].strip():
            certificates = certificates.filter(identifier=data["identifier"].strip())
        if data["type"]:
            certificates = certificates.filter(type=data["type"])
        if data["status"]:
            certificates = certificates.filter(status=data["status"])
    query = request.GET.copy()
    query.pop("page", None)
    return staff_render(request, "certificates/issued.html", {
        "form": form, "page": Paginator(certificates, 50).get_page(request.GET.get("page")),
        "query": query.urlencode()}, section=SECTION)


def _staff_detail(request, certificate: Certificate, *, forms=None, status=200):
    forms = forms or {}
    may_manage = has_permission(request.user, "certificate.manage", certificate.department)
    actions = {target: target in services.CERTIFICATE_TRANSITIONS[certificate.status] and may_manage
               for target in (Certificate.Status.SUSPENDED, Certificate.Status.VALID, Certificate.Status.REVOKED)}
    return staff_render(request, "certificates/issued_detail.html", {
        "certificate": certificate, "rows": selectors.certificate_rows(certificate, masked=True),
        "events": certificate.events.select_related("actor"), "expired": certificate.is_expired(),
        "may_manage": may_manage, "can_suspend": actions["suspended"], "can_reinstate": actions["valid"],
        "can_revoke": actions["revoked"], "qr_code": qr_svg_data_uri(selectors.verify_url(certificate.qr_text)),
        "forms": {name: forms.get(name) or ReasonForm(prefix=name) for name in ("suspend", "reinstate", "revoke")},
    }, section=SECTION, status=status)


@require_GET
@staff_page(*STAFF_PERMISSIONS, section=SECTION)
def issued_detail(request, pk: int):
    return _staff_detail(request, selectors.certificate_for_staff(request.user, pk))


def _status_action(name: str, service, done: str):
    @require_POST
    @staff_page(*STAFF_PERMISSIONS, section=SECTION)
    def view(request, pk: int):
        from yijianshi.cases.services import Conflict

        certificate = selectors.certificate_for_staff(request.user, pk)
        form = ReasonForm(request.POST, prefix=name)
        if not form.is_valid():
            return _staff_detail(request, certificate, forms={name: form}, status=400)
        try:
            service(user=request.user, certificate=certificate, reason=form.cleaned_data["reason"])
        except InvalidInput as exc:
            form.add_error("reason" if exc.field == "reason" else None, exc.message)
            return _staff_detail(request, certificate, forms={name: form}, status=400)
        except Conflict as exc:
            messages.error(request, exc.message)
            return _staff_detail(request, Certificate.objects.get(pk=certificate.pk), status=409)
        messages.success(request, done)
        return redirect("certificates:issued-detail", pk=certificate.pk)

    view.__name__ = f"issued_{name}"
    return view


issued_suspend = _status_action("suspend", services.certificate_suspend, "已暂停使用该证照，已通知持证人")
issued_reinstate = _status_action("reinstate", services.certificate_reinstate, "证照已恢复有效，已通知持证人")
issued_revoke = _status_action("revoke", services.certificate_revoke, "已吊销该证照，已通知持证人")
