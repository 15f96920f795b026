"""Reading 免申即享 / 即申即享: the dictionary and published versions as the engine sees them, subjects' values for
the batch and the interpreter, a subject's matches (matches_for, also for the 专属服务空间 page), the department's
payment queue. Nothing here writes."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from functools import lru_cache

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from yijianshi.accounts.models import Enterprise, Party, Person, User
from yijianshi.accounts.permissions import NotAllowed, departments_with
from yijianshi.accounts.selectors import own_party
from yijianshi.catalog.models import DataElement
from yijianshi.organizations.models import Department
from yijianshi.policies.domain.compiler import profiles_frame
from yijianshi.policies.domain.interpreter import explain, question_for
from yijianshi.policies.domain.policy import LEVELS, parse_policy
from yijianshi.policies.domain.rules import conditions, elements_from_records, elements_used
from yijianshi.policies.models import Grant, Match, MatchingPreference, PolicyVersion
from yijianshi.profiles.models import Fact

# Identity lives in the account records, not in profile facts (see data/sharing/profile_elements.yaml).
GENDERS = {"male": "男", "female": "女"}
IDENTITY = {"person.birth_date", "person.gender", "person.id_number"}


# --- the dictionary and the versions ----------------------------------------------------------------------------------

def dictionary():
    return elements_from_records({"code": e.code, "name": e.name, "type": e.data_type, "validation": e.validation}
                                 for e in DataElement.objects.all())


def department_codes() -> set[str]:
    return set(Department.objects.values_list("code", flat=True))


@lru_cache(maxsize=512)
def _parsed(pk: int, digest: str):
    version = PolicyVersion.objects.get(pk=pk)
    return parse_policy(version.content, dictionary())


def parsed_version(version: PolicyVersion):
    """The engine's policy of a stored version; cached by content (a version's content never changes once
    published, and a draft's hash changes with it)."""
    return _parsed(version.pk, version.content_hash)


def versions_in_force(on: date) -> list[tuple[PolicyVersion, object]]:
    rows = (PolicyVersion.objects.filter(status=PolicyVersion.Status.PUBLISHED, effective_from__lte=on)
            .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on)).select_related("policy"))
    return [(v, parsed_version(v)) for v in rows]


def questions_by_element(parsed, on: date) -> dict[str, str]:
    values = parsed.parameters.at(on)
    asks: dict[str, str] = {}
    for condition in conditions(parsed.rule):
        asks.setdefault(condition.element, question_for(condition, values))
    return asks


# --- subjects' values -------------------------------------------------------------------------------------------------

def _values(party_filter: Q, codes) -> dict[int, dict]:
    codes = set(codes)
    out: dict[int, dict] = defaultdict(dict)
    fact_codes = codes - IDENTITY
    if fact_codes:
        facts = (Fact.objects.filter(party_filter, element__code__in=fact_codes)
                 .order_by("party_id", "element_id", "effective_on", "pk")
                 .values_list("party_id", "element__code", "value"))
        for party_id, code, value in facts:
            out[party_id][code] = json.loads(value)  # ascending: the last one seen is the current one
    if codes & IDENTITY:
        people = Person.objects.filter(Q(pk__in=Party.objects.filter(party_filter).values("pk")))
        fields = ["pk", "birth_date", "gender", *(["id_number"] if "person.id_number" in codes else [])]
        for person in people.only(*fields):
            identity = {"person.birth_date": person.birth_date, "person.gender": GENDERS.get(person.gender)}
            if "person.id_number" in codes:
                identity["person.id_number"] = person.id_number
            out[person.pk].update({k: v for k, v in identity.items() if k in codes})
    return out


def subject_values(party, codes) -> dict:
    """element code -> current value of one subject, identity included, as the engine reads them."""
    party_id = getattr(party, "pk", party)
    return dict(subject_values_many([party_id], codes).get(party_id, {}))


def subject_values_many(party_ids, codes) -> dict[int, dict]:
    ids = list(party_ids)
    out = _values(Q(party_id__in=ids), set(codes) - IDENTITY) if set(codes) - IDENTITY else defaultdict(dict)
    if set(codes) & IDENTITY:
        for pid, values in _values(Q(pk__in=ids), set(codes) & IDENTITY).items():
            out[pid].update(values)
    return out


def opted_out_ids() -> QuerySet:
    return MatchingPreference.objects.filter(opted_out=True).values("party_id")


def subjects_frame(target: str, codes):
    """Every subject of ``target`` (person / enterprise) that has not opted out, with its current values of
    ``codes``, as the typed frame the compiled rules evaluate."""
    ids = list(Party.objects.filter(party_kind=target).exclude(pk__in=opted_out_ids()).values_list("pk", flat=True))
    values = subject_values_many(ids, codes)
    rows = [{"subject_id": pid, **values.get(pid, {})} for pid in ids]
    return profiles_frame(rows, dictionary(), list(codes))


# --- who acts for whom ------------------------------------------------------------------------------------------------

def subject_of(user, acting) -> Party | None:
    """Whose policies the user sees and decides: their own, or the enterprise they act for as its legal
    representative or mandate administrator. An agent acting for another person is refused: a benefit is the
    person's own to accept. None when the account has no person (staff, systems)."""
    person = getattr(user, "person", None) if user is not None and user.is_authenticated else None
    if person is None:
        return None
    principal = acting.principal if acting else person
    if (party := own_party(person, principal)) is not None:
        return party
    raise NotAllowed("惠企利民政策只能由本人（企业由法定代表人或授权管理员）查看和确认；请先切换回本人办理。")


def users_acting_for(party: Party) -> list[User]:
    if party.party_kind == Party.Kind.PERSON:
        return list(User.objects.filter(person__pk=party.pk))
    enterprise = Enterprise.objects.get(pk=party.pk)
    return list(User.objects.filter(Q(person__pk=enterprise.legal_representative_id)
                                    | Q(person__administered_enterprises=enterprise)).distinct())


def is_opted_out(party) -> bool:
    return MatchingPreference.objects.filter(party_id=getattr(party, "pk", party), opted_out=True).exists()


# --- a subject's matches ----------------------------------------------------------------------------------------------

def _matches(party) -> QuerySet[Match]:
    return (Match.objects.filter(party_id=getattr(party, "pk", party))
            .select_related("version", "policy__department", "grant"))


def match_of(party, pk: int) -> Match | None:
    return _matches(party).filter(pk=pk).first()


def application_draft(match: Match) -> list[dict]:
    """即申即享: the application's fields (the rule's data elements) with what the profile knows filled in; the rest
    are the subject's to complete, each with the interpreter's question."""
    parsed = parsed_version(match.version)
    codes = sorted(elements_used(parsed.rule))
    values = subject_values(match.party_id, codes)
    asks = questions_by_element(parsed, timezone.localdate())
    names = dictionary()
    fields = []
    for code in codes:
        element = names[code]
        known = values.get(code)
        fields.append({"code": code, "name": element.name, "type": element.type, "choices": element.choices,
                       "value": match.application.get(code, known), "known": known is not None,
                       "question": asks.get(code) or f"请填写{element.name}"})
    return fields


def shown_trace(trace: list[dict]) -> list[dict]:
    """The trace as a subject reads it: each step's mark says whether it counts for them (met) or against (not met).
    Inside a `not`, a condition that is false counts for the subject, so its mark is flipped; the text, which the
    rule's wording already gives for the actual outcome, stays."""
    shown, negations = [], []  # negations: depths of the `not` nodes enclosing the current step
    for step in trace:
        while negations and negations[-1] >= step["depth"]:
            negations.pop()
        result = step["result"]
        counts = None if result is None else (result if len(negations) % 2 == 0 else not result)
        shown.append({**step, "mark": "unknown" if counts is None else "met" if counts else "not-met"})
        if step["kind"] == "not":
            negations.append(step["depth"])
    return shown


def describe(match: Match) -> dict:
    version = match.version
    content = version.content
    grant = getattr(match, "grant", None)
    prefilled = version.mode == PolicyVersion.Mode.PREFILLED_APPLICATION
    questions = [f["question"] for f in application_draft(match) if not f["known"]] \
        if prefilled and match.status == Match.Status.MATCHED else []
    return {
        "match": match, "pk": match.pk, "code": match.policy.code, "title": version.title,
        "version": version.version, "issuer": content.get("issuer", ""),
        "level": LEVELS.get(content.get("level"), ""), "summary": content.get("summary", ""),
        "legal_basis": content.get("legal_basis") or [], "benefit": match.benefit_text, "amount": match.amount,
        "mode": version.mode, "mode_label": version.get_mode_display(), "status": match.status,
        "status_label": match.get_status_display(), "department": match.policy.department.name,
        "needs_confirmation": version.needs_confirmation, "note": content.get("note", ""),
        "trace": shown_trace(match.trace), "questions": questions, "on": match.on,
        "grant": grant, "grant_status": grant.get_status_display() if grant else "",
        "links": {"detail": reverse("policies:match", args=[match.pk])},
    }


def matches_for(party) -> list[dict]:
    """The party's current matches, newest first: policy title, benefit, mode, status, the explanation trace and
    the questions, and the link to the detail page. For /me/policies/ and the 专属服务空间 page
    (template partial policies/_matches.html takes this list as ``matches``)."""
    return [describe(m) for m in _matches(party)]


def explain_for(party, code: str, on: date | None = None) -> dict | None:
    """The explained check of one published policy for one subject now, matched or not (the subject's own
    question: 我符合吗？). None when there is no such published policy for this kind of subject."""
    version = (PolicyVersion.objects.filter(policy__code=code, status=PolicyVersion.Status.PUBLISHED,
                                            policy__target=party.party_kind).select_related("policy").first())
    if version is None:
        return None
    on = on or timezone.localdate()
    parsed = parsed_version(version)
    decision = explain(parsed.rule, parsed.parameters, subject_values(party, elements_used(parsed.rule)), on)
    return {"version": version, "policy": parsed, "on": on, "result": decision.result,
            "trace": [{"depth": s.depth, "kind": s.kind, "result": s.result, "text": s.text} for s in decision.trace],
            "questions": list(decision.questions), "in_force": parsed.in_force(on)}


# --- the department's queue -------------------------------------------------------------------------------------------

def grants_for(user) -> QuerySet[Grant]:
    """Grants of the departments where the user processes tasks; nobody else's."""
    return (Grant.objects.filter(department_id__in=departments_with(user, "task.process"))
            .select_related("match__party", "match__version", "match__policy", "department"))


# --- the editor -------------------------------------------------------------------------------------------------------

def versions_list() -> QuerySet[PolicyVersion]:
    return PolicyVersion.objects.select_related("policy__department").order_by("policy__code", "-version")
