"""Situation guidance (情形引导): a bundle's short questionnaire and what the answers decide, as plain Python.

A questionnaire is reviewable data (data/catalog/situations/<bundle>.yaml, stored on Bundle.questionnaire). Its
answers decide which sub-items of the bundle apply and which conditional materials apply, with the reason shown
for every decision. Conditions are a small closed vocabulary, never evaluated code:

    {answer: q, is: v}   {answer: q, in: [v, ...]}   {all: [...]}   {any: [...]}   {not: {...}}   true / false

Prerequisites (`after`, 前后置): an item excluded by the answers takes the items after it along ("依赖的“X”不办理"),
unless its rule says `dependants_proceed: true`, meaning its result is not needed in that situation (already
held, or an alternative path such as 正常退休 / 提前退休 is taken); the items after it then go ahead without it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from yijianshi.catalog.domain.graph import topological_stages

YES, NO = "yes", "no"
YES_NO = "yes_no"
CHOICE = "choice"
QUESTION_TYPES = (YES_NO, CHOICE)
YES_NO_OPTIONS = (("yes", "是"), ("no", "否"))

MUST = "必办事项"
DEFAULT_INCLUDED = "根据您的回答，需要办理"
DEFAULT_EXCLUDED = "根据您的回答，无需办理"
DEFAULT_MATERIAL_INCLUDED = "根据您的回答，需要提交"
DEFAULT_MATERIAL_EXCLUDED = "根据您的回答，无需提交"

# Questionnaires are checked by trying every combination of answers; beyond this the questions are too many to
# review anyway.
COMBINATION_LIMIT = 4096

_QUESTION_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class QuestionnaireError(ValueError):
    """The questionnaire's data is malformed; `errors` name the record and field, in Chinese."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("；".join(errors))


# --- conditions ------------------------------------------------------------------------------------------------

class Condition:
    def holds(self, answers: Mapping[str, str]) -> bool:
        raise NotImplementedError

    def questions(self) -> set[str]:
        raise NotImplementedError

    def to_data(self) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class Always(Condition):
    value: bool

    def holds(self, answers):
        return self.value

    def questions(self):
        return set()

    def to_data(self):
        return self.value


@dataclass(frozen=True)
class Is(Condition):
    question: str
    value: str

    def holds(self, answers):
        # An unanswered or unasked question matches no value.
        return answers.get(self.question) == self.value

    def questions(self):
        return {self.question}

    def to_data(self):
        return {"answer": self.question, "is": self.value}


@dataclass(frozen=True)
class In(Condition):
    question: str
    values: tuple[str, ...]

    def holds(self, answers):
        return answers.get(self.question) in self.values

    def questions(self):
        return {self.question}

    def to_data(self):
        return {"answer": self.question, "in": list(self.values)}


@dataclass(frozen=True)
class All(Condition):
    parts: tuple[Condition, ...]

    def holds(self, answers):
        return all(part.holds(answers) for part in self.parts)

    def questions(self):
        return set().union(*(part.questions() for part in self.parts))

    def to_data(self):
        return {"all": [part.to_data() for part in self.parts]}


@dataclass(frozen=True)
class AnyOf(Condition):
    parts: tuple[Condition, ...]

    def holds(self, answers):
        return any(part.holds(answers) for part in self.parts)

    def questions(self):
        return set().union(*(part.questions() for part in self.parts))

    def to_data(self):
        return {"any": [part.to_data() for part in self.parts]}


@dataclass(frozen=True)
class Not(Condition):
    part: Condition

    def holds(self, answers):
        return not self.part.holds(answers)

    def questions(self):
        return self.part.questions()

    def to_data(self):
        return {"not": self.part.to_data()}


# --- the questionnaire -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    type: str = YES_NO
    options: tuple[Option, ...] = ()
    default: str | None = None
    help: str = ""
    ask_when: Condition | None = None   # asked only when this holds for the answers to earlier questions

    @property
    def choices(self) -> tuple[Option, ...]:
        if self.type == YES_NO:
            return tuple(Option(v, label) for v, label in YES_NO_OPTIONS)
        return self.options

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(option.value for option in self.choices)

    def label_of(self, value: str) -> str:
        return next((o.label for o in self.choices if o.value == value), value)

    def to_data(self) -> dict:
        data: dict[str, Any] = {"id": self.id, "text": self.text, "type": self.type}
        if self.type == CHOICE:
            data["options"] = [{"value": o.value, "label": o.label} for o in self.options]
        if self.default is not None:
            data["default"] = self.default
        if self.help:
            data["help"] = self.help
        if self.ask_when is not None:
            data["ask_when"] = self.ask_when.to_data()
        return data


@dataclass(frozen=True)
class Reason:
    """A reason shown to the applicant; with `when`, only for the answers where that holds."""

    text: str
    when: Condition | None = None

    def to_data(self) -> dict:
        return {"reason": self.text} if self.when is None else {"when": self.when.to_data(), "reason": self.text}


def _pick(reasons: Sequence[Reason], answers: Mapping[str, str], default: str) -> str:
    return next((r.text for r in reasons if r.when is None or r.when.holds(answers)), default)


@dataclass(frozen=True)
class ItemRule:
    """How one sub-item depends on the answers. Without include_when the item is excluded only through its
    prerequisites (listing it acknowledges that), and the rule may still give situational reasons."""

    code: str
    include_when: Condition | None = None
    reason_included: tuple[Reason, ...] = ()
    reason_excluded: tuple[Reason, ...] = ()
    dependants_proceed: bool = False

    def to_data(self) -> dict:
        data: dict[str, Any] = {}
        if self.include_when is not None:
            data["include_when"] = self.include_when.to_data()
        if self.reason_included:
            data["reason_included"] = [r.to_data() for r in self.reason_included]
        if self.reason_excluded:
            data["reason_excluded"] = [r.to_data() for r in self.reason_excluded]
        if self.dependants_proceed:
            data["dependants_proceed"] = True
        return data


@dataclass(frozen=True)
class MaterialRule:
    """When a conditional material (适用情形) of the included items applies to this applicant."""

    material: str
    include_when: Condition
    reason_included: tuple[Reason, ...] = ()
    reason_excluded: tuple[Reason, ...] = ()

    def to_data(self) -> dict:
        data: dict[str, Any] = {"material": self.material, "include_when": self.include_when.to_data()}
        if self.reason_included:
            data["reason_included"] = [r.to_data() for r in self.reason_included]
        if self.reason_excluded:
            data["reason_excluded"] = [r.to_data() for r in self.reason_excluded]
        return data


@dataclass(frozen=True)
class Questionnaire:
    bundle: str
    questions: tuple[Question, ...] = ()
    items: dict[str, ItemRule] = field(default_factory=dict)
    materials: tuple[MaterialRule, ...] = ()
    key_materials: tuple[str, ...] = ()   # 容缺受理: these may never be supplied later

    @classmethod
    def from_dict(cls, data: Mapping) -> Questionnaire:
        """Parse and check the structure (questions, conditions, reasons); raises QuestionnaireError."""
        return _parse(data)

    def to_dict(self) -> dict:
        """Canonical JSON-ready form: from_dict(q.to_dict()) == q."""
        return {
            "bundle": self.bundle,
            "questions": [q.to_data() for q in self.questions],
            "items": {code: rule.to_data() for code, rule in self.items.items()},
            "materials": [rule.to_data() for rule in self.materials],
            "key_materials": list(self.key_materials),
        }

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def asked_questions(self, answers: Mapping[str, Any]) -> list[Question]:
        """The questions to show for these (partial) answers: follow-up questions appear once they apply."""
        effective, _ = self.resolve_answers(answers)
        return [q for q in self.questions if _is_asked(q, effective)]

    def resolve_answers(self, answers: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
        """(effective answers, errors by question id). Defaults fill unanswered questions; questions not asked
        (their ask_when fails) have no answer. Keys that are not questions are ignored."""
        effective: dict[str, str] = {}
        errors: dict[str, str] = {}
        for question in self.questions:
            if not _is_asked(question, effective):
                continue
            raw = answers.get(question.id)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                if question.default is not None:
                    effective[question.id] = question.default
                else:
                    errors[question.id] = f"{question.text}：请选择"
                continue
            value = _normalize_value(raw)
            if value not in question.values:
                errors[question.id] = f"{question.text}：“{raw}”不是可选的回答，请从给出的选项中选择"
                continue
            effective[question.id] = value
        return effective, errors


def _is_asked(question: Question, answers: Mapping[str, str]) -> bool:
    return question.ask_when is None or question.ask_when.holds(answers)


def _normalize_value(raw: Any) -> str:
    # YAML reads yes/no/true/false as booleans; a form posts strings. Both mean the same answer.
    if isinstance(raw, bool):
        return YES if raw else NO
    return str(raw).strip()


# --- parsing ---------------------------------------------------------------------------------------------------

_QUESTION_KEYS = {"id", "text", "type", "options", "default", "help", "ask_when"}
_ITEM_KEYS = {"include_when", "reason_included", "reason_excluded", "dependants_proceed"}
_MATERIAL_KEYS = {"material", "include_when", "reason_included", "reason_excluded"}
_TOP_KEYS = {"bundle", "questions", "items", "materials", "key_materials"}


def _parse(data: Mapping) -> Questionnaire:
    errors: list[str] = []
    if not isinstance(data, Mapping):
        raise QuestionnaireError(["情形引导须为映射"])
    unknown = set(data) - _TOP_KEYS
    if unknown:
        errors.append(f"未知字段 {', '.join(sorted(map(str, unknown)))}")
    bundle = data.get("bundle")
    if not isinstance(bundle, str) or not bundle.strip():
        errors.append("缺少字段 bundle（一件事编码）")
        bundle = ""

    questions: list[Question] = []
    known: dict[str, Question] = {}
    raw_questions = data.get("questions") or []
    if not isinstance(raw_questions, list):
        errors.append("questions 须为列表")
        raw_questions = []
    for index, raw in enumerate(raw_questions, 1):
        question = _parse_question(raw, index, known, errors)
        if question is not None:
            questions.append(question)
            known[question.id] = question

    items: dict[str, ItemRule] = {}
    raw_items = data.get("items") or {}
    if not isinstance(raw_items, Mapping):
        errors.append("items 须为以事项编码为键的映射")
        raw_items = {}
    for code, raw in raw_items.items():
        rule = _parse_item_rule(str(code), raw, known, errors)
        if rule is not None:
            items[rule.code] = rule

    materials: list[MaterialRule] = []
    raw_materials = data.get("materials") or []
    if not isinstance(raw_materials, list):
        errors.append("materials 须为列表")
        raw_materials = []
    seen_materials: set[str] = set()
    for index, raw in enumerate(raw_materials, 1):
        rule = _parse_material_rule(raw, index, known, errors)
        if rule is None:
            continue
        if rule.material in seen_materials:
            errors.append(f"材料 {rule.material}: 重复设置")
        seen_materials.add(rule.material)
        materials.append(rule)

    key_materials = data.get("key_materials") or []
    if not isinstance(key_materials, list) or not all(isinstance(m, str) and m for m in key_materials):
        errors.append("key_materials 须为材料编码的列表")
        key_materials = []
    for code in {m for m in key_materials if key_materials.count(m) > 1}:
        errors.append(f"key_materials: 材料 {code!r} 重复")

    used: set[str] = set()
    for question in questions:
        if question.ask_when is not None:
            used |= question.ask_when.questions()
    for rule in [*items.values(), *materials]:
        if rule.include_when is not None:
            used |= rule.include_when.questions()
        for reason in (*rule.reason_included, *rule.reason_excluded):
            if reason.when is not None:
                used |= reason.when.questions()
    for question in questions:
        if question.id not in used:
            errors.append(f"问题 {question.id}: 没有任何规则用到这个问题的回答")

    if errors:
        raise QuestionnaireError(errors)
    return Questionnaire(bundle=bundle.strip(), questions=tuple(questions), items=items,
                         materials=tuple(materials), key_materials=tuple(key_materials))


def _parse_question(raw: Any, index: int, known: dict[str, Question], errors: list[str]) -> Question | None:
    if not isinstance(raw, Mapping):
        errors.append(f"问题 第 {index} 项: 须为映射")
        return None
    qid = raw.get("id")
    where = f"问题 {qid}" if qid else f"问题 第 {index} 项"
    before = len(errors)
    unknown = set(raw) - _QUESTION_KEYS
    if unknown:
        errors.append(f"{where}: 未知字段 {', '.join(sorted(map(str, unknown)))}")
    if not isinstance(qid, str) or not _QUESTION_ID.match(qid):
        errors.append(f"{where}: id 须由小写字母、数字和下划线组成，以字母开头")
    elif qid in known:
        errors.append(f"{where}: id 重复")
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        errors.append(f"{where}: 缺少问题文字 text")
    kind = raw.get("type", YES_NO)
    options: list[Option] = []
    if kind not in QUESTION_TYPES:
        errors.append(f"{where}: type 须为 yes_no（是/否）或 choice（选择）")
    elif kind == YES_NO and raw.get("options") is not None:
        errors.append(f"{where}: yes_no 问题的选项固定为“是/否”，不要写 options")
    elif kind == CHOICE:
        raw_options = raw.get("options")
        if not isinstance(raw_options, list) or len(raw_options) < 2:
            errors.append(f"{where}: choice 问题须在 options 中列出至少两个选项")
            raw_options = []
        for number, option in enumerate(raw_options, 1):
            if (not isinstance(option, Mapping) or set(option) != {"value", "label"}
                    or option["value"] in (None, "") or not isinstance(option["label"], str)
                    or not option["label"].strip()):
                errors.append(f"{where}: options 第 {number} 项须为 {{value, label}}，两者都不能为空")
                continue
            value = _normalize_value(option["value"])
            if any(o.value == value for o in options):
                errors.append(f"{where}: 选项值 {value!r} 重复")
            options.append(Option(value, option["label"].strip()))
    help_text = raw.get("help") or ""
    if not isinstance(help_text, str):
        errors.append(f"{where}: help 须为文本")
        help_text = ""
    if len(errors) > before:
        return None
    question = Question(id=qid, text=text.strip(), type=kind, options=tuple(options), help=help_text.strip())
    default = raw.get("default")
    if default is not None:
        default = _normalize_value(default)
        if default not in question.values:
            errors.append(f"{where}: default {default!r} 不是本问题的选项（{'、'.join(question.values)}）")
            return None
    ask_when = None
    if raw.get("ask_when") is not None:
        # Only earlier questions, so the order of asking is the order of the file and no loop can form.
        ask_when = _parse_condition(raw["ask_when"], known, f"{where}: ask_when", errors, earlier_only=True)
        if ask_when is None:
            return None
    return Question(id=qid, text=question.text, type=kind, options=question.options, default=default,
                    help=question.help, ask_when=ask_when)


def _parse_condition(raw: Any, known: Mapping[str, Question], where: str, errors: list[str],
                     earlier_only: bool = False) -> Condition | None:
    if isinstance(raw, bool):
        return Always(raw)
    if not isinstance(raw, Mapping):
        errors.append(f"{where} 须为条件映射，如 {{answer: 问题编号, is: 取值}}，实际为 {raw!r}")
        return None
    keys = set(raw)
    if "answer" in keys:
        qid = raw["answer"]
        question = known.get(qid)
        if keys not in ({"answer", "is"}, {"answer", "in"}):
            errors.append(f"{where}: 条件须写作 {{answer, is}} 或 {{answer, in}}，实际字段为 {sorted(map(str, keys))}")
            return None
        if question is None:
            detail = "（只能引用排在前面的问题）" if earlier_only else ""
            errors.append(f"{where} 引用了不存在的问题 {qid!r}{detail}")
            return None
        if "is" in keys:
            value = _normalize_value(raw["is"])
            if value not in question.values:
                errors.append(f"{where}: {value!r} 不是问题 {qid} 的选项（{'、'.join(question.values)}）")
                return None
            return Is(qid, value)
        values = raw["in"]
        if not isinstance(values, list) or not values:
            errors.append(f"{where}: in 须为非空的取值列表")
            return None
        normalized = tuple(_normalize_value(v) for v in values)
        bad = [v for v in normalized if v not in question.values]
        if bad:
            errors.append(f"{where}: {', '.join(map(repr, bad))} 不是问题 {qid} 的选项（{'、'.join(question.values)}）")
            return None
        return In(qid, normalized)
    if len(keys) != 1 or not keys <= {"all", "any", "not"}:
        errors.append(f"{where}: 无法识别的条件 {dict(raw)!r}；可用 answer+is、answer+in、all、any、not")
        return None
    (key,) = keys
    if key == "not":
        part = _parse_condition(raw["not"], known, where, errors, earlier_only)
        return None if part is None else Not(part)
    parts_raw = raw[key]
    if not isinstance(parts_raw, list) or not parts_raw:
        errors.append(f"{where}: {key} 须为非空的条件列表")
        return None
    parts = [_parse_condition(p, known, where, errors, earlier_only) for p in parts_raw]
    if any(p is None for p in parts):
        return None
    return All(tuple(parts)) if key == "all" else AnyOf(tuple(parts))


def _parse_reasons(raw: Any, known: Mapping[str, Question], where: str, errors: list[str]) -> tuple[Reason, ...]:
    """A text, or a list of {when, reason} tried in order, ending with a plain text (or {reason}) as fallback."""
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (Reason(raw.strip()),) if raw.strip() else ()
    if not isinstance(raw, list) or not raw:
        errors.append(f"{where} 须为文本，或 {{when, reason}} 的列表")
        return ()
    reasons: list[Reason] = []
    for index, entry in enumerate(raw, 1):
        if isinstance(entry, str) and entry.strip():
            reasons.append(Reason(entry.strip()))
        elif isinstance(entry, Mapping) and set(entry) <= {"when", "reason"} and isinstance(entry.get("reason"), str) \
                and entry["reason"].strip():
            when = None
            if entry.get("when") is not None:
                when = _parse_condition(entry["when"], known, f"{where} 第 {index} 项 when", errors)
            reasons.append(Reason(entry["reason"].strip(), when))
        else:
            errors.append(f"{where} 第 {index} 项须为文本或 {{when, reason}}")
            continue
        if reasons[-1].when is None and index != len(raw):
            errors.append(f"{where} 第 {index} 项没有 when，只能放在最后作为兜底理由")
    if reasons and reasons[-1].when is not None:
        errors.append(f"{where} 最后一项须为不带 when 的兜底理由")
    return tuple(reasons)


def _parse_item_rule(code: str, raw: Any, known: Mapping[str, Question], errors: list[str]) -> ItemRule | None:
    where = f"事项 {code}"
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        errors.append(f"{where}: 须为映射")
        return None
    before = len(errors)
    unknown = set(raw) - _ITEM_KEYS
    if unknown:
        errors.append(f"{where}: 未知字段 {', '.join(sorted(map(str, unknown)))}")
    include_when = None
    if "include_when" in raw:
        include_when = _parse_condition(raw["include_when"], known, f"{where}: include_when", errors)
    reason_included = _parse_reasons(raw.get("reason_included"), known, f"{where}: reason_included", errors)
    reason_excluded = _parse_reasons(raw.get("reason_excluded"), known, f"{where}: reason_excluded", errors)
    proceed = raw.get("dependants_proceed", False)
    if not isinstance(proceed, bool):
        errors.append(f"{where}: dependants_proceed 须为 true 或 false")
    if "include_when" not in raw:
        if reason_excluded:
            errors.append(f"{where}: 没有 include_when 时不办理的理由由前置事项给出，不要写 reason_excluded")
        if proceed:
            errors.append(f"{where}: 没有 include_when 时 dependants_proceed 没有作用")
    elif not reason_excluded:
        errors.append(f"{where}: 有 include_when 的事项须写明不办理的理由 reason_excluded")
    if len(errors) > before:
        return None
    return ItemRule(code=code, include_when=include_when, reason_included=reason_included,
                    reason_excluded=reason_excluded, dependants_proceed=proceed)


def _parse_material_rule(raw: Any, index: int, known: Mapping[str, Question],
                         errors: list[str]) -> MaterialRule | None:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("material"), str) or not raw["material"]:
        errors.append(f"materials 第 {index} 项: 须为映射并写明材料编码 material")
        return None
    where = f"材料 {raw['material']}"
    before = len(errors)
    unknown = set(raw) - _MATERIAL_KEYS
    if unknown:
        errors.append(f"{where}: 未知字段 {', '.join(sorted(map(str, unknown)))}")
    if "include_when" not in raw:
        errors.append(f"{where}: 缺少 include_when（始终适用写 true，始终不适用写 false）")
        include_when = None
    else:
        include_when = _parse_condition(raw["include_when"], known, f"{where}: include_when", errors)
    reason_included = _parse_reasons(raw.get("reason_included"), known, f"{where}: reason_included", errors)
    reason_excluded = _parse_reasons(raw.get("reason_excluded"), known, f"{where}: reason_excluded", errors)
    if include_when is not None and include_when != Always(True) and not reason_excluded:
        errors.append(f"{where}: 须写明不需要提交的理由 reason_excluded")
    if len(errors) > before:
        return None
    return MaterialRule(material=raw["material"], include_when=include_when, reason_included=reason_included,
                        reason_excluded=reason_excluded)


def _questionnaire(questionnaire: Questionnaire | Mapping) -> Questionnaire:
    if isinstance(questionnaire, Questionnaire):
        return questionnaire
    return Questionnaire.from_dict(questionnaire)


# --- the items a bundle is made of -----------------------------------------------------------------------------

@dataclass(frozen=True)
class MaterialRef:
    code: str
    required: bool = True


@dataclass(frozen=True)
class ItemRef:
    """What the evaluator needs to know about one sub-item of the bundle."""

    code: str
    name: str
    after: tuple[str, ...] = ()
    deficiency_allowed: bool = False
    materials: tuple[MaterialRef, ...] = ()


def as_item_ref(row: Any) -> ItemRef:
    """An ItemRef as is, or one read from a catalog BundleItem (with its prerequisites and its item's published
    version, materials included, fetched): callers may pass the bundle's rows straight through."""
    if isinstance(row, ItemRef):
        return row
    version = row.item.published_version
    return ItemRef(
        code=row.item.code,
        name=version.name,
        after=tuple(p.item.code for p in row.prerequisites.all()),
        deficiency_allowed=version.deficiency_allowed,
        materials=tuple(MaterialRef(m.material.code, m.required) for m in version.materials.all()),
    )


# --- evaluation ------------------------------------------------------------------------------------------------

_INCLUDED, _PROCEED, _CUT = "included", "proceed", "cut"


@dataclass
class SituationOutcome:
    answers: dict[str, str]                       # effective answers (defaults applied, unasked dropped)
    errors: dict[str, str]                        # question id -> message naming the question
    included: list[str]                           # item codes, in bundle order
    excluded: list[str]
    reasons: dict[str, str]                       # a reason for every item, included or not
    prerequisites: dict[str, list[str]]           # included item -> included items it still waits for
    materials_excluded: dict[str, str]            # conditional materials that do not apply, with the reason
    materials_included: dict[str, str]            # conditional materials that do apply, with the reason

    @property
    def complete(self) -> bool:
        return not self.errors


def evaluate(questionnaire: Questionnaire | Mapping, bundle_items: Sequence[ItemRef | Any],
             answers: Mapping[str, Any]) -> SituationOutcome:
    """Which sub-items and conditional materials apply for these answers, and why.

    `bundle_items` are ItemRefs (or BundleItem rows, see as_item_ref) in bundle order. Missing or invalid
    answers are reported in `errors`; the rest is still evaluated, an unanswered question matching nothing.
    """
    q = _questionnaire(questionnaire)
    refs = [as_item_ref(row) for row in bundle_items]
    by_code = {ref.code: ref for ref in refs}
    effective, errors = q.resolve_answers(answers or {})
    after = {ref.code: [p for p in ref.after if p in by_code] for ref in refs}

    state: dict[str, str] = {}
    reasons: dict[str, str] = {}
    waits_for: dict[str, list[str]] = {}
    earlier: dict[str, set[str]] = {}   # every included item an item waits for, directly or not
    for stage in topological_stages(after):
        for code in stage:
            rule = q.items.get(code)
            cut = [p for p in after[code] if state[p] == _CUT]
            if cut:
                state[code] = _CUT
                reasons[code] = "依赖的" + "、".join(f"“{by_code[p].name}”" for p in cut) + "不办理"
            elif rule is not None and rule.include_when is not None and (waiting := _unanswered(
                    q, rule.include_when, errors)):
                state[code] = _CUT   # undecided: not part of the application until answered
                reasons[code] = waiting
            elif rule is not None and rule.include_when is not None and not rule.include_when.holds(effective):
                state[code] = _PROCEED if rule.dependants_proceed else _CUT
                reasons[code] = _pick(rule.reason_excluded, effective, DEFAULT_EXCLUDED)
            else:
                state[code] = _INCLUDED
                reasons[code] = _pick(rule.reason_included, effective, DEFAULT_INCLUDED) if rule else MUST
            # An item skipped with dependants_proceed passes its own prerequisites on, so order is kept; a
            # prerequisite already implied by another one is left out.
            waits: list[str] = []
            for p in after[code]:
                for w in ([p] if state[p] == _INCLUDED else waits_for[p]):
                    if w not in waits:
                        waits.append(w)
            implied = set().union(*(earlier[w] for w in waits))
            waits_for[code] = [w for w in waits if w not in implied]
            earlier[code] = set(waits) | implied

    included = [ref.code for ref in refs if state[ref.code] == _INCLUDED]
    excluded = [ref.code for ref in refs if state[ref.code] != _INCLUDED]

    materials_excluded: dict[str, str] = {}
    materials_included: dict[str, str] = {}
    asked = [m for code in included for m in by_code[code].materials]
    for rule in q.materials:
        flags = [m.required for m in asked if m.code == rule.material]
        # A rule narrows a conditional material only; if any included item requires it, it stays required.
        if not flags or any(flags):
            continue
        if waiting := _unanswered(q, rule.include_when, errors):
            materials_excluded[rule.material] = waiting
        elif rule.include_when.holds(effective):
            materials_included[rule.material] = _pick(rule.reason_included, effective, DEFAULT_MATERIAL_INCLUDED)
        else:
            materials_excluded[rule.material] = _pick(rule.reason_excluded, effective, DEFAULT_MATERIAL_EXCLUDED)

    return SituationOutcome(
        answers=effective, errors=errors, included=included, excluded=excluded,
        reasons={ref.code: reasons[ref.code] for ref in refs},
        prerequisites={code: waits_for[code] for code in included},
        materials_excluded=materials_excluded, materials_included=materials_included,
    )


def _unanswered(q: Questionnaire, condition: Condition, errors: Mapping[str, str]) -> str:
    """The reason for a decision that waits on questions still unanswered (or answered wrongly), else ""."""
    pending = [question.text for question in q.questions
               if question.id in errors and question.id in condition.questions()]
    return "待回答" + "、".join(f"“{text}”" for text in pending) + "后确定" if pending else ""


def tolerable_materials(questionnaire: Questionnaire | Mapping, bundle_items: Sequence[ItemRef | Any],
                        included: Collection[str], needed: Collection[str] | None = None) -> list[str]:
    """Required materials that may be supplied later under 容缺受理, in first-asked order.

    A material qualifies when it is not one of the questionnaire's key_materials and every included item that
    requires it allows 容缺 (deficiency_allowed). `needed`, if given (codes, or a mapping keyed by code), limits
    the answer to the materials this application still asks for, e.g. after situational exclusions.
    """
    q = _questionnaire(questionnaire)
    key = set(q.key_materials)
    order: list[str] = []
    blocked: set[str] = set()
    for ref in map(as_item_ref, bundle_items):
        if ref.code not in included:
            continue
        for material in ref.materials:
            if not material.required or (needed is not None and material.code not in needed):
                continue
            if material.code not in order:
                order.append(material.code)
            if not ref.deficiency_allowed:
                blocked.add(material.code)
    return [code for code in order if code not in blocked and code not in key]


# --- checking a questionnaire against its bundle ---------------------------------------------------------------

def answer_combinations(questionnaire: Questionnaire, limit: int = COMBINATION_LIMIT) -> list[dict[str, str]] | None:
    """Every combination of answers (one value per question), or None when there are more than `limit`."""
    count = 1
    for question in questionnaire.questions:
        count *= len(question.values)
        if count > limit:
            return None
    ids = [question.id for question in questionnaire.questions]
    return [dict(zip(ids, values)) for values in itertools.product(*(q.values for q in questionnaire.questions))]


def questionnaire_problems(questionnaire: Questionnaire, bundle_items: Sequence[ItemRef | Any],
                           known_materials: Collection[str]) -> list[str]:
    """What is wrong with a (structurally valid) questionnaire for this bundle, each naming its record.

    Beyond references, every combination of answers is tried: an item without a rule (必办事项) must never be
    cut through its prerequisites, and each item's include_when must hold for some answers and fail for others.
    """
    q = questionnaire
    refs = [as_item_ref(row) for row in bundle_items]
    codes = {ref.code for ref in refs}
    problems: list[str] = []
    for code in q.items:
        if code not in codes:
            problems.append(f"事项 {code}: 不是一件事 {q.bundle} 的子事项")
    asked: dict[str, list[bool]] = {}
    for ref in refs:
        for material in ref.materials:
            asked.setdefault(material.code, []).append(material.required)
    for rule in q.materials:
        where = f"材料 {rule.material}"
        if rule.material not in known_materials:
            problems.append(f"{where}: 引用了不存在的材料")
        elif rule.material not in asked:
            problems.append(f"{where}: 本一件事的子事项都不要求这项材料")
        elif all(asked[rule.material]):
            problems.append(f"{where}: 在本一件事的子事项中都是必需材料，不能按情形增减")
    for code in q.key_materials:
        if code not in known_materials:
            problems.append(f"key_materials: 引用了不存在的材料 {code!r}")
        elif code not in asked:
            problems.append(f"key_materials: 本一件事的子事项都不要求材料 {code!r}")
    if problems:
        return problems

    combinations = answer_combinations(q)
    if combinations is None:
        return [f"questions: 回答组合超过 {COMBINATION_LIMIT} 种，无法逐一校验，请减少问题或选项"]
    outcomes: list[tuple[dict, SituationOutcome]] = [(c, evaluate(q, refs, c)) for c in combinations]
    for code, rule in q.items.items():
        if rule.include_when is None:
            continue
        seen = {rule.include_when.holds(outcome.answers) for _, outcome in outcomes}
        if seen == {False}:
            problems.append(f"事项 {code}: include_when 在任何回答下都不成立，这个事项永远不会办理")
        elif seen == {True}:
            problems.append(f"事项 {code}: include_when 在任何回答下都成立，不必设置条件")
    names = {ref.code: ref.name for ref in refs}
    for ref in refs:
        if ref.code in q.items:
            continue
        example = next((o for _, o in outcomes if ref.code in o.excluded), None)
        if example is not None:
            answered = "；".join(f"{q.question(qid).text}{q.question(qid).label_of(v)}"
                                for qid, v in example.answers.items())
            problems.append(
                f"事项 {ref.code}: 没有规则即为必办事项，但回答为“{answered}”时会被排除"
                f"（{example.reasons[ref.code]}）；请在 items 中为“{names[ref.code]}”写明规则，"
                f"或在前置事项的规则中写 dependants_proceed: true")
    return problems



def describe_condition(condition: Condition, questionnaire: Questionnaire) -> str:
    """A condition in words, for applicants and reviewers, e.g. “父母一方的户籍是否在清涧县？”答“是”."""
    def words(c: Condition) -> str:
        if isinstance(c, Always):
            return "始终" if c.value else "从不"
        if isinstance(c, (Is, In)):
            question = questionnaire.question(c.question)
            values = (c.value,) if isinstance(c, Is) else c.values
            labels = "或".join(f"“{question.label_of(v)}”" for v in values)
            return f"“{question.text}”答{labels}"
        if isinstance(c, Not):
            return f"并非{words(c.part)}"
        joiner = "并且" if isinstance(c, All) else "或者"
        return joiner.join(f"（{words(p)}）" if isinstance(p, (All, AnyOf)) else words(p) for p in c.parts)

    return words(condition)
