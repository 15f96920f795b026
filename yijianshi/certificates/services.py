"""Writes about certificates: loading the types, issuing (by hand or from an approved task), and the status changes.

One state machine, CERTIFICATE_TRANSITIONS, enforced in `_certificate_to`: the row is locked, the move checked,
history appended (CertificateEvent) and the audit chain records it. Expiry is not a state: it is read from
valid_until whenever the certificate is verified. Notifications and the status list's cache refresh happen on
commit.
"""

from __future__ import annotations

import json
import logging
import secrets
from datetime import date, timedelta

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from yijianshi.accounts.models import Party, Person, User
from yijianshi.accounts.permissions import NotAllowed, has_permission
from yijianshi.accounts.services import InvalidInput
from yijianshi.audit.services import audit_record
from yijianshi.certificates.crypto import identifier as identifiers
from yijianshi.certificates.crypto import qr, statuslist
from yijianshi.certificates.datafiles import CertificateData
from yijianshi.certificates.keys import active_signer
from yijianshi.certificates.models import (
    Certificate,
    CertificateEvent,
    CertificateSerial,
    CertificateType,
    Issuer,
)
from yijianshi.db import lock_or_create
from yijianshi.notifications.services import notify
from yijianshi.privacy.masking import mask_name

logger = logging.getLogger(__name__)

S = Certificate.Status

# The life of a certificate. Expiry is not here: it follows from valid_until and is read at verification.
CERTIFICATE_TRANSITIONS: dict[str, set[str]] = {
    S.VALID: {S.SUSPENDED, S.REVOKED},   # 暂停使用 while something is looked into, or 吊销/撤销 outright
    S.SUSPENDED: {S.VALID, S.REVOKED},   # 恢复 once cleared, or revoked after all
    S.REVOKED: set(),                    # final: a revoked certificate never becomes valid again; issue anew
}
_KINDS = {S.SUSPENDED: CertificateEvent.Kind.SUSPENDED, S.VALID: CertificateEvent.Kind.REINSTATED,
          S.REVOKED: CertificateEvent.Kind.REVOKED}
_VERBS = {S.SUSPENDED: "暂停使用", S.VALID: "恢复有效", S.REVOKED: "吊销"}
STATUS_LIST_CACHE_KEYS = ("certificates:status-list:revocation", "certificates:status-list:suspension")
MAX_VALUE_LENGTH = 500


def _conflict(message: str):
    from yijianshi.cases.services import Conflict  # cases imports this module's hook: import when needed

    return Conflict(message)


# --- loading the types -------------------------------------------------------------------------------------------

def certificate_types_load(data: CertificateData) -> dict[str, list[str]]:
    """Write issuers and types from checked data files; idempotent. Returns names per outcome."""
    from yijianshi.catalog.models import ServiceItem
    from yijianshi.organizations.models import Department

    report: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": [], "kept": [], "removed": []}
    departments = {d.code: d for d in Department.objects.all()}
    with transaction.atomic():
        for entry in data.issuers:
            values = {"credit_code": entry.credit_code, "seal_name": entry.seal_name,
                      "needs_confirmation": entry.needs_confirmation, "note": entry.note}
            _upsert(Issuer, {"department": departments[entry.department]}, values, report,
                    f"发证机关 {entry.seal_name}")
        codes = set()
        for entry in data.types:
            codes.add(entry.code)
            values = {"name": entry.name, "type_code": entry.type_code, "department": departments[entry.department],
                      "holder_kind": entry.holder_kind, "validity_years": entry.validity_years,
                      "validity_days": entry.validity_days, "seal_algorithm": entry.seal_algorithm,
                      "fields": entry.fields, "issue_when": entry.issue_when,
                      "needs_confirmation": entry.needs_confirmation, "note": entry.note, "position": entry.position}
            ctype = _upsert(CertificateType, {"code": entry.code}, values, report, entry.name)
            wanted = set(ServiceItem.objects.filter(code__in=entry.issued_by_items).values_list("pk", flat=True))
            if set(ctype.issued_by.values_list("pk", flat=True)) != wanted:
                ctype.issued_by.set(wanted)
                if entry.name in report["unchanged"]:
                    report["unchanged"].remove(entry.name)
                    report["updated"].append(entry.name)
        for stale in CertificateType.objects.exclude(code__in=codes):
            if stale.certificates.exists():
                report["kept"].append(stale.name)  # certificates still name it: it stays, unlisted
            else:
                report["removed"].append(stale.name)
                stale.issued_by.clear()
                stale.delete()
        if report["created"] or report["updated"] or report["removed"]:
            audit_record(action="certificate_types.load", object_type="certificates.certificatetype",
                         after={k: v for k, v in report.items() if k in ("created", "updated", "removed") and v})
    return report


def _upsert(model, key: dict, values: dict, report: dict, name: str):
    row = model.objects.filter(**key).first()
    if row is None:
        row = model.objects.create(**key, **values)
        report["created"].append(name)
    elif any(getattr(row, field) != value for field, value in values.items()):
        for field, value in values.items():
            setattr(row, field, value)
        row.save()
        report["updated"].append(name)
    else:
        report["unchanged"].append(name)
    return row


# --- issuing -----------------------------------------------------------------------------------------------------

def _valid_until(ctype: CertificateType, issued_on: date) -> date | None:
    """The last day of validity: N years later less a day (a five-year licence of 2026-05-01 runs to
    2031-04-30); 29 February becomes 28 February in a common year."""
    if ctype.validity_years:
        year = issued_on.year + ctype.validity_years
        try:
            anniversary = issued_on.replace(year=year)
        except ValueError:
            anniversary = issued_on.replace(year=year, day=28)
        return anniversary - timedelta(days=1)
    if ctype.validity_days:
        return issued_on + timedelta(days=ctype.validity_days - 1)
    return None


def _text(value) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None:
        return ""
    return str(value).strip()


def _clean_data(ctype: CertificateType, data) -> dict[str, str]:
    """The certificate's values, in the type's field order: required ones present, no unknown keys."""
    if not isinstance(data, dict):
        raise InvalidInput("data", "证照数据：应为“数据项 -> 内容”的映射")
    known = {f["key"]: f for f in ctype.fields}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise InvalidInput(f"data.{unknown[0]}", f"证照数据：{ctype.name}没有数据项“{unknown[0]}”")
    values = {}
    for spec in ctype.fields:
        value = _text(data.get(spec["key"]))
        if not value:
            if spec["required"]:
                raise InvalidInput(f"data.{spec['key']}", f"{spec['label']}：签发{ctype.name}须填写此项")
            continue
        if len(value) > MAX_VALUE_LENGTH:
            raise InvalidInput(f"data.{spec['key']}", f"{spec['label']}：不能超过 {MAX_VALUE_LENGTH} 个字")
        values[spec["key"]] = value
    return values


def _next_serial(ctype: CertificateType, issued_on: date) -> str:
    """流水号: the year of issue and a counter per issuer and type (six digits, more if ever needed)."""
    counter = lock_or_create(CertificateSerial, department_id=ctype.department_id, type_id=ctype.pk)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{issued_on:%Y}{counter.last:06d}"


def status_list_size(highest_index: int | None = None) -> int:
    """The published list's length: the minimum (herd privacy, W3C §6.1), doubled until it holds every index."""
    size = statuslist.MIN_SIZE
    while highest_index is not None and highest_index >= size:
        size *= 2
    return size


def _index_capacity() -> int:
    """Indexes are drawn at random from a range kept at most half full, so a draw rarely collides and the index
    says nothing about when or by whom a certificate was issued."""
    capacity = statuslist.MIN_SIZE
    while Certificate.objects.count() * 2 >= capacity:
        capacity *= 2
    return capacity


def holder_label(party: Party) -> str:
    """The holder as a verifier may see it: a person's name masked, an enterprise's in full (public record)."""
    if party.party_kind == Party.Kind.PERSON:
        return mask_name(party.display_name)
    return party.display_name


def _claims(certificate: Certificate, ctype: CertificateType) -> dict:
    """What the QR code carries, signed: enough for an offline verifier to say what it is looking at, nothing
    personal beyond a masked name (no ID numbers)."""
    claims = {"id": certificate.identifier, "tn": ctype.name, "h": holder_label(certificate.holder),
              "in": ctype.department.full_name or ctype.department.name, "io": certificate.issued_on.isoformat(),
              "sl": certificate.status_list_index}
    if certificate.valid_until:
        claims["vu"] = certificate.valid_until.isoformat()
    return claims


def _holder_users(party: Party) -> list[User]:
    concrete = party.as_concrete()
    user = concrete.user if isinstance(concrete, Person) else concrete.legal_representative.user
    return [user] if user is not None else []


def _refresh_status_lists() -> None:
    cache.delete_many(list(STATUS_LIST_CACHE_KEYS))


def _check_holder(ctype: CertificateType, holder: Party) -> None:
    if ctype.holder_kind != CertificateType.HolderKind.ANY and holder.party_kind != ctype.holder_kind:
        kind = CertificateType.HolderKind(ctype.holder_kind).label
        raise InvalidInput("holder", f"持证主体：{ctype.name}应由{kind}持有")


@transaction.atomic
def certificate_issue(*, type_code: str, holder: Party, data: dict, issued_by=None, source_task=None,
                      issued_on: date | None = None, supersedes: Certificate | None = None) -> Certificate:
    """Issue a certificate: checked data, the next serial, the GB/T 36904 identifier, a status-list position,
    and the QR payload sealed with the issuing department's active key. With ``supersedes`` the new one is the
    next version of that certificate (same serial), which is revoked as replaced (换发)."""
    ctype = CertificateType.objects.select_related("department").filter(code=type_code).first()
    if ctype is None:
        raise InvalidInput("type_code", "证照类型：不存在")
    if not isinstance(holder, Party):
        raise InvalidInput("holder", "持证主体：必填")
    holder = Party.objects.get(pk=holder.pk)
    _check_holder(ctype, holder)
    issuer = Issuer.objects.filter(department=ctype.department).first()
    if issuer is None:
        raise _conflict(f"{ctype.department.name}尚未登记为发证机关（统一社会信用代码、印章），请先运行 "
                        f"manage.py load_certificate_types")
    values = _clean_data(ctype, data)
    issued_on = issued_on or timezone.localdate()
    if supersedes is not None:
        supersedes = Certificate.objects.select_for_update().get(pk=supersedes.pk)
        if supersedes.type_id != ctype.pk or supersedes.holder_id != holder.pk:
            raise InvalidInput("supersedes", "换发：只能换发同一持证主体的同类证照")
        if supersedes.status == S.REVOKED:
            raise _conflict("原证照已吊销，不能换发，请重新签发")
        serial, version = supersedes.serial, supersedes.version + 1
    else:
        serial, version = _next_serial(ctype, issued_on), 1
    identifier = identifiers.build_identifier(ctype.type_code, issuer.credit_code, serial, version)
    signer = active_signer(ctype.department, ctype.seal_algorithm)
    certificate = Certificate(
        identifier=identifier, type=ctype, holder=holder, department=ctype.department, serial=serial,
        version=version, issued_on=issued_on, valid_until=_valid_until(ctype, issued_on),
        data=json.dumps(values, ensure_ascii=False), key_id=signer.key_id, source_task=source_task,
        supersedes=supersedes, issued_by=issued_by if getattr(issued_by, "is_authenticated", False) else None)
    capacity = _index_capacity()
    for attempt in range(20):
        certificate.status_list_index = secrets.randbelow(capacity)
        certificate.qr_text = qr.encode_payload(_claims(certificate, ctype), signer)
        try:
            with transaction.atomic():  # a savepoint: a colliding index is retried, not the whole issue
                certificate.save(force_insert=True)
            break
        except IntegrityError:
            if Certificate.objects.filter(identifier=identifier).exists() or (
                    source_task is not None and Certificate.objects.filter(source_task=source_task,
                                                                           type=ctype).exists()):
                raise _conflict(f"{ctype.name}已签发，请勿重复签发") from None
            certificate.pk = None
    else:  # twenty collisions in a half-empty range: something else is wrong
        raise RuntimeError("no free status list index after 20 draws")
    CertificateEvent.objects.create(certificate=certificate, kind=CertificateEvent.Kind.ISSUED, to_status=S.VALID,
                                    actor=certificate.issued_by, reason="换发" if supersedes else "")
    audit_record(action="certificate.issue", object_type="certificates.certificate", object_id=certificate.pk,
                 actor=issued_by, principal=holder, subject=holder,
                 reason=f"办件任务 #{source_task.pk}" if source_task is not None else "",
                 after={"type": ctype.code, "identifier": identifier, "key_id": signer.key_id,
                        "valid_until": certificate.valid_until, "supersedes": supersedes.identifier if supersedes else None})
    if supersedes is not None:
        _certificate_to(supersedes, S.REVOKED, actor=issued_by, reason=f"已换发新证（版本 {version:03d}）",
                        notify_holder=False)
    link = f"/me/certificates/{certificate.pk}/"
    users = _holder_users(holder)
    transaction.on_commit(lambda: notify(users, subject="您的电子证照已签发",
                                         body=f"{ctype.department.name}已为{holder_label(holder)}签发电子{ctype.name}，"
                                              f"可在“我的证照”查看和下载。", link=link))
    return certificate


# --- issuing from an approved task ---------------------------------------------------------------------------------

def _holder_elements(party: Party) -> dict:
    concrete = party.as_concrete()
    if isinstance(concrete, Person):
        return {"person.name": concrete.name, "person.id_number": concrete.id_number,
                "person.gender": {"male": "男", "female": "女"}.get(concrete.gender, ""),
                "person.birth_date": concrete.birth_date.isoformat()}
    return {"enterprise.name": concrete.name, "enterprise.credit_code": concrete.credit_code,
            "enterprise.legal_representative": concrete.legal_representative.name}


def _task_values(task, holder: Party) -> dict:
    """Element values known when the task is approved, later sources winning: the case form, what earlier tasks
    passed on, the holder's real-name record (authoritative for who the holder is: 一数一源), this task's own
    output data."""
    from yijianshi.cases.selectors import case_form_data, task_inputs

    values = {k: v for k, v in case_form_data(task.case).items() if v not in (None, "")}
    values.update({k: v for k, v in task_inputs(task).items() if v not in (None, "")})
    values.update({k: v for k, v in _holder_elements(holder).items() if v})
    values.update({k: v for k, v in (task.output_data or {}).items() if v not in (None, "")})
    return values


def _applies(ctype: CertificateType, values: dict) -> bool:
    return all(_text(values.get(element)) in allowed for element, allowed in (ctype.issue_when or {}).items())


def certificate_data_for(ctype: CertificateType, values: dict, results: dict) -> dict:
    """The type's data from element values and the officer's 办理结果 rows (named by the field's label, which
    win: the officer has the last word on what is printed)."""
    data = {}
    for spec in ctype.fields:
        value = results.get(spec["label"])
        if _text(value) == "" and spec["element"]:
            value = values.get(spec["element"])
        if _text(value) == "" and spec["required"]:
            where = "“办理结果”中添加名称为“{0}”的一项".format(spec["label"])
            raise InvalidInput("result", f"{spec['label']}：签发{ctype.name}须有此项，请在{where}")
        if _text(value):
            data[spec["key"]] = value
    return data


def certificates_for_approved_task(task, *, actor, holder: Party | None = None) -> list[Certificate]:
    """Issue the certificates an approved task's item produces (types listing the item in issued_by_items), to the
    case's applicant or to ``holder``. Called once the approval is saved, in its transaction; safe to call again
    (a certificate already issued for the task and type is returned, not issued twice). A type whose holder must be
    someone of another kind than the applicant (健康证明 of an enterprise's employee) is left for the caller to
    issue with ``holder=``."""
    from yijianshi.cases.models import Task

    task = Task.objects.select_related("case__applicant", "item_version__item").get(pk=task.pk)
    if task.status != Task.Status.APPROVED or task.result_revoked:
        return []
    types = list(CertificateType.objects.filter(issued_by=task.item_version.item).select_related("department"))
    if not types:
        return []
    who = holder or task.case.applicant
    values = _task_values(task, who)
    issued = []
    for ctype in types:
        if not _applies(ctype, values):
            continue
        existing = Certificate.objects.filter(source_task=task, type=ctype).first()
        if existing is not None:
            issued.append(existing)
            continue
        if ctype.holder_kind not in (CertificateType.HolderKind.ANY, who.party_kind):
            logger.warning("Task %s: %s needs a %s holder, the applicant is a %s; not issued (pass holder=)",
                           task.pk, ctype.code, ctype.holder_kind, who.party_kind)
            continue
        data = certificate_data_for(ctype, values, task.result or {})
        issued.append(certificate_issue(type_code=ctype.code, holder=who, data=data, issued_by=actor,
                                        source_task=task))
    return issued


# --- status changes ----------------------------------------------------------------------------------------------

def _certificate_to(certificate: Certificate, target: str, *, actor, reason: str,
                    notify_holder: bool = True) -> Certificate:
    locked = Certificate.objects.select_for_update().select_related("type", "holder").get(pk=certificate.pk)
    if target not in CERTIFICATE_TRANSITIONS[locked.status]:
        raise _conflict(f"证照当前为“{locked.get_status_display()}”，不能{_VERBS[target]}")
    before, now = locked.status, timezone.now()
    Certificate.objects.filter(pk=locked.pk).update(status=target, status_changed_at=now, status_reason=reason)
    kind = _KINDS[target]
    CertificateEvent.objects.create(certificate=locked, kind=kind, from_status=before, to_status=target, at=now,
                                    actor=actor if getattr(actor, "is_authenticated", False) else None,
                                    reason=reason)
    audit_record(action=f"certificate.{kind}", object_type="certificates.certificate", object_id=locked.pk,
                 actor=actor, principal=locked.holder, subject=locked.holder, reason=reason,
                 before={"status": before}, after={"status": target, "identifier": locked.identifier})
    transaction.on_commit(_refresh_status_lists)
    if notify_holder:
        users = _holder_users(locked.holder)
        words = {S.SUSPENDED: "已被暂停使用", S.VALID: "已恢复有效", S.REVOKED: "已被吊销"}[target]
        transaction.on_commit(lambda: notify(users, subject=f"电子证照{words}",
                                             body=f"您的电子{locked.type.name}（{locked.identifier}）{words}：{reason}",
                                             link=f"/me/certificates/{locked.pk}/"))
    return Certificate.objects.get(pk=locked.pk)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise InvalidInput("reason", "理由：必填，至少 4 个字（将告知持证人并向核验方公开）")
    if len(reason) > 300:
        raise InvalidInput("reason", "理由：不能超过 300 个字")
    return reason


def _require_manager(user, certificate: Certificate) -> None:
    if not has_permission(user, "certificate.manage", certificate.department):
        raise NotAllowed(f"只有{certificate.department.name}的审批负责人可以变更该证照的状态")


@transaction.atomic
def certificate_suspend(*, user, certificate: Certificate, reason: str) -> Certificate:
    _require_manager(user, certificate)
    return _certificate_to(certificate, S.SUSPENDED, actor=user, reason=_reason(reason))


@transaction.atomic
def certificate_reinstate(*, user, certificate: Certificate, reason: str) -> Certificate:
    _require_manager(user, certificate)
    return _certificate_to(certificate, S.VALID, actor=user, reason=_reason(reason))


@transaction.atomic
def certificate_revoke(*, user, certificate: Certificate, reason: str) -> Certificate:
    _require_manager(user, certificate)
    return _certificate_to(certificate, S.REVOKED, actor=user, reason=_reason(reason))


@transaction.atomic
def certificate_revoke_for_task(task, reason: str) -> list[Certificate]:
    """The system revokes what a task issued when its result is revoked (a breached 告知承诺, for instance)."""
    reason = _reason(reason)
    revoked = []
    for certificate in Certificate.objects.filter(source_task_id=task.pk).exclude(status=S.REVOKED):
        revoked.append(_certificate_to(certificate, S.REVOKED, actor=None, reason=reason))
    return revoked
