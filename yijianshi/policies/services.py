"""Writes of 免申即享 / 即申即享: policy versions (editor, load_policies), the matching batch, the subject's confirm /
decline / apply, opting out of proactive matching, and the department's payment queue.

Two transition tables, each enforced in one place that locks the row and appends an event row and an audit
event (MATCH_TRANSITIONS in `_match_to`, GRANT_TRANSITIONS in `_grant_to`). Notifications go out on commit.
A subject acts only on its own matches: a resident for themselves, an enterprise through its legal representative
or mandate administrators (selectors.subject_of); a department only on its own grants.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from django.db import IntegrityError, transaction
from django.utils import timezone

from yijianshi.accounts.models import Party
from yijianshi.accounts.permissions import NotAllowed, has_permission, require_permission
from yijianshi.accounts.services import InvalidInput
from yijianshi.audit.services import audit_record
from yijianshi.cases.services import Conflict
from yijianshi.notifications.services import notify
from yijianshi.organizations.models import Department
from yijianshi.policies import selectors
from yijianshi.policies.domain.compiler import evaluate_all
from yijianshi.policies.domain.interpreter import explain
from yijianshi.policies.domain.policy import PolicyError, parse_policy
from yijianshi.policies.domain.rules import elements_used
from yijianshi.policies.models import (
    Grant,
    GrantEvent,
    Match,
    MatchEvent,
    MatchingPreference,
    MatchRun,
    Policy,
    PolicyVersion,
)
from yijianshi.workdays.selectors import add_working_days

M = Match.Status
G = Grant.Status
V = PolicyVersion.Status

MATCH_TRANSITIONS: dict[str, set[str]] = {
    M.MATCHED: {M.CONFIRMED, M.DECLINED, M.APPLIED},  # 免申即享: confirm or decline; 即申即享: submit the application
    M.DECLINED: {M.MATCHED},                          # changed their mind: back to the list, to confirm after all
    M.CONFIRMED: set(),                               # from here the grant carries on
    M.APPLIED: set(),
}
GRANT_TRANSITIONS: dict[str, set[str]] = {
    G.QUEUED: {G.PAYING, G.REFUSED},   # the department starts the payment, or finds it may not pay (with a reason)
    G.PAYING: {G.PAID, G.REFUSED},     # paid; or the payment failed for good (closed account ...), with a reason
    G.PAID: set(),
    G.REFUSED: set(),
}
_MATCH_VERBS = {M.CONFIRMED: "确认享受", M.DECLINED: "放弃", M.APPLIED: "提交申请", M.MATCHED: "恢复"}
_GRANT_VERBS = {G.PAYING: "开始发放", G.PAID: "标记已发放", G.REFUSED: "不予发放"}
# Working days the department has to pay after a confirmation; pending each department's confirmation of its own
# time limit (the seed policies are all needs_confirmation).
PAYMENT_WORKING_DAYS = 15
NOTIFY_BATCH = 500


class PolicyInvalid(Exception):
    """The record does not validate: every problem, each naming its field, in Chinese."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("；".join(errors))


# --- policy versions ------------------------------------------------------------------------------------------------

def normalise(record) -> dict:
    """A record as JSON keeps it (dates as ISO text); the engine reads both alike."""
    return json.loads(json.dumps(record, ensure_ascii=False, default=str))


def yaml_text(record: Mapping) -> str:
    """A stored record as the editor shows it."""
    return yaml.safe_dump(dict(record), allow_unicode=True, sort_keys=False, width=120)


def content_hash(record: Mapping) -> str:
    return hashlib.sha256(json.dumps(record, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def parse_text(text: str) -> dict:
    """The editor's YAML (or JSON) text → one record, or PolicyInvalid naming the problem."""
    try:
        data = yaml.safe_load(text or "")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark else ""
        raise PolicyInvalid([f"content：不是合法的 YAML {where}（{getattr(exc, 'problem', '') or exc}）"]) from None
    if isinstance(data, Mapping) and isinstance(data.get("policies"), list) and len(data["policies"]) == 1:
        data = data["policies"][0]
    if not isinstance(data, Mapping):
        raise PolicyInvalid(["content：政策内容应为一条政策记录（code、title、rule ……）"])
    return normalise(data)


def validate(record: Mapping):
    """The domain policy, or PolicyInvalid listing every problem with its field."""
    try:
        return parse_policy(record, selectors.dictionary(), departments=selectors.department_codes())
    except PolicyError as exc:
        raise PolicyInvalid(exc.errors) from None


def _version_fields(policy) -> dict:
    return dict(title=policy.title, mode=policy.mode, effective_from=policy.effective_from,
                effective_to=policy.effective_to, needs_confirmation=policy.needs_confirmation)


def _policy_row(parsed) -> Policy:
    department = Department.objects.get(code=parsed.department)
    row, _ = Policy.objects.get_or_create(code=parsed.code, defaults={"department": department,
                                                                     "target": parsed.target})
    if row.target != parsed.target:
        raise PolicyInvalid([f"{parsed.code}: target：政策对象不能在版本之间改变（原为 {row.target}）；请另建政策"])
    return row


def _audit_version(action: str, version: PolicyVersion, actor, **extra) -> None:
    audit_record(action=f"policies.{action}", object_type="policies.policyversion",
                 object_id=f"{version.policy.code}@{version.version}", actor=actor,
                 after={"status": version.status, "version": version.version, **extra})


@transaction.atomic
def draft_save(*, user, text: str) -> PolicyVersion:
    """Save the editor's record as the policy's draft (a new policy, or a new draft version of one). A record that
    does not validate is not saved: the errors name each field."""
    require_permission(user, "catalog.edit", message="只有事项库管理员可以编辑政策")
    record = parse_text(text)
    parsed = validate(record)
    policy = _policy_row(parsed)
    Policy.objects.select_for_update().filter(pk=policy.pk).first()
    draft = policy.versions.filter(status=V.DRAFT).first()
    fields = dict(content=record, content_hash=content_hash(record), **_version_fields(parsed))
    if draft is None:
        last = policy.versions.order_by("-version").values_list("version", flat=True).first() or 0
        draft = PolicyVersion.objects.create(policy=policy, version=last + 1, created_by=user, **fields)
    else:
        for key, value in fields.items():
            setattr(draft, key, value)
        draft.save()
    _audit_version("draft_saved", draft, user)
    return draft


def _publish(version: PolicyVersion, actor) -> PolicyVersion:
    locked = PolicyVersion.objects.select_for_update().select_related("policy").get(pk=version.pk)
    if locked.status != V.DRAFT:
        raise Conflict(f"{locked} 当前为“{locked.get_status_display()}”，只有草稿可以发布")
    parsed = validate(locked.content)  # the dictionary may have changed since the draft was saved
    # The department pays from publication on (a draft naming another department changes nothing before).
    Policy.objects.filter(pk=locked.policy_id).update(department=Department.objects.get(code=parsed.department))
    for old in PolicyVersion.objects.select_for_update().filter(policy=locked.policy, status=V.PUBLISHED):
        old.status = V.WITHDRAWN
        old.save(update_fields=["status"])
        _audit_version("withdrawn", old, actor, superseded_by=locked.version)
    locked.status = V.PUBLISHED
    locked.published_at = timezone.now()
    locked.published_by = actor if actor is not None and actor.is_authenticated else None
    locked.save(update_fields=["status", "published_at", "published_by"])
    _audit_version("published", locked, actor)
    return locked


@transaction.atomic
def version_publish(*, user, version: PolicyVersion) -> PolicyVersion:
    """Publish a draft: it is validated again, frozen from now on, and the version published before it is
    withdrawn. Matches already made keep the version they were computed with."""
    require_permission(user, "catalog.edit", message="只有事项库管理员可以发布政策")
    version = _publish(version, user)
    from yijianshi.policies.tasks import match_policies_now

    transaction.on_commit(match_policies_now)  # subjects it matches hear about it now, not tomorrow night
    return version


@transaction.atomic
def version_withdraw(*, user, version: PolicyVersion) -> PolicyVersion:
    require_permission(user, "catalog.edit", message="只有事项库管理员可以撤回政策")
    locked = PolicyVersion.objects.select_for_update().select_related("policy").get(pk=version.pk)
    if locked.status != V.PUBLISHED:
        raise Conflict(f"{locked} 当前为“{locked.get_status_display()}”，不能撤回")
    locked.status = V.WITHDRAWN
    locked.save(update_fields=["status"])
    _audit_version("withdrawn", locked, user)
    return locked


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)
    unchanged: int = 0


def read_directory(directory: Path) -> list[dict]:
    """The records of directory/*.yaml, normalised; PolicyInvalid with every problem across the files."""
    from yijianshi.policies.domain.policy import load_policies

    try:
        load_policies(directory, selectors.dictionary(), departments=selectors.department_codes())
    except PolicyError as exc:
        raise PolicyInvalid(exc.errors) from None
    records = []
    for path in sorted(directory.glob("*.yaml")):
        if not path.name.startswith("_"):
            records.extend(normalise(r) for r in (yaml.safe_load(path.read_text("utf-8")) or {}).get("policies") or [])
    return records


@transaction.atomic
def policies_load(directory: Path, *, actor=None) -> LoadReport:
    """Load data/policies/ as published versions. Idempotent: an unchanged record adds nothing; a changed one is
    published as a new version (the previous one withdrawn)."""
    report = LoadReport()
    for record in read_directory(directory):
        parsed = validate(record)
        digest = content_hash(record)
        policy = _policy_row(parsed)
        current = policy.versions.filter(status=V.PUBLISHED).first()
        if current is not None and current.content_hash == digest:
            report.unchanged += 1
            continue
        policy.versions.filter(status=V.DRAFT).delete()  # a file load replaces an editor's unpublished draft
        last = policy.versions.order_by("-version").values_list("version", flat=True).first() or 0
        draft = PolicyVersion.objects.create(policy=policy, version=last + 1, content=record, content_hash=digest,
                                             created_by=actor, **_version_fields(parsed))
        _publish(draft, actor)
        (report.new_versions if last else report.created).append(f"{policy.code} v{draft.version}")
    return report


def preview_count(*, user, text: str, on: date | None = None) -> int:
    """How many subjects (not opted out) the record's rule matches today; validates first."""
    require_permission(user, "catalog.edit", message="只有事项库管理员可以预览政策")
    parsed = validate(parse_text(text))
    on = on or timezone.localdate()
    if not parsed.in_force(on):
        return 0
    frame = selectors.subjects_frame(parsed.target, sorted(elements_used(parsed.rule)))
    return evaluate_all([parsed], frame, on, target=parsed.target).height


# --- matching -------------------------------------------------------------------------------------------------------

def _amount(value) -> Decimal | None:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01")) if value is not None else None
    except (InvalidOperation, ValueError):
        return None


def _trace(decision) -> list[dict]:
    return [{"depth": s.depth, "kind": s.kind, "result": s.result, "text": s.text, "element": s.element}
            for s in decision.trace]


def _tell_subject(party: Party, *, subject: str, body: str, link: str, dedupe_key: str) -> None:
    """The people who act for the subject hear about it, after commit."""
    users = selectors.users_acting_for(party)
    transaction.on_commit(lambda: notify(users, subject=subject, body=body, link=link, dedupe_key=dedupe_key))


@dataclass
class RunReport:
    run: MatchRun
    found: int
    created: int


def match_run(*, on: date | None = None, trigger: str = "manual",
              progress: Callable[[int, int], None] | None = None) -> RunReport:
    """Find the subjects each published policy in force matches, record the new matches with the interpreter's
    reasons and notify the subjects. Opted-out subjects are skipped; a subject already matched to a policy (under
    any version, whatever they decided) is not matched again, so a re-run adds and notifies nothing."""
    on = on or timezone.localdate()
    run = MatchRun.objects.create(on=on, trigger=trigger)
    versions = selectors.versions_in_force(on)
    work: list[tuple[int, PolicyVersion, object]] = []
    subjects = 0
    for target in ("person", "enterprise"):
        mine = [(v, p) for v, p in versions if p.target == target]
        if not mine:
            continue
        codes = sorted(set().union(*(elements_used(p.rule) for _, p in mine)))
        frame = selectors.subjects_frame(target, codes)
        subjects += frame.height
        pairs = evaluate_all([p for _, p in mine], frame, on, target=target)
        by_code = {p.code: (v, p) for v, p in mine}
        done = set(Match.objects.filter(policy__in=[v.policy_id for v, _ in mine]).values_list("party_id", "policy_id"))
        for party_id, code in zip(pairs["subject_id"].to_list(), pairs["policy_code"].to_list()):
            version, parsed = by_code[code]
            if (party_id, version.policy_id) not in done:
                work.append((party_id, version, parsed))
    found = len(work)
    created = 0
    total = len(work)
    for start in range(0, total, NOTIFY_BATCH):
        chunk = work[start:start + NOTIFY_BATCH]
        values = selectors.subject_values_many([party_id for party_id, _, _ in chunk],
                                               set().union(*(elements_used(p.rule) for _, _, p in chunk)))
        with transaction.atomic():
            for party_id, version, parsed in chunk:
                created += _match_create(party_id, version, parsed, values.get(party_id, {}), on, run)
        if progress:
            progress(min(start + NOTIFY_BATCH, total), total)
    MatchRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), subjects=subjects, policies=len(versions),
                                              matches_found=found, matches_created=created)
    run.refresh_from_db()
    return RunReport(run, found, created)


def _match_create(party_id: int, version: PolicyVersion, parsed, values: dict, on: date, run) -> int:
    decision = explain(parsed.rule, parsed.parameters, values, on)
    if not decision.matched:  # the profile changed between the batch's read and now
        return 0
    try:
        with transaction.atomic():
            match = Match.objects.create(
                party_id=party_id, policy_id=version.policy_id, version=version, on=on, trace=_trace(decision),
                benefit_text=parsed.benefit_text(on)[:300], amount=_amount(parsed.amount(on)), run=run)
    except IntegrityError:
        return 0  # matched by a concurrent run
    MatchEvent.objects.create(match=match, to_status=M.MATCHED, message=f"按第{version.version}版规则匹配")
    party = Party.objects.get(pk=party_id)
    audit_record(action="policies.matched", object_type="policies.match", object_id=match.pk, subject=party,
                 principal=party, after={"policy": version.policy.code, "version": version.version})
    mode = "确认后即可享受" if version.mode == PolicyVersion.Mode.NO_APPLICATION else "申请表已预填，补充后即可提交"
    _tell_subject(party, subject=f"您可能符合“{version.title}”",
                  body=f"您可能符合“{version.title}”：{parsed.benefit_text(on)}。{mode}。",
                  link=f"/me/policies/{match.pk}/", dedupe_key=f"policy-match-{match.pk}")
    return 1


def _audit_match(action, match: Match, actor, before, after, reason="") -> None:
    audit_record(action=f"policies.{action}", object_type="policies.match", object_id=match.pk, actor=actor,
                 principal=match.party, subject=match.party, reason=reason, before={"status": before},
                 after={"status": after})


def _match_to(match: Match, target: str, *, actor, message: str) -> Match:
    locked = Match.objects.select_for_update().select_related("party", "policy", "version").get(pk=match.pk)
    if target not in MATCH_TRANSITIONS[locked.status]:
        raise Conflict(f"“{locked.version.title}”当前为“{locked.get_status_display()}”，不能{_MATCH_VERBS[target]}")
    before = locked.status
    locked.status = target
    locked.save(update_fields=["status"])
    MatchEvent.objects.create(match=locked, actor=actor, from_status=before, to_status=target, message=message)
    _audit_match(target, locked, actor, before, target)
    return locked


def _require_subject(user, acting, match: Match) -> Party:
    subject = selectors.subject_of(user, acting)
    if subject is None or subject.pk != match.party_id:
        raise NotAllowed("只能办理本人（或本企业）的政策")
    return subject


def _grant_create(match: Match, actor) -> Grant:
    today = timezone.localdate()
    grant = Grant.objects.create(match=match, department=match.policy.department, amount=match.amount,
                                 due_date=add_working_days(today, PAYMENT_WORKING_DAYS))
    GrantEvent.objects.create(grant=grant, actor=actor, to_status=G.QUEUED, message="进入部门发放队列")
    audit_record(action="policies.grant_queued", object_type="policies.grant", object_id=grant.pk, actor=actor,
                 principal=match.party, subject=match.party, after={"status": G.QUEUED,
                                                                     "department": match.policy.department.code})
    return grant


def _mode_must_be(match: Match, mode: str, verb: str) -> None:
    # A withdrawn policy (no published version left) is no longer granted; a superseded version still is.
    if not match.policy.versions.filter(status=V.PUBLISHED).exists():
        raise Conflict(f"“{match.version.title}”已撤回，不再受理")
    if match.version.mode != mode:
        raise Conflict(f"“{match.version.title}”为{match.version.get_mode_display()}，不能{verb}")


@transaction.atomic
def match_confirm(*, user, acting, match: Match) -> Match:
    """免申即享: the subject confirms; the grant goes to the department's payment queue."""
    _require_subject(user, acting, match)
    _mode_must_be(match, PolicyVersion.Mode.NO_APPLICATION, "直接确认（请填写并提交申请）")
    match = _match_to(match, M.CONFIRMED, actor=user, message="本人确认享受")
    _grant_create(match, user)
    return match


@transaction.atomic
def match_decline(*, user, acting, match: Match) -> Match:
    _require_subject(user, acting, match)
    return _match_to(match, M.DECLINED, actor=user, message="本人放弃享受")


@transaction.atomic
def match_reconsider(*, user, acting, match: Match) -> Match:
    _require_subject(user, acting, match)
    return _match_to(match, M.MATCHED, actor=user, message="本人撤销放弃")


def _read_answer(element, raw: str, field_name: str):
    from yijianshi.policies.domain.rules import coerce

    raw = (raw or "").strip()
    if element.type == "boolean":
        if raw not in ("true", "false"):
            raise InvalidInput(field_name, f"{element.name}：请选择“是”或“否”")
        return raw == "true"
    if element.type == "enum" and raw not in element.choices:
        raise InvalidInput(field_name, f"{element.name}：请从选项中选择")
    value = coerce(raw, element.type)
    if value is None:
        raise InvalidInput(field_name, f"{element.name}：格式不正确")
    return value.isoformat() if isinstance(value, date) else value


@transaction.atomic
def application_submit(*, user, acting, match: Match, answers: Mapping[str, str]) -> Match:
    """即申即享: the subject completes the fields the profile does not know and submits; the rule is checked again
    with the answers, and the application goes to the department's queue."""
    _require_subject(user, acting, match)
    _mode_must_be(match, PolicyVersion.Mode.PREFILLED_APPLICATION, "提交申请（请直接确认）")
    parsed = selectors.parsed_version(match.version)
    dictionary = selectors.dictionary()
    application = {}
    for f in selectors.application_draft(match):
        if f["known"]:
            application[f["code"]] = f["value"]
        elif (answers.get(f["code"]) or "").strip():
            application[f["code"]] = _read_answer(dictionary[f["code"]], answers[f["code"]], f["code"])
    decision = explain(parsed.rule, parsed.parameters, application, timezone.localdate())
    if decision.result is False:
        failed = next((s.text for s in decision.trace if s.kind == "condition" and s.result is False), "")
        raise InvalidInput("application", f"按您填写的内容不符合条件：{failed}")
    if decision.result is None:
        raise InvalidInput(decision.unknown_elements[0], f"还需回答：{'；'.join(decision.questions)}")
    match = _match_to(match, M.APPLIED, actor=user, message="本人提交申请")
    application = normalise(application)
    Match.objects.filter(pk=match.pk).update(application=application, trace=_trace(decision))
    match.application = application
    _grant_create(match, user)
    return match


@transaction.atomic
def opt_out_set(*, user, acting, opted_out: bool) -> MatchingPreference:
    """The subject stops (or resumes) proactive matching; matches already made stay theirs to decide."""
    subject = selectors.subject_of(user, acting)
    if subject is None:
        raise NotAllowed("请先登录个人账号")
    preference = MatchingPreference.objects.select_for_update().filter(party=subject).first() or \
        MatchingPreference(party=subject)
    before = preference.opted_out
    preference.opted_out = opted_out
    preference.changed_at = timezone.now()
    preference.changed_by = user
    preference.save()
    audit_record(action="policies.opt_out" if opted_out else "policies.opt_in", object_type="policies.preference",
                 object_id=subject.pk, actor=user, principal=subject, subject=subject,
                 before={"opted_out": before}, after={"opted_out": opted_out})
    return preference


# --- the department's payment queue -----------------------------------------------------------------------------------

def _grant_to(grant: Grant, target: str, *, actor, message: str, reason: str = "") -> Grant:
    locked = Grant.objects.select_for_update().select_related("match__party", "match__version", "department") \
        .get(pk=grant.pk)
    if not has_permission(actor, "task.process", locked.department):
        raise NotAllowed(f"只有{locked.department.name}的经办人员可以办理此发放")
    if target not in GRANT_TRANSITIONS[locked.status]:
        raise Conflict(f"该发放当前为“{locked.get_status_display()}”，不能{_GRANT_VERBS[target]}")
    before = locked.status
    locked.status = target
    fields = ["status"]
    if reason:
        locked.reason = reason
        fields.append("reason")
    locked.save(update_fields=fields)
    GrantEvent.objects.create(grant=locked, actor=actor, from_status=before, to_status=target, message=message)
    party = locked.match.party
    audit_record(action=f"policies.grant_{target}", object_type="policies.grant", object_id=locked.pk, actor=actor,
                 principal=party, subject=party, reason=reason, before={"status": before}, after={"status": target})
    return locked


@transaction.atomic
def grant_start_payment(*, user, grant: Grant) -> Grant:
    return _grant_to(grant, G.PAYING, actor=user, message=f"{user.first_name or user.username} 开始发放")


@transaction.atomic
def grant_mark_paid(*, user, grant: Grant) -> Grant:
    grant = _grant_to(grant, G.PAID, actor=user, message=f"{user.first_name or user.username} 确认已发放")
    _tell_subject(grant.match.party, subject=f"“{grant.match.version.title}”已发放",
                  body=f"{grant.match.benefit_text}，已由{grant.department.name}发放。",
                  link=f"/me/policies/{grant.match_id}/",
                  dedupe_key=f"policy-grant-paid-{grant.pk}")
    return grant


@transaction.atomic
def grant_refuse(*, user, grant: Grant, reason: str) -> Grant:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("reason", "不予发放理由：必填，将告知申请人")
    grant = _grant_to(grant, G.REFUSED, actor=user, message="不予发放", reason=reason[:500])
    _tell_subject(grant.match.party, subject=f"“{grant.match.version.title}”不予发放",
                  body=f"{grant.department.name}：{reason}", link=f"/me/policies/{grant.match_id}/",
                  dedupe_key=f"policy-grant-refused-{grant.pk}")
    return grant
