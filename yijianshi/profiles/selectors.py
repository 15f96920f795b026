"""Reading profiles, feeds, the sharing catalogue and the data-subject's read log. Nothing here writes, and nothing
here checks rights: profile_read in services.py is the one way staff see someone's profile (checked and audited);
these selectors serve that service, the person's own pages, and the department's own feed pages."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet

from yijianshi.accounts.identity import IdentityError, parse_credit_code, parse_id_number
from yijianshi.accounts.models import Enterprise, Party, Person, User
from yijianshi.accounts.permissions import departments_with
from yijianshi.accounts.services import InvalidInput, id_number_index
from yijianshi.audit.models import AuditEvent
from yijianshi.catalog.models import DataElement
from yijianshi.privacy import masking
from yijianshi.profiles import domain
from yijianshi.profiles.models import FeedRun, Fact, ProfileElement, Relation, SharingEntry

READ_ACTION = "personal_data.read"
ENTRY_OBJECT_TYPE = "profiles.sharingentry"


# --- Profiles ----------------------------------------------------------------------------------------------------

def _ordered_facts(party, element_codes=None) -> QuerySet[Fact]:
    facts = (Fact.objects.filter(party_id=getattr(party, "pk", party))
             .select_related("element", "source_department", "recorded_by")
             .order_by("element__code", "effective_on", "pk"))
    if element_codes is not None:
        facts = facts.filter(element__code__in=list(element_codes))
    return facts


def profile_current(party, element_codes=None) -> dict[str, Fact]:
    """element code -> the current fact (latest effective date; the later recorded one on the same date). Elements
    without any fact are absent."""
    current: dict[str, Fact] = {}
    for fact in _ordered_facts(party, element_codes):
        current[fact.element.code] = fact  # ordered ascending: the last one seen is the current one
    return current


def profile_values(party, element_codes=None) -> dict[str, object]:
    """element code -> current value, for prefilling a form of the party's own application. Not a read by anyone
    else, so not audited here: a caller showing them to someone other than the party (an agent, staff) must go
    through profile_read or audit the read itself."""
    return {code: fact.data for code, fact in profile_current(party, element_codes).items()}


@dataclass
class ElementHistory:
    """One element of a profile: the current fact and the earlier ones, newest first, each with the fact that
    superseded it (``fact.superseded_by``)."""

    profile_element: ProfileElement
    current: Fact
    earlier: list[Fact] = field(default_factory=list)

    @property
    def display(self) -> str:
        return display_fact(self.current, self.profile_element)


def display_fact(fact: Fact, profile_element: ProfileElement | None) -> str:
    mask = profile_element.mask if profile_element and profile_element.mask else \
        domain.default_mask(fact.element.data_type)
    return domain.display_value(fact.data, mask=mask)


def profile_elements(party_kind: str | None = None) -> QuerySet[ProfileElement]:
    rows = ProfileElement.objects.select_related("element", "element__source_department")
    return rows.filter(party_kind=party_kind) if party_kind else rows


def profile_history(party) -> list[tuple[str, list[ElementHistory]]]:
    """The whole file, by group in the order of profile_elements.yaml: [(group, [ElementHistory, ...]), ...]."""
    by_code: dict[str, list[Fact]] = defaultdict(list)
    for fact in _ordered_facts(party):
        by_code[fact.element.code].append(fact)
    groups: dict[str, list[ElementHistory]] = {}
    for spec in profile_elements(party.party_kind):
        facts = by_code.get(spec.element.code)
        if not facts:
            continue
        for earlier, later in zip(facts, facts[1:]):
            earlier.superseded_by = later
        for fact in facts:
            fact.shown = display_fact(fact, spec)
        groups.setdefault(spec.group, []).append(
            ElementHistory(profile_element=spec, current=facts[-1], earlier=list(reversed(facts[:-1]))))
    return list(groups.items())


def relations_current(person) -> list[Relation]:
    """The person's relatives now: for each (relative, kind) the latest record, unless it ended the relation."""
    latest: dict[tuple[int, str], Relation] = {}
    for relation in (Relation.objects.filter(person_id=getattr(person, "pk", person))
                     .select_related("relative", "source_department").order_by("effective_on", "pk")):
        latest[relation.relative_id, relation.kind] = relation
    return [r for r in latest.values() if not r.ended]


def relation_history(person) -> list[Relation]:
    return list(Relation.objects.filter(person_id=getattr(person, "pk", person))
                .select_related("relative", "source_department").order_by("-effective_on", "-pk"))


def recordable_codes(department, party_kind: str) -> set[str]:
    """The profile elements ``department`` may record for a person or an enterprise: those it is the authoritative
    source of, and those applicants state themselves (no source department). For the case integration: filter a
    completed case's form data by this before profile_record_many."""
    department_id = getattr(department, "pk", department)
    return {spec.element.code for spec in profile_elements(party_kind)
            if spec.element.source_department_id in (None, department_id)}


# --- Subjects ----------------------------------------------------------------------------------------------------

def party_by_identifier(identifier: str, *, field: str = "subject") -> Party | None:
    """The person (by ID number) or enterprise (by unified social credit code) named by ``identifier``; None when
    the platform does not know them. A malformed identifier is InvalidInput naming the field."""
    raw = (identifier or "").strip().upper().replace(" ", "")
    if not raw:
        raise InvalidInput(field, "证件号码：必填（身份证号码或统一社会信用代码）")
    if len(raw) != 18:
        raise InvalidInput(field, "证件号码：应为 18 位身份证号码或统一社会信用代码")
    id_problem = ""
    if domain.looks_like_id_number(raw):
        try:
            value = parse_id_number(raw, field=field).value
        except IdentityError as exc:
            id_problem = exc.message  # an all-digit credit code looks like an ID number too: try that next
        else:
            return Person.objects.filter(id_number_index=id_number_index(value)).first()
    try:
        code = parse_credit_code(raw, field=field)
    except IdentityError as exc:
        raise InvalidInput(field, id_problem or exc.message) from None
    return Enterprise.objects.filter(credit_code=code).first()


# --- Sharing catalogue -------------------------------------------------------------------------------------------

def entries_for(user) -> QuerySet[SharingEntry]:
    """The current catalogue entries of the departments where ``user`` may read profiles."""
    return (SharingEntry.objects.filter(current=True, department_id__in=departments_with(user, "profile.read"))
            .select_related("department").order_by("department__position", "purpose"))


def element_names(codes) -> dict[str, str]:
    return dict(DataElement.objects.filter(code__in=list(codes)).values_list("code", "name"))


# --- Feeds -------------------------------------------------------------------------------------------------------

def feed_runs_for(user) -> QuerySet[FeedRun]:
    """Feed runs of the departments where ``user`` may feed; a run of any other department is not there (404)."""
    return (FeedRun.objects.filter(department_id__in=departments_with(user, "profile.feed"))
            .select_related("department", "submitted_by").defer("content"))


# --- The data subject's read log ---------------------------------------------------------------------------------

ACCOUNT_FIELDS = {"masked": "基本信息（姓名、证件号码、手机号码，已脱敏）", "name": "姓名", "id_number": "完整身份证号码",
                  "mobile": "完整手机号码"}


@dataclass
class ReadRecord:
    at: datetime
    department: str
    reader: str
    fields: list[str]
    purpose: str
    legal_basis: str


def reads_of(party, *, viewer=None) -> QuerySet[AuditEvent]:
    """Every audited read of ``party``'s data by someone else, newest first."""
    events = AuditEvent.objects.filter(subject_party_id=party.pk, action=READ_ACTION).order_by("-seq")
    if viewer is not None:
        events = events.exclude(actor_user_id=viewer.pk)
    return events


def _reader(user: User | None, label: str) -> tuple[str, str]:
    """(unit, masked name) of whoever read: staff by their role grants, systems by their name, agents as such."""
    if user is None:
        return "—", label or "系统"
    grants = list(user.role_grants.all())
    units = sorted({str(g.department or g.service_point) for g in grants if g.department_id or g.service_point_id})
    if user.kind == User.Kind.SYSTEM:
        return ("、".join(units) or "—"), f"{user.first_name}（对接系统）"
    person = getattr(user, "person", None)
    name = masking.mask_name(person.name if person else user.first_name) or "—"
    if user.kind == User.Kind.PUBLIC:
        return "—", f"{name}（受托人，依授权代办）"
    return ("、".join(units) or "—"), name


def describe_reads(events) -> list[ReadRecord]:
    """Page rows for audit events of reads: the unit and masked name of the reader, what was read (in words), why,
    and under which legal basis (for reads under the sharing catalogue, the entry's own)."""
    events = list(events)
    users = {u.pk: u for u in User.objects.filter(pk__in={e.actor_user_id for e in events if e.actor_user_id})
             .select_related("person").prefetch_related("role_grants__department", "role_grants__service_point")}
    entry_ids = {int(e.object_id) for e in events if e.object_type == ENTRY_OBJECT_TYPE and e.object_id.isdigit()}
    entries = {e.pk: e for e in SharingEntry.objects.filter(pk__in=entry_ids).select_related("department")}
    codes = {f for e in events for f in (e.after or {}).get("fields", []) if f not in ACCOUNT_FIELDS}
    names = element_names(codes)
    records = []
    for event in events:
        fields = [ACCOUNT_FIELDS.get(f) or names.get(f, f) for f in (event.after or {}).get("fields", [])]
        department, reader = _reader(users.get(event.actor_user_id), event.actor_label)
        entry = entries.get(int(event.object_id)) if event.object_type == ENTRY_OBJECT_TYPE and \
            event.object_id.isdigit() else None
        if entry is not None:
            records.append(ReadRecord(event.occurred_at, entry.department.name, reader, fields, entry.purpose,
                                      entry.legal_basis))
        else:
            records.append(ReadRecord(event.occurred_at, department, reader, fields, event.reason, "—"))
    return records

