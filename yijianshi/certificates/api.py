"""电子证照 API: anyone may verify a QR text or an identifier; a signed-in person lists their (or their
principal's) certificates. Personal numbers in the data come back masked, as on the pages."""

from __future__ import annotations

from datetime import date, datetime

from django.urls import reverse
from ninja import Field, Query, Router, Schema

from yijianshi.accounts.auth import API_AUTH
from yijianshi.accounts.permissions import NotAllowed
from yijianshi.accounts.services import InvalidInput, acting_context
from yijianshi.certificates import selectors

router = Router(tags=["电子证照"])


class VerifyIn(Schema):
    text: str = Field("", max_length=selectors.MAX_INPUT,
                      description="扫码得到的二维码内容（QJC1: 开头）、核验网址，或电子证照标识（1.2.156.3005.2 开头）")


class SummaryOut(Schema):
    type: str | None = None
    holder: str | None = Field(None, description="持证主体：自然人姓名打码，法人名称完整")
    issuer: str | None = None
    identifier: str | None = None
    issued_on: str | None = None
    valid_until: str | None = Field(None, description="空表示长期有效")


class VerdictOut(Schema):
    verdict: str = Field(description="valid 有效 / expired 已过期 / suspended 已暂停使用 / revoked 已吊销 / "
                                     "forged 伪造或被篡改 / unknown 无法核验")
    label: str
    reason: str
    summary: SummaryOut | None
    checked: list[str]


class RowOut(Schema):
    key: str
    label: str
    value: str


class CertificateOut(Schema):
    id: int
    identifier: str
    type_code: str
    type_name: str
    issuer: str
    holder: str
    status: str = Field(description="valid / suspended / revoked（过期见 expired）")
    expired: bool
    issued_on: date
    valid_until: date | None
    issued_at: datetime
    data: list[RowOut] = Field(description="证照数据，身份证号、手机号已打码；完整内容见 PDF")
    qr_text: str
    verify_url: str
    pdf_url: str


@router.post("/certificates/verify", response=VerdictOut, auth=None, summary="核验电子证照（公开）")
def verify(request, payload: VerifyIn):
    if not payload.text.strip():
        raise InvalidInput("text", "二维码内容或电子证照标识：必填")
    verdict = selectors.certificate_verdict(payload.text)
    return {"verdict": verdict.verdict, "label": verdict.label, "reason": verdict.reason,
            "summary": verdict.summary, "checked": verdict.checked}


@router.get("/certificates/mine", response=list[CertificateOut], auth=API_AUTH,
            summary="我的电子证照（或所代办主体的），新的在前")
def mine(request, principal_id: int | None = Query(None, description="代谁查询：默认本人或页面上选定的主体")):
    if getattr(request.user, "person", None) is None:
        raise NotAllowed("只有实名账号可以查询电子证照")
    chosen = getattr(request, "acting", None)
    if principal_id is None and chosen is not None and chosen.user.pk == request.user.pk:
        principal_id = chosen.principal.pk
    context = acting_context(request.user, principal_id)
    return [_out(c) for c in selectors.certificates_of(context.principal)[:200]]


def _out(certificate) -> dict:
    return {"id": certificate.pk, "identifier": certificate.identifier, "type_code": certificate.type.code,
            "type_name": certificate.type.name, "issuer": certificate.department.full_name or certificate.department.name,
            "holder": certificate.holder.masked_display_name, "status": certificate.status,
            "expired": certificate.is_expired(), "issued_on": certificate.issued_on,
            "valid_until": certificate.valid_until, "issued_at": certificate.issued_at,
            "data": selectors.certificate_rows(certificate, masked=True), "qr_text": certificate.qr_text,
            "verify_url": selectors.verify_url(certificate.qr_text),
            "pdf_url": reverse("certificates:pdf", args=[certificate.pk])}
