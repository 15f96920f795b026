"""Writes of 一人一档 / 一企一档 and of data sharing: recording facts and family relations, departments' bulk feeds,
reading a profile under the sharing catalogue (共享责任清单), and loading that catalogue.

Rules enforced here, whoever calls:
- 一数一源: a value of an element with an authoritative source department comes only from that department (feeds
  and profile_record alike); elements the applicant states come from whichever department handled the case.
- Facts are appended, never edited; recording the value a profile already holds records nothing.
- Staff see someone's profile only through profile_read: under a current catalogue entry of their own department,
  for that entry's purpose, every element granted, and each read is written to the audit chain.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from yijianshi.accounts.identity import IdentityError, parse_credit_code, parse_id_number, parse_person_name
from yijianshi.accounts.models import Enterprise, Party, Person
from yijianshi.accounts.permissions import NotAllowed, departments_with, require_permission
from yijianshi.accounts.services import InvalidInput, id_number_index, person_ensure
from yijianshi.audit.services import audit_read, audit_record
from yijianshi.catalog.models import DataElement
from yijianshi.db import lock_or_create
from yijianshi.organizations.models import Department
from yijianshi.profiles import domain, selectors
from yijianshi.profiles.datafiles import SharingFiles
from yijianshi.profiles.models import (
    FeedLock,
    FeedRun,
    Fact,
    ProfileElement,
    Relation,
    SharingEntry,
    Source,
)

logger = logging.getLogger(__name__)

FEED_MAX_BYTES = 64 * 1024 * 1024
# A feed up to this size is processed while the officer waits; a larger one is queued for the job consumer and the
# run's page polls its status.
FEED_INLINE_MAX_BYTES = 512 * 1024
MAX_REPORTED_ERRORS = 10_000   # a file with the columns in the wrong order would otherwise report every row
CHUNK = 2000
STALE_RUN_HOURS = 6
KIND_LABELS = dict(Party.Kind.choices)


# --- Elements ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Element:
    id: int
    code: str
    name: str
    party_kind: str
    source_department_id: int | None
    source_department_name: str
    rule: domain.ElementRule


def _elements(codes=None) -> dict[str, _Element]:
    rows = ProfileElement.objects.select_related("element__source_department")
    if codes is not None:
        rows = rows.filter(element__code__in=list(codes))
    return {
        spec.element.code: _Element(
            id=spec.element.pk, code=spec.element.code, name=spec.element.name, party_kind=spec.party_kind,
            source_department_id=spec.element.source_department_id,
            source_department_name=spec.element.source_department.name if spec.element.source_department else "",
            rule=domain.ElementRule(spec.element.code, spec.element.name, spec.element.data_type,
                                    spec.element.validation or {}))
        for spec in rows
    }


def _source_problem(element: _Element, department: Department) -> str:
    """Why ``department`` may not provide this element, or "" (一数一源)."""
    if element.source_department_id is None or element.source_department_id == department.pk:
        return ""
    return (f"{element.name}（{element.code}）的权威来源是{element.source_department_name}，"
            f"{department.name}不能提供（一数一源）")


def _department(value, *, field: str = "source_department") -> Department:
    if isinstance(value, Department):
        return value
    department = Department.objects.filter(code=value).first() if isinstance(value, str) else \
        Department.objects.filter(pk=value).first()
    if department is None:
        raise InvalidInput(field, f"部门：不存在的部门 {value!r}")
    return department


def _common(source: str, evidence: str, recorded_at, effective_on) -> tuple[str, object, date]:
    if source not in Source.values:
        raise InvalidInput("source", "来源方式：应为 feed、case、certificate、registration 之一")
    evidence = (evidence or "").strip()
    if len(evidence) > 100:
        raise InvalidInput("evidence", "凭证：不能超过 100 个字符")
    recorded_at = recorded_at or timezone.now()
    effective_on = effective_on or timezone.localdate(recorded_at)
    if effective_on > timezone.localdate():
        raise InvalidInput("effective_on", "生效日期：不能晚于今天")
    return evidence, recorded_at, effective_on


# --- Recording facts -------------------------------------------------------------------------------------------------

@transaction.atomic
def profile_record_many(*, party: Party, values: dict, source_department, source: str, evidence: str = "",
                        actor=None, recorded_at=None, effective_on: date | None = None) -> list[Fact]:
    """Record several values of one person's or enterprise's profile from one source (a completed case, a certificate
    issued). All are checked first; one bad value records nothing (InvalidInput naming the element). A value equal to
    what the profile holds at that effective date records nothing. Returns the facts recorded.

    ``actor`` is who caused it (for the record), not checked: callers are services that checked their own rights.
    ``effective_on`` defaults to the day of recording."""
    department = _department(source_department)
    evidence, recorded_at, effective_on = _common(source, evidence, recorded_at, effective_on)
    if not values:
        return []
    elements = _elements(values.keys())
    cleaned: dict[str, str] = {}
    for code, raw in values.items():
        element = elements.get(code)
        if element is None:
            raise InvalidInput(code, f"数据元：{code} 不是一人一档/一企一档的数据项")
        if element.party_kind != party.party_kind:
            raise InvalidInput(code, f"{element.name}：属于{KIND_LABELS[element.party_kind]}档案，"
                                     f"不能记入{KIND_LABELS[party.party_kind]}档案")
        if problem := _source_problem(element, department):
            raise InvalidInput(code, problem)
        clean, problem = domain.check_value(element.rule, raw)
        if problem:
            raise InvalidInput(code, problem)
        cleaned[code] = domain.encode_value(clean)
    Party.objects.select_for_update().filter(pk=party.pk).first()  # one writer per file at a time
    created = []
    for code, encoded in cleaned.items():
        element = elements[code]
        previous = (Fact.objects.filter(party_id=party.pk, element_id=element.id, effective_on__lte=effective_on)
                    .order_by("-effective_on", "-pk").first())
        if previous is not None and previous.value == encoded:
            continue
        created.append(Fact.objects.create(
            party_id=party.pk, element_id=element.id, value=encoded, source_department=department, source=source,
            evidence=evidence, effective_on=effective_on, recorded_at=recorded_at,
            recorded_by=actor if actor is not None and actor.is_authenticated else None))
    if created:
        # The values themselves stay out of the audit record (they may be personal); the facts hold them.
        audit_record(action="profile.record", object_type="accounts.party", object_id=party.pk, actor=actor,
                     subject=party, reason=f"{Source(source).label}{('：' + evidence) if evidence else ''}",
                     after={"elements": sorted(f.element.code for f in created), "source_department": department.code,
                            "effective_on": effective_on, "facts": [f.pk for f in created]})
    return created


def profile_record(*, party: Party, element_code: str, value, source_department, source: str, evidence: str = "",
                   actor=None, recorded_at=None, effective_on: date | None = None) -> Fact | None:
    """Record one value; the new fact, or None when the profile already holds that value (nothing recorded)."""
    created = profile_record_many(party=party, values={element_code: value}, source_department=source_department,
                                  source=source, evidence=evidence, actor=actor, recorded_at=recorded_at,
                                  effective_on=effective_on)
    return created[0] if created else None


@transaction.atomic
def relation_record(*, person: Person, relative: Person, kind: str, source_department, source: str,
                    evidence: str = "", actor=None, ended: bool = False, recorded_at=None,
                    effective_on: date | None = None) -> list[Relation]:
    """Record that ``relative`` is ``person``'s child, parent or spouse (or, with ``ended``, that the relation
    ended: a divorce). The inverse goes into the relative's file at the same time (a birth puts the child in each
    parent's file and the parents in the child's). Unchanged relations record nothing; returns the records made."""
    department = _department(source_department)
    evidence, recorded_at, effective_on = _common(source, evidence, recorded_at, effective_on)
    if kind not in Relation.Kind.values:
        raise InvalidInput("kind", "关系：应为 child（子女）、parent（父母）或 spouse（配偶）")
    if not isinstance(person, Person) or not isinstance(relative, Person):
        raise InvalidInput("relative", "亲属：家庭关系只能登记在自然人之间")
    if person.pk == relative.pk:
        raise InvalidInput("relative", "亲属：不能与本人登记关系")
    older, younger = (person, relative) if kind == Relation.Kind.CHILD else (relative, person)
    if kind != Relation.Kind.SPOUSE and younger.birth_date <= older.birth_date:
        raise InvalidInput("relative", "亲属：子女的出生日期应晚于父母")
    for pk in sorted((person.pk, relative.pk)):  # a fixed order, so two recorders never wait on each other
        Party.objects.select_for_update().filter(pk=pk).first()
    made = []
    for owner, other, this_kind in ((person, relative, kind), (relative, person, Relation.INVERSE[kind])):
        latest = (Relation.objects.filter(person=owner, relative=other, kind=this_kind)
                  .order_by("-effective_on", "-pk").first())
        if (latest is None and ended) or (latest is not None and latest.ended == ended):
            continue
        relation = Relation.objects.create(
            person=owner, relative=other, kind=this_kind, ended=ended, source_department=department, source=source,
            evidence=evidence, effective_on=effective_on, recorded_at=recorded_at,
            recorded_by=actor if actor is not None and actor.is_authenticated else None)
        audit_record(action="profile.relation_end" if ended else "profile.relation_record",
                     object_type="profiles.relation", object_id=relation.pk, actor=actor, subject=owner,
                     reason=f"{Source(source).label}{('：' + evidence) if evidence else ''}",
                     after={"kind": this_kind, "relative": other.masked_name, "ended": ended,
                            "source_department": department.code, "effective_on": effective_on})
        made.append(relation)
    if ended and not made:
        raise InvalidInput("kind", "关系：没有可终止的有效关系")
    return made


# --- Reading under the sharing catalogue ----------------------------------------------------------------------------

def read_reason(entry: SharingEntry) -> str:
    """What the audit chain says about a read under ``entry``: purpose, department, entry and legal basis."""
    return (f"{entry.purpose}（{entry.department.name}，共享责任清单 {entry.code} 第 {entry.version} 版；"
            f"依据：{entry.legal_basis}）")


def profile_read(*, user, party: Party, element_codes, purpose: str) -> dict[str, Fact | None]:
    """The current values of ``element_codes`` of ``party``'s profile for a staff member or a department's system.

    Allowed only when, for every element, a current catalogue entry of one of the user's departments (where they
    hold profile.read) grants it for exactly this ``purpose``; otherwise NotAllowed naming the element(s) refused,
    and nothing is read. Every allowed read is audited (one event per entry used, with the entry and its legal
    basis), including a read that finds no value. Returns code -> current fact, or None where there is none."""
    departments = departments_with(user, "profile.read")
    if not departments:
        raise NotAllowed("您的角色不能查阅档案数据")
    purpose = (purpose or "").strip()
    if not purpose:
        raise InvalidInput("purpose", "用途：必填，请从本部门共享责任清单的用途中选择")
    codes = list(dict.fromkeys(c.strip() for c in element_codes or [] if isinstance(c, str) and c.strip()))
    if not codes:
        raise InvalidInput("elements", "数据元：请至少列出一项")
    entries = list(SharingEntry.objects.filter(current=True, department_id__in=departments, purpose=purpose)
                   .select_related("department").order_by("pk"))
    if not entries:
        raise NotAllowed(f"用途“{purpose}”不在本部门的共享责任清单中，不能查阅档案")
    fitting = [e for e in entries if e.party_kind == party.party_kind]
    if not fitting:
        raise NotAllowed(f"用途“{purpose}”适用于{KIND_LABELS[entries[0].party_kind]}档案，"
                         f"不能用于查阅{KIND_LABELS[party.party_kind]}档案")
    grants: dict[str, SharingEntry] = {}
    for entry in fitting:
        for code in entry.element_codes:
            grants.setdefault(code, entry)
    refused = [code for code in codes if code not in grants]
    if refused:
        names = selectors.element_names(refused)
        listed = "、".join(f"{names.get(c, c)}（{c}）" if c in names else c for c in refused)
        raise NotAllowed(f"共享责任清单未授权本部门为“{purpose}”查阅：{listed}。本次未读取任何数据")
    facts = selectors.profile_current(party, codes)
    by_entry: dict[int, list[str]] = defaultdict(list)
    for code in codes:
        by_entry[grants[code].pk].append(code)
    with transaction.atomic():
        for entry in fitting:
            if entry.pk in by_entry:
                audit_read(actor=user, subject=party, fields=by_entry[entry.pk], purpose=read_reason(entry),
                           object_type=selectors.ENTRY_OBJECT_TYPE, object_id=entry.pk)
    return {code: facts.get(code) for code in codes}


# --- The sharing catalogue ------------------------------------------------------------------------------------------

@dataclass
class LoadReport:
    lines: list[str] = field(default_factory=list)
    changed: bool = False


def _entry_content(department_code, party_kind, purpose, codes, legal_basis, needs_confirmation, note) -> tuple:
    return (department_code, party_kind, purpose, tuple(codes), legal_basis, needs_confirmation, note)


@transaction.atomic
def sharing_catalogue_load(files: SharingFiles, *, actor=None) -> LoadReport:
    """Make the database say what the checked files say: profile elements upserted (and dropped when no longer
    listed); a new or changed catalogue entry becomes a new current version, the old version is kept but no longer
    current, an entry gone from the file is withdrawn. Idempotent. Audited when anything changed."""
    report = LoadReport()
    elements = {e.code: e for e in DataElement.objects.filter(code__in={s.code for s in files.profile_elements})}
    existing = {p.element.code: p for p in ProfileElement.objects.select_related("element")}
    listed = set()
    for spec in files.profile_elements:
        listed.add(spec.code)
        row = existing.get(spec.code)
        wanted = dict(party_kind=spec.party_kind, group=spec.group, mask=spec.mask, position=spec.position)
        if row is not None and row.party_kind != spec.party_kind and \
                Fact.objects.filter(element=row.element).exists():
            raise InvalidInput("profile_elements", f"profile_elements.yaml {spec.code}: 已有档案记录，不能改为另一类档案")
        if row is None:
            ProfileElement.objects.create(element=elements[spec.code], **wanted)
            report.lines.append(f"档案数据项 新增 {spec.code}")
        elif any(getattr(row, k) != v for k, v in wanted.items()):
            for k, v in wanted.items():
                setattr(row, k, v)
            row.save()
            report.lines.append(f"档案数据项 更新 {spec.code}")
    dropped = sorted(set(existing) - listed)
    if dropped:
        ProfileElement.objects.filter(element__code__in=dropped).delete()
        report.lines.append(f"档案数据项 移除 {'、'.join(dropped)}（已有记录保留，不再显示和共享）")

    departments = {d.code: d for d in Department.objects.all()}
    current = {e.code: e for e in SharingEntry.objects.filter(current=True).select_related("department")}
    added, changed, withdrawn = [], [], []
    for spec in files.entries:
        wanted = _entry_content(spec.department, spec.party_kind, spec.purpose, spec.element_codes,
                                spec.legal_basis, spec.needs_confirmation, spec.note)
        old = current.get(spec.code)
        if old is not None:
            have = _entry_content(old.department.code, old.party_kind, old.purpose, old.element_codes,
                                  old.legal_basis, old.needs_confirmation, old.note)
            if have == wanted:
                continue
            SharingEntry.objects.filter(pk=old.pk).update(current=False)
        version = (SharingEntry.objects.filter(code=spec.code).order_by("-version")
                   .values_list("version", flat=True).first() or 0) + 1
        SharingEntry.objects.create(
            code=spec.code, version=version, department=departments[spec.department], party_kind=spec.party_kind,
            purpose=spec.purpose, element_codes=list(spec.element_codes), legal_basis=spec.legal_basis,
            needs_confirmation=spec.needs_confirmation, note=spec.note)
        (changed if old else added).append(f"{spec.code} v{version}")
    for code in sorted(set(current) - {s.code for s in files.entries}):
        SharingEntry.objects.filter(pk=current[code].pk).update(current=False)
        withdrawn.append(code)
    for label, items in (("新增", added), ("修改", changed), ("停用", withdrawn)):
        if items:
            report.lines.append(f"共享责任清单 {label} {len(items)} 条：{'、'.join(items)}")
    report.changed = bool(report.lines)
    if report.changed:
        audit_record(action="sharing_catalogue.load", object_type="profiles.sharingentry", actor=actor,
                     after={"added": added, "changed": changed, "withdrawn": withdrawn,
                            "profile_elements": len(files.profile_elements)})
    return report


# --- Feeds ----------------------------------------------------------------------------------------------------------

def feed_apply(*, user, department, file_name: str, content: bytes, format: str = "",
               apply_valid_only: bool = False) -> FeedRun:
    """A department officer delivers a file of values their department is the authoritative source of.

    Every row is checked first. With any bad row nothing is applied (status rejected, the report lists each bad row
    with its line and reason) unless ``apply_valid_only`` was chosen, when the good rows are applied and the bad ones
    reported (partial). The same content delivered again by the same department is recognised by its SHA-256 and
    applies nothing (duplicate). A file over FEED_INLINE_MAX_BYTES is queued (status queued) and processed by the job
    consumer; a smaller one is processed before this returns."""
    department = _department(department, field="department")
    require_permission(user, "profile.feed", department,
                       message=f"您不是{department.name}的工作人员，不能提供该部门的共享数据")
    return _feed_submit(actor=user, department=department, file_name=file_name, content=content, fmt=format,
                        apply_valid_only=apply_valid_only)


def feed_import(*, department, file_name: str, content: bytes, format: str = "",
                apply_valid_only: bool = False) -> FeedRun:
    """The same from the server's command line (`manage.py import_feed`, seed_demo): whoever may run manage.py acts
    as the platform itself, recorded as 系统. Always processed at once."""
    department = _department(department, field="department")
    return _feed_submit(actor=None, department=department, file_name=file_name, content=content, fmt=format,
                        apply_valid_only=apply_valid_only, inline=True)


def _format_of(file_name: str, fmt: str) -> str:
    fmt = (fmt or "").strip().lower()
    if not fmt:
        fmt = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if fmt not in FeedRun.Format.values:
        raise InvalidInput("format", "文件格式：只支持 CSV 或 JSON（按扩展名 .csv、.json 识别，或明确选择）")
    return fmt


def _feed_submit(*, actor, department: Department, file_name: str, content: bytes, fmt: str,
                 apply_valid_only: bool, inline: bool = False) -> FeedRun:
    file_name = (file_name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200]
    fmt = _format_of(file_name, fmt)
    if not content:
        raise InvalidInput("file", "文件：文件是空的")
    if len(content) > FEED_MAX_BYTES:
        raise InvalidInput("file", f"文件：不能超过 {FEED_MAX_BYTES // 1024 // 1024} MB，请分批提供")
    is_user = actor is not None and actor.is_authenticated
    run = FeedRun.objects.create(
        department=department, file_name=file_name or f"feed.{fmt}", format=fmt,
        sha256=hashlib.sha256(content).hexdigest(), size_bytes=len(content), apply_valid_only=apply_valid_only,
        submitted_by=actor if is_user else None)
    try:
        text = domain.decode(content)
    except domain.FeedFormatError as exc:
        return _finish(run, FeedRun.Status.REJECTED, problem=exc.message)
    if inline or len(content) <= FEED_INLINE_MAX_BYTES:
        return _process(run, text)
    from yijianshi.profiles.tasks import feed_process_job

    FeedRun.objects.filter(pk=run.pk).update(content=text)  # encrypted at rest until processed, then emptied
    # After the run is committed, so the consumer finds it (at once when there is no transaction around us).
    transaction.on_commit(lambda: feed_process_job(run.pk))
    return run


def feed_process(run_id: int) -> FeedRun | None:
    """Process a queued feed (the job consumer calls this). Safe to call again: a finished run is left as it is."""
    run = FeedRun.objects.filter(pk=run_id).select_related("department", "submitted_by").first()
    if run is None or run.finished:
        return run
    return _process(run, run.content)


def _applied_before(run: FeedRun) -> FeedRun | None:
    return (FeedRun.objects.filter(department_id=run.department_id, sha256=run.sha256,
                                   status__in=[FeedRun.Status.APPLIED, FeedRun.Status.PARTIAL])
            .exclude(pk=run.pk).order_by("pk").first())


def _process(run: FeedRun, text: str) -> FeedRun:
    run.started_at = timezone.now()
    FeedRun.objects.filter(pk=run.pk).update(status=FeedRun.Status.RUNNING, started_at=run.started_at)
    created = 0
    try:
        earlier = _applied_before(run)
        if earlier is not None:
            return _finish(run, FeedRun.Status.DUPLICATE, replay_of=earlier)
        checked = _check_feed(run, text)
        if checked.invalid and not run.apply_valid_only:
            return _finish(run, FeedRun.Status.REJECTED, checked=checked)
        ids, created = _register_people(run, checked)
        with transaction.atomic():
            lock_or_create(FeedLock, pk=1)  # one feed at a time: the replay check below cannot race
            earlier = _applied_before(run)
            if earlier is not None:
                return _finish(run, FeedRun.Status.DUPLICATE, replay_of=earlier, checked=checked,
                               persons_created=created)
            counts = _apply(run, checked, ids)
            status = FeedRun.Status.PARTIAL if checked.invalid else FeedRun.Status.APPLIED
            return _finish(run, status, checked=checked, persons_created=created, **counts)
    except domain.FeedFormatError as exc:
        return _finish(run, FeedRun.Status.REJECTED, problem=exc.message)
    except InvalidInput as exc:  # the platform changed between checking and applying (someone registered meanwhile)
        return _finish(run, FeedRun.Status.FAILED, persons_created=created,
                       problem=f"处理失败，未导入任何档案数据：{exc.message}。请核对后重新提交。")
    except Exception:  # noqa: BLE001 - the officer gets a status and a message; the engineers get the traceback
        logger.exception("共享数据导入失败（批次 %s）", run.pk)
        return _finish(run, FeedRun.Status.FAILED, persons_created=created,
                       problem="处理失败：系统错误，未导入任何档案数据。请稍后重新提交；如仍失败请联系系统管理员。")


@dataclass
class _Checked:
    total: int = 0
    invalid: int = 0
    errors: list[dict] = field(default_factory=list)
    # (party key, element id, effective date, line, encoded value); party key ("p"|"e", pk) or ("n", id index)
    rows: list[tuple] = field(default_factory=list)
    new_persons: dict[str, tuple[str, str]] = field(default_factory=dict)  # id index -> (name, ID number)


@dataclass
class _Pending:
    row: domain.FeedRow
    problems: list[str]
    element: _Element | None = None
    effective_on: date | None = None
    encoded: str = ""
    kind: str = ""          # person / enterprise
    key: str = ""           # ID-number blind index, or credit code
    id_number: str = ""
    name: str = ""


def _check_feed(run: FeedRun, text: str) -> _Checked:
    """Every row checked: shape, element (一数一源), value, effective date, subject, and the subject against the
    platform (a known person's name must match; an enterprise must be registered). Nothing is written."""
    department = run.department
    elements = _elements()
    today = timezone.localdate()
    checked = _Checked()
    subjects: dict[str, tuple[str, str, str]] = {}  # raw subject -> (kind-specific value, key, problem)
    seen: dict[tuple, tuple[int, str]] = {}         # (key, element, date) -> (line, value): contradictions
    new_names: dict[str, tuple[str, int]] = {}      # unknown person's key -> (name, first line)
    batch: list[_Pending] = []
    for row in domain.parse_feed(text, run.format):
        checked.total += 1
        batch.append(_check_row(row, elements, department, today, subjects))
        if len(batch) >= CHUNK:
            _resolve(batch, checked, seen, new_names)
            batch = []
    _resolve(batch, checked, seen, new_names)
    if checked.total == 0:
        raise domain.FeedFormatError("文件中没有数据行")
    return checked


def _subject(raw: str, kind: str, cache: dict) -> tuple[str, str, str]:
    """(normalised value, look-up key, problem) of a subject, memoised: a person is usually in many rows."""
    hit = cache.get((kind, raw))
    if hit is None:
        try:
            if kind == Party.Kind.PERSON:
                value = parse_id_number(raw, field="subject").value
                hit = (value, id_number_index(value), "")
            else:
                value = parse_credit_code(raw, field="subject")
                hit = (value, value, "")
        except IdentityError as exc:
            hit = ("", "", exc.message)
        cache[kind, raw] = hit
    return hit


def _check_row(row: domain.FeedRow, elements: dict[str, _Element], department: Department, today: date,
               subjects: dict) -> _Pending:
    pending = _Pending(row=row, problems=[])
    problems = pending.problems
    if not row.element:
        problems.append("数据元：必填")
    elif (element := elements.get(row.element)) is None:
        problems.append(f"数据元：{row.element} 不存在或不属于一人一档/一企一档")
    elif element.source_department_id is None:
        problems.append(f"数据元：{element.name}（{element.code}）由申请人填报，不能由部门批量提供")
    elif problem := _source_problem(element, department):
        problems.append(f"数据元：{problem}")
    else:
        pending.element = element
    if pending.element is not None:
        rule = pending.element.rule
        if rule.data_type == "id_number" and isinstance(row.value, str) and row.value:
            # The same memoised check as subjects (a 社会保障号码 is usually the row's own ID number): the region
            # look-up of an ID number check is the costliest step of a feed.
            value, _key, problem = _subject(row.value.replace(" ", "").upper(), Party.Kind.PERSON, subjects)
            clean, problem = value, (f"{rule.name}：{problem.split('：', 1)[-1]}" if problem else "")
        else:
            clean, problem = domain.check_value(rule, row.value)
        if problem:
            problems.append(problem)
        else:
            pending.encoded = domain.encode_value(clean)
    pending.effective_on, problem = domain.check_effective_date(row.effective_date, today=today)
    if problem:
        problems.append(problem)
    if not row.subject:
        problems.append("主体标识：必填（身份证号码或统一社会信用代码）")
        return pending
    kind = pending.element.party_kind if pending.element else (
        Party.Kind.PERSON if domain.looks_like_id_number(row.subject) else Party.Kind.ENTERPRISE)
    pending.kind = kind
    subject = row.subject.replace(" ", "").upper()
    value, key, problem = _subject(subject, kind, subjects)
    if problem:
        if pending.element is not None and domain.looks_like_id_number(subject) != (kind == Party.Kind.PERSON):
            wanted = "身份证号码" if kind == Party.Kind.PERSON else "统一社会信用代码"
            problem = f"主体标识：{pending.element.name}属于{KIND_LABELS[kind]}档案，主体应为{wanted}"
        problems.append(problem)
        return pending
    pending.key = key
    if kind == Party.Kind.PERSON:
        pending.id_number = value
        if not row.name:
            problems.append("姓名：必填（自然人须填写姓名，用于核对身份）")
        else:
            try:
                pending.name = parse_person_name(row.name)
            except IdentityError as exc:
                problems.append(exc.message)
    return pending


def _resolve(batch: list[_Pending], checked: _Checked, seen: dict, new_names: dict) -> None:
    """Look a batch's subjects up on the platform, then keep its good rows and report its bad ones."""
    person_keys = {p.key for p in batch if p.kind == Party.Kind.PERSON and p.key}
    credit_codes = {p.key for p in batch if p.kind == Party.Kind.ENTERPRISE and p.key}
    persons = {index: (pk, name) for index, pk, name in
               Person.objects.filter(id_number_index__in=person_keys).values_list("id_number_index", "pk", "name")}
    enterprises = dict(Enterprise.objects.filter(credit_code__in=credit_codes).values_list("credit_code", "pk"))
    for pending in batch:
        problems, row = pending.problems, pending.row
        party_key = None
        if pending.key and pending.kind == Party.Kind.PERSON and pending.name:
            known = persons.get(pending.key)
            if known is not None:
                if known[1] != pending.name:
                    problems.append("姓名：与平台登记的该身份证号码的姓名不一致，请核对")
                party_key = ("p", known[0])
            else:
                first = new_names.setdefault(pending.key, (pending.name, row.line))
                if first[0] != pending.name:
                    problems.append(f"姓名：与第 {first[1]} 行同一身份证号码的姓名不一致")
                party_key = ("n", pending.key)
        elif pending.key and pending.kind == Party.Kind.ENTERPRISE:
            pk = enterprises.get(pending.key)
            if pk is None:
                problems.append("统一社会信用代码：平台上尚无该企业（企业须先由法定代表人在平台注册）")
            party_key = ("e", pk)
        if not problems and pending.element is not None:
            identity = (pending.key, pending.element.code, pending.effective_on)
            earlier = seen.setdefault(identity, (row.line, pending.encoded))
            if earlier[1] != pending.encoded:
                problems.append(f"与第 {earlier[0]} 行矛盾：同一主体、同一数据元、同一生效日期给出了不同的值")
        if problems:
            checked.invalid += 1
            if len(checked.errors) < MAX_REPORTED_ERRORS:
                checked.errors.append({"line": row.line, "subject": domain.mask_subject(row.subject),
                                       "element": row.element[:64], "message": "；".join(problems)})
            continue
        if party_key[0] == "n":
            checked.new_persons.setdefault(pending.key, (pending.name, pending.id_number))
        checked.rows.append((party_key, pending.element.id, pending.effective_on, row.line, pending.encoded))


PEOPLE_BATCH = 500


def _register_people(run: FeedRun, checked: _Checked) -> tuple[dict[str, int], int]:
    """Create, through accounts.services.person_ensure, the people the feed's good rows name and the platform does
    not know yet: id index -> person id, and how many were new. In batches, each its own short transaction under
    the feed lock, so a first delivery of tens of thousands of people never holds the audit chain (which every
    audited write of the platform waits for) for long. Only after every row was checked and the feed is to be
    applied; a person registered this way stays if the facts then fail to apply (they are who the source
    department says they are, and a resubmission finds them)."""
    wanted = list(dict.fromkeys(r[0][1] for r in checked.rows if r[0][0] == "n"))
    ids: dict[str, int] = {}
    created = 0
    reason = f"{run.department.name}共享数据导入（批次 {run.pk}）"
    for start in range(0, len(wanted), PEOPLE_BATCH):
        batch = wanted[start:start + PEOPLE_BATCH]
        with transaction.atomic():
            lock_or_create(FeedLock, pk=1)
            known = dict(Person.objects.filter(id_number_index__in=batch).values_list("id_number_index", "pk"))
            for key in batch:
                # Someone registered meanwhile (signed up, another feed) is found by person_ensure, which also
                # refuses a name that does not match theirs.
                name, id_number = checked.new_persons[key]
                ids[key] = person_ensure(name=name, id_number=id_number, actor=run.submitted_by, reason=reason).pk
                created += key not in known
    return ids, created


def _apply(run: FeedRun, checked: _Checked, ids: dict[str, int]) -> dict[str, int]:
    """Write the good rows as facts (the caller holds the feed lock in a transaction), in chunks of people."""
    rows = sorted((ids[key] if kind == "n" else key, *rest) for (kind, key), *rest in checked.rows)
    counts = {"facts_created": 0, "facts_unchanged": 0}
    for start in range(0, len(rows), CHUNK):
        _write(run, rows[start:start + CHUNK], counts)
    return counts


def _write(run: FeedRun, rows: list[tuple], counts: dict[str, int]) -> None:
    """rows: (party id, element id, effective date, line, encoded value), sorted. A row equal to the value the
    profile holds at its effective date (already, or from an earlier row of this feed) records nothing."""
    history: dict[tuple[int, int], tuple[list, list]] = defaultdict(lambda: ([], []))
    stored = (Fact.objects.filter(party_id__in={r[0] for r in rows}, element_id__in={r[1] for r in rows})
              .order_by("party_id", "element_id", "effective_on", "pk")
              .values_list("party_id", "element_id", "effective_on", "value"))
    for party_id, element_id, effective_on, value in stored:
        dates, values = history[party_id, element_id]
        dates.append(effective_on)
        values.append(value)
    now = timezone.now()
    evidence = f"{run.file_name}"[:100]
    new = []
    for party_id, element_id, effective_on, _line, encoded in rows:
        dates, values = history[party_id, element_id]
        at = bisect.bisect_right(dates, effective_on)
        if at and values[at - 1] == encoded:
            counts["facts_unchanged"] += 1
            continue
        dates.insert(at, effective_on)
        values.insert(at, encoded)
        new.append(Fact(party_id=party_id, element_id=element_id, value=encoded, source_department_id=run.department_id,
                        source=Source.FEED, evidence=evidence, effective_on=effective_on, recorded_at=now,
                        recorded_by=run.submitted_by, feed_run=run))
    Fact.objects.bulk_create(new, batch_size=1000)
    counts["facts_created"] += len(new)


def _finish(run: FeedRun, status: str, *, checked: _Checked | None = None, problem: str = "",
            replay_of: FeedRun | None = None, facts_created: int = 0, facts_unchanged: int = 0,
            persons_created: int = 0) -> FeedRun:
    with transaction.atomic():
        run.status = status
        run.finished_at = timezone.now()
        run.started_at = run.started_at or run.finished_at
        run.content = ""
        run.problem = problem
        run.replay_of = replay_of
        run.facts_created, run.facts_unchanged, run.persons_created = facts_created, facts_unchanged, persons_created
        if checked is not None:
            run.rows_total, run.rows_invalid, run.errors = checked.total, checked.invalid, checked.errors
        run.save()
        audit_record(action=f"profile.feed_{status}", object_type="profiles.feedrun", object_id=run.pk,
                     actor=run.submitted_by, reason=f"{run.department.name}共享数据：{run.file_name}",
                     after={"sha256": run.sha256, "rows": run.rows_total, "rows_invalid": run.rows_invalid,
                            "facts_created": facts_created, "facts_unchanged": facts_unchanged,
                            "persons_created": persons_created, "apply_valid_only": run.apply_valid_only,
                            "replay_of": replay_of.pk if replay_of else None})
    return run


def feed_stale_sweep() -> int:
    """Runs left "processing" by a consumer that died are marked failed (nothing of theirs was committed: a feed is
    applied in one transaction), so the officer knows to submit again."""
    cutoff = timezone.now() - timedelta(hours=STALE_RUN_HOURS)
    stale = list(FeedRun.objects.filter(status=FeedRun.Status.RUNNING, started_at__lt=cutoff)
                 .select_related("department", "submitted_by"))
    for run in stale:
        _finish(run, FeedRun.Status.FAILED, problem="处理中断（处理程序意外停止），未导入任何数据。请重新提交。")
    return len(stale)
