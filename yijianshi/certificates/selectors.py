"""Reads about certificates: a holder's certificates, a department's, the public verdict on a QR code or an
identifier, the signed status lists and the trust list of seal keys for offline verifiers."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import parse_qs, quote, urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from yijianshi.accounts.models import Party
from yijianshi.accounts.permissions import NotAllowed, departments_with
from yijianshi.certificates.crypto import identifier as identifiers
from yijianshi.certificates.crypto import qr, statuslist
from yijianshi.certificates.keys import public_key_lookup
from yijianshi.certificates.models import Certificate, CertificateType, Issuer, SealKey
from yijianshi.certificates.services import STATUS_LIST_CACHE_KEYS, holder_label, status_list_size

S = Certificate.Status


def certificates_of(party: Party) -> QuerySet[Certificate]:
    return (Certificate.objects.filter(holder=party).select_related("type", "department")
            .order_by("-issued_at", "-pk"))


def valid_certificates_of(party: Party, *, type_names=None, today: date | None = None) -> QuerySet[Certificate]:
    """The holder's certificates a department may rely on now: not suspended or revoked, not expired. With
    ``type_names`` (the catalog's Material.certificate_type strings), only those types: this is how an application
    learns that a required material is already on file (免提交)."""
    today = today or timezone.localdate()
    found = certificates_of(party).filter(status=S.VALID).filter(Q(valid_until__isnull=True) |
                                                                 Q(valid_until__gte=today))
    if type_names is not None:
        found = found.filter(type__name__in=list(type_names))
    return found


def certificate_of_holder(context, certificate_id: int) -> Certificate:
    """A certificate the acting user may open: the holder's own, or one of a principal they may act for."""
    from yijianshi.accounts.services import acting_context

    certificate = (Certificate.objects.select_related("type", "department", "holder")
                   .filter(pk=certificate_id).first())
    if certificate is None:
        raise Http404("没有这个证照")
    if certificate.holder_id != context.principal.pk:
        try:
            acting_context(context.user, certificate.holder_id)
        except NotAllowed:
            raise Http404("没有这个证照") from None
    return certificate


def department_certificates(user) -> QuerySet[Certificate]:
    """What a department's staff see: certificates their department issued (officers and leaders)."""
    departments = departments_with(user, "task.process") | departments_with(user, "certificate.manage")
    return (Certificate.objects.filter(department_id__in=departments)
            .select_related("type", "department", "holder").order_by("-issued_at", "-pk"))


def certificate_for_staff(user, certificate_id: int) -> Certificate:
    certificate = department_certificates(user).filter(pk=certificate_id).first()
    if certificate is None:
        raise Http404("没有这个证照，或不是本部门签发")
    return certificate


def certificate_rows(certificate: Certificate, *, masked: bool) -> list[dict]:
    """(label, value) of the certificate's data in the type's order; personal numbers masked when asked."""
    from yijianshi.catalog.models import DataElement
    from yijianshi.privacy.masking import mask_id_number, mask_mobile, mask_text

    values = certificate.values
    kinds = dict(DataElement.objects.filter(code__in=[f["element"] for f in certificate.type.fields if f["element"]])
                 .values_list("code", "data_type"))
    rows = []
    for spec in certificate.type.fields:
        value = values.get(spec["key"], "")
        if not value:
            continue
        if masked:
            kind = kinds.get(spec["element"])
            value = (mask_id_number(value) if kind == "id_number" else mask_mobile(value) if kind == "phone"
                     else mask_text(value))
        rows.append({"key": spec["key"], "label": spec["label"], "value": value})
    return rows


def verify_url(qr_text: str) -> str:
    """The URL printed in the certificate's QR code: the public verification page with the signed text."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + verify_path(qr_text)


def verify_path(qr_text: str) -> str:
    # ":", "$", "*" and "/" may stand unescaped in a query (RFC 3986 §3.4), which keeps the printed QR code smaller;
    # "+", "%" and the space of the Base45 alphabet must be escaped (a query decodes "+" as a space).
    return "/certificates/verify/?q=" + quote(qr_text, safe=":$*/")


# --- the verdict -----------------------------------------------------------------------------------------------------

VERDICT_LABELS = {"valid": "有效", "expired": "已过期", "suspended": "已暂停使用", "revoked": "已吊销",
                  "forged": "伪造或被篡改", "unknown": "无法核验"}
MAX_INPUT = 5000


@dataclass
class Verdict:
    verdict: str                   # valid / expired / suspended / revoked / forged / unknown
    reason: str                    # Chinese, for the person verifying
    summary: dict | None = None    # type, masked holder, issuer, dates, identifier: never a personal number
    checked: list[str] = field(default_factory=list)  # what was checked, in order, for the result card

    @property
    def label(self) -> str:
        return VERDICT_LABELS[self.verdict]


def _day(value: date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def _summary(certificate: Certificate) -> dict:
    issuer = Issuer.objects.filter(department_id=certificate.department_id).first()
    return {"type": certificate.type.name, "holder": holder_label(certificate.holder),
            "issuer": certificate.department.full_name or certificate.department.name,
            "seal": issuer.seal_name if issuer else "", "identifier": certificate.identifier,
            "issued_on": certificate.issued_on.isoformat(),
            "valid_until": certificate.valid_until.isoformat() if certificate.valid_until else None,
            "status": certificate.status}


def _standing(certificate: Certificate, checked: list[str], today: date) -> Verdict:
    """The current status of a certificate found in the register: revoked, suspended, expired, else valid."""
    summary = _summary(certificate)
    when = _day(timezone.localtime(certificate.status_changed_at).date()) if certificate.status_changed_at else ""
    checked.append("已查询证照当前状态")
    if certificate.status == S.REVOKED:
        return Verdict("revoked", f"已于{when}吊销：理由：{certificate.status_reason}", summary, checked)
    if certificate.status == S.SUSPENDED:
        return Verdict("suspended", f"已于{when}暂停使用：理由：{certificate.status_reason}", summary, checked)
    if certificate.is_expired(today):
        return Verdict("expired", f"已于{_day(certificate.valid_until)}过期", summary, checked)
    return Verdict("valid", f"证照有效，由{summary['issuer']}签发", summary, checked)


def extract_text(text: str) -> str:
    """What was pasted or scanned: the QR text itself, an identifier, or the verification URL holding either."""
    text = (text or "").strip()
    if "/certificates/verify/" in text and "q=" in text:
        values = parse_qs(urlsplit(text).query).get("q")
        if values:
            return values[0].strip()
    return text


def certificate_verdict(text: str, *, today: date | None = None) -> Verdict:
    """The verdict on a scanned QR text (QJC1:…) or a typed identifier (1.2.156.3005.2.…).

    A QR text is judged first from itself alone, as an offline verifier would: its seal must verify under a key
    the platform registered (retired keys included) belonging to the department the identifier names. Only then is
    the register consulted for the current status (revoked, suspended, expired). An identifier has no seal to
    check: the register alone answers."""
    today = today or timezone.localdate()
    text = extract_text(text)
    if not text:
        return Verdict("unknown", "请输入二维码内容或电子证照标识")
    if len(text) > MAX_INPUT:
        return Verdict("unknown", "输入内容过长，不是电子证照二维码或标识")
    if text.startswith(qr.PREFIX):
        return _qr_verdict(text, today)
    if text.startswith(identifiers.ROOT):
        try:
            identifiers.parse_identifier(text)
        except identifiers.InvalidIdentifier as exc:
            return Verdict("unknown", f"电子证照标识有误：{exc}")
        certificate = _by_identifier(text)
        if certificate is None:
            return Verdict("unknown", "本平台没有签发过该电子证照标识的证照", checked=["标识格式和校验位正确"])
        return _standing(certificate, ["标识格式和校验位正确", "已在证照库中找到"], today)
    return Verdict("unknown", "无法识别：请粘贴以 QJC1: 开头的二维码内容，或以 1.2.156.3005.2 开头的电子证照标识")


def _by_identifier(text: str) -> Certificate | None:
    return (Certificate.objects.select_related("type", "department", "holder")
            .filter(identifier=text).first())


def _qr_verdict(text: str, today: date) -> Verdict:
    try:
        payload = qr.decode_payload(text, public_key_lookup)
    except qr.PayloadError as exc:
        if exc.reason == "bad_signature":
            return Verdict("forged", "签名与内容不符，证照可能被篡改", checked=["二维码格式正确", "签名核验未通过"])
        if exc.reason == "unknown_key":
            return Verdict("forged", "签发密钥未知：该二维码不是由本县登记的电子印章签发，证照可能是伪造的",
                           checked=["二维码格式正确", "签发密钥未在本平台登记"])
        return Verdict("unknown", "二维码内容无法识别，不是本平台签发的电子证照二维码")
    claims = payload.claims
    checked = ["二维码格式正确", f"签名核验通过（{payload.algorithm}，密钥 {payload.key_id}）"]
    offline = {"type": claims.get("tn"), "holder": claims.get("h"), "issuer": claims.get("in"),
               "identifier": claims.get("id"), "issued_on": claims.get("io"), "valid_until": claims.get("vu")}
    try:
        parts = identifiers.parse_identifier(str(claims.get("id", "")))
    except identifiers.InvalidIdentifier:
        return Verdict("forged", "签名有效，但证照标识不合规范，不予认可", offline, checked)
    # A key seals only its own department's certificates: a valid seal from another unit proves nothing.
    key = SealKey.objects.select_related("department").get(key_id=payload.key_id)
    issuer = Issuer.objects.filter(department_id=key.department_id).first()
    if issuer is None or issuer.credit_code != parts.issuer_credit_code:
        return Verdict("forged", "签发密钥与证照标识中的发证机关不符，证照可能是伪造的", offline, checked)
    checked.append("签发密钥属于证照标识中的发证机关")
    certificate = _by_identifier(claims["id"])
    if certificate is None:
        return Verdict("unknown", "签名有效，但证照库中没有该证照，请向发证机关核实", offline, checked)
    if certificate.key_id != payload.key_id or certificate.status_list_index != claims.get("sl"):
        return Verdict("forged", "签名有效，但与证照库中该证照的签章记录不符，请向发证机关核实", offline, checked)
    return _standing(certificate, checked, today)


# --- status lists and the trust list ---------------------------------------------------------------------------------

PURPOSES = {"revocation": S.REVOKED, "suspension": S.SUSPENDED}
STATUS_LIST_LIFETIME = timedelta(hours=24)   # validUntil: fetch a fresh list at least daily
STATUS_LIST_CACHE_SECONDS = 300              # served from cache (and by proxies) for five minutes at most


def _jcs(value) -> bytes:
    """RFC 8785 canonical JSON for what these documents hold (text, integers, nested objects and lists)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _base58btc(data: bytes) -> str:
    number, out = int.from_bytes(data, "big"), ""
    while number:
        number, rest = divmod(number, 58)
        out = _B58[rest] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def _status_list_url(purpose: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + f"/certificates/status/{purpose}.json"


def status_list_credential(purpose: str) -> dict:
    """The W3C BitstringStatusListCredential for ``purpose`` (revocation or suspension), with a Data Integrity
    proof (eddsa-jcs-2022) by the platform's Ed25519 key, the one that signs audit checkpoints; its public key is
    in keys.json and /api/v1/audit/checkpoint-keys. Cached; a status change clears the cache on commit."""
    if purpose not in PURPOSES:
        raise Http404("没有这种状态列表")
    cache_key = STATUS_LIST_CACHE_KEYS[list(PURPOSES).index(purpose)]
    document = cache.get(cache_key)
    if document is None:
        document = _build_status_list(purpose)
        cache.set(cache_key, document, STATUS_LIST_CACHE_SECONDS)
    return document


def _build_status_list(purpose: str) -> dict:
    from yijianshi.audit.services import signing_key

    indexes = list(Certificate.objects.filter(status=PURPOSES[purpose]).values_list("status_list_index", flat=True))
    highest = Certificate.objects.order_by("-status_list_index").values_list("status_list_index", flat=True).first()
    now = timezone.now().replace(microsecond=0)
    url = _status_list_url(purpose)
    key = signing_key()
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": settings.PUBLIC_BASE_URL.rstrip("/") + "/certificates/keys.json",
        "name": f"{settings.COUNTY_NAME}电子证照{'吊销' if purpose == 'revocation' else '暂停使用'}状态列表",
        "validFrom": now.isoformat().replace("+00:00", "Z"),
        "validUntil": (now + STATUS_LIST_LIFETIME).isoformat().replace("+00:00", "Z"),
        "credentialSubject": {
            "id": url + "#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": statuslist.encode_status_list(indexes, size=status_list_size(highest)),
        },
    }
    proof = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022",
             "created": document["validFrom"], "proofPurpose": "assertionMethod",
             "verificationMethod": settings.PUBLIC_BASE_URL.rstrip("/") + f"/certificates/keys.json#{key.key_id}"}
    # eddsa-jcs-2022: sign SHA-256(JCS(proof options with the document's @context)) || SHA-256(JCS(document)).
    options = {**proof, "@context": document["@context"]}
    signed = hashlib.sha256(_jcs(options)).digest() + hashlib.sha256(_jcs(document)).digest()
    proof["proofValue"] = "z" + _base58btc(key.private.sign(signed))
    return {**document, "proof": proof}


def trust_list() -> dict:
    """Every seal key ever registered (active and retired), and the platform key that signs the status lists:
    what an offline verifier downloads once and refreshes now and then."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from yijianshi.audit.services import signing_key

    issuers = {i.department_id: i for i in Issuer.objects.all()}
    keys = []
    for key in SealKey.objects.select_related("department").order_by("department__code", "created_at"):
        issuer = issuers.get(key.department_id)
        keys.append({"key_id": key.key_id, "department": key.department.code,
                     "department_name": key.department.full_name or key.department.name,
                     "issuer_credit_code": issuer.credit_code if issuer else "",
                     "seal_name": issuer.seal_name if issuer else "", "algorithm": key.algorithm,
                     "public_key": base64.b64encode(bytes(key.public_key)).decode("ascii"),
                     "status": key.status, "created_at": key.created_at.isoformat(),
                     "retired_at": key.retired_at.isoformat() if key.retired_at else None})
    platform = signing_key()
    return {
        "issuer": f"{settings.COUNTY_NAME}“高效办成一件事”政务服务平台",
        "generated_at": timezone.now().replace(microsecond=0).isoformat(),
        "qr_prefix": qr.PREFIX,
        "seal_keys": keys,
        "status_list_keys": [{
            "key_id": platform.key_id, "algorithm": "Ed25519", "cryptosuite": "eddsa-jcs-2022",
            "public_key": base64.b64encode(platform.private.public_key().public_bytes(
                Encoding.Raw, PublicFormat.Raw)).decode("ascii")}],
        "status_lists": {purpose: _status_list_url(purpose) for purpose in PURPOSES},
        "types": [{"code": t.code, "name": t.name, "type_code": t.type_code, "department": t.department.code}
                  for t in CertificateType.objects.select_related("department")],
    }
