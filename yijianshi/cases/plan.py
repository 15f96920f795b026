"""From a bundle and an applicant's answers to what the case is made of: which sub-items apply (情形引导), the
merged form's rules, which materials are needed or may follow later (容缺), the time on the critical path, and
finally the department tasks. Reads the catalog; the decisions themselves are plain Python in the domain modules.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from yijianshi.cases.domain.forms import FieldRule, clean_form, lock_authoritative
from yijianshi.cases.models import Case, CaseMaterial, Task
from yijianshi.cases.storage import owned_file_ids
from yijianshi.catalog.domain.graph import critical_path
from yijianshi.catalog.models import Bundle, BundleItem
from yijianshi.catalog.selectors import bundle_questionnaire


@dataclass
class CasePlan:
    answers: dict = field(default_factory=dict)
    situation: dict = field(default_factory=dict)   # {"included": [...], "excluded": [...], "reasons": {...}}
    included: list[str] = field(default_factory=list)
    form_data: dict = field(default_factory=dict)
    provided: dict = field(default_factory=dict)     # material code -> StoredFile id
    exempted: dict = field(default_factory=dict)     # material code -> Certificate on file (免提交)
    deferred: list[str] = field(default_factory=list)
    commitment_items: list[str] = field(default_factory=list)
    material_ids: dict = field(default_factory=dict)
    material_names: dict = field(default_factory=dict)
    item_names: dict = field(default_factory=dict)
    promised_days: int = 0
    legal_days: int = 0
    errors: dict = field(default_factory=dict)       # field -> Chinese message naming it


def _rows(bundle: Bundle) -> list[BundleItem]:
    return list(bundle.bundle_items.select_related("item__published_version__department")
                .prefetch_related("prerequisites__item", "item__published_version__form_fields__data_element",
                                  "item__published_version__materials__material"))


def situation_outcome(bundle: Bundle, answers: dict):
    """(included codes, reasons, excluded material codes, errors) for these answers."""
    from yijianshi.catalog.domain.situation import evaluate

    rows = _rows(bundle)
    outcome = evaluate(bundle_questionnaire(bundle), rows, answers or {})
    return rows, outcome


def form_rules(rows: list[BundleItem], included: set[str]) -> list[FieldRule]:
    rules: dict[str, FieldRule] = {}
    for row in rows:
        if row.item.code not in included:
            continue
        for f in row.item.published_version.form_fields.all():
            element = f.data_element
            known = rules.get(element.code)
            rules[element.code] = FieldRule(
                element=element.code, label=(known.label if known else (f.label or element.name)),
                data_type=element.data_type, required=f.required or (known.required if known else False),
                validation=element.validation or {})
    return list(rules.values())


# Materials the platform produces itself: the application form is the merged form the applicant fills in and
# confirms, the commitment letter is generated from the commitment they sign. Nobody uploads them.
PLATFORM_GENERATED = {"application-form", "commitment-letter"}


def material_needs(rows, outcome) -> dict[str, dict]:
    """material code -> {id, name, required, items}: each material once for the whole bundle, to upload, for a
    situation outcome (its included items, and the conditional materials it leaves out or brings in)."""
    included, excluded_materials = set(outcome.included), outcome.materials_excluded
    included_materials = outcome.materials_included
    needs: dict[str, dict] = {}
    for row in rows:
        if row.item.code not in included:
            continue
        version = row.item.published_version
        for m in version.materials.all():
            if m.material.code in excluded_materials or m.material.code in PLATFORM_GENERATED:
                continue
            entry = needs.setdefault(m.material.code, {"id": m.material_id, "name": m.material.name,
                                                       "required": False, "items": [],
                                                       "certificate_type": m.material.certificate_type})
            # A conditional material the answers say applies (married -> 结婚证) is needed like any other.
            entry["required"] = entry["required"] or m.required or m.material.code in included_materials
            entry["items"].append(row.item.code)
    return needs


def exemptions(needs: dict[str, dict], on_file: dict) -> dict:
    """material code -> the certificate on file that proves it (免提交): government-issued materials whose
    certificate type the applicant holds a valid e-certificate of (``on_file``: type name -> Certificate)."""
    return {code: on_file[need["certificate_type"]] for code, need in needs.items()
            if need.get("certificate_type") and need["certificate_type"] in on_file}


def plan_case(bundle: Bundle, answers: dict, form_data: dict, materials: dict, deferred: list,
              commitment_signed: bool, uploader, authoritative: dict | None = None,
              on_file: dict | None = None) -> CasePlan:
    plan = CasePlan(answers=dict(answers or {}))
    rows, outcome = situation_outcome(bundle, answers)
    for question, message in (outcome.errors or {}).items():
        plan.errors[f"answers.{question}"] = message
    included = set(outcome.included)
    plan.included = [row.item.code for row in rows if row.item.code in included]
    plan.item_names = {row.item.code: row.item.published_version.name for row in rows}
    plan.situation = {"included": plan.included, "excluded": list(outcome.excluded), "reasons": dict(outcome.reasons)}
    rules = form_rules(rows, included)
    locked, lock_errors = lock_authoritative(rules, form_data or {}, authoritative or {})
    clean, errors = clean_form(rules, locked)
    plan.form_data = clean
    plan.errors.update({f"form.{k}": v for k, v in {**errors, **lock_errors}.items()})

    needs = material_needs(rows, outcome)
    tolerable = _tolerable(bundle, rows, included, needs)
    plan.material_ids = {code: need["id"] for code, need in needs.items()}
    plan.material_names = {code: need["name"] for code, need in needs.items()}
    plan.exempted = exemptions(needs, on_file or {})
    file_ids = owned_file_ids(uploader, (materials or {}).values())
    for code, file_id in (materials or {}).items():
        if code in plan.exempted:
            continue  # the certificate on file is the authoritative copy; an upload of it is not kept
        if code not in needs:
            plan.errors[f"materials.{code}"] = f"材料 {code}：本次申请不需要该材料"
        elif file_id not in file_ids:
            plan.errors[f"materials.{code}"] = f"{needs[code]['name']}：上传的文件不存在，请重新上传"
        else:
            plan.provided[code] = file_id
    for code, need in needs.items():
        if not need["required"] or code in plan.provided or code in plan.exempted or f"materials.{code}" in plan.errors:
            continue
        if code in (deferred or []) and code in tolerable:
            plan.deferred.append(code)
        elif code in (deferred or []):
            plan.errors[f"materials.{code}"] = f"{need['name']}：该材料是核心材料，不能容缺后补"
        else:
            plan.errors[f"materials.{code}"] = f"{need['name']}：请上传"
    commitment_items = [row.item.code for row in rows
                        if row.item.code in included and row.item.published_version.commitment_allowed]
    if plan.deferred and not commitment_signed:
        plan.errors["commitment_signed"] = "容缺承诺：容缺受理须签署承诺书，承诺限期补交材料"
    if commitment_signed:
        plan.commitment_items = commitment_items
    durations = {row.item.code: row.item.published_version.promised_time_limit_days for row in rows
                 if row.item.code in included}
    legal = {row.item.code: row.item.published_version.legal_time_limit_days or 0 for row in rows
             if row.item.code in included}
    prerequisites = {row.item.code: [p.item.code for p in row.prerequisites.all() if p.item.code in included]
                     for row in rows if row.item.code in included}
    plan.promised_days = critical_path(prerequisites, durations)[0] if durations else 0
    plan.legal_days = critical_path(prerequisites, legal)[0] if legal else 0
    return plan


def _tolerable(bundle, rows, included, needs) -> set[str]:
    from yijianshi.catalog.domain.situation import tolerable_materials

    return set(tolerable_materials(bundle_questionnaire(bundle), rows, included, needs))


def apply_correction(case: Case, form_data: dict, materials: dict, uploader,
                     authoritative: dict | None = None) -> CasePlan:
    """Merge corrected values and replacement files into the case; only fields and materials the case has."""
    plan = CasePlan()
    rows = _rows(case.bundle)
    included = set(case.situation.get("included", []))
    current = json.loads(case.form_data or "{}")
    rules = form_rules(rows, included)
    merged, lock_errors = lock_authoritative(rules, {**current, **(form_data or {})}, authoritative or {})
    clean, errors = clean_form(rules, merged)
    plan.errors.update({f"form.{k}": v for k, v in {**errors, **lock_errors}.items()})
    own = {m.material.code: m for m in case.materials.select_related("material")}
    uploaded = owned_file_ids(uploader, (materials or {}).values())
    for code, file_id in (materials or {}).items():
        if code not in own:
            plan.errors[f"materials.{code}"] = f"材料 {code}：本办件没有该材料"
        elif file_id not in uploaded:
            plan.errors[f"materials.{code}"] = f"{own[code].material.name}：上传的文件不存在，请重新上传"
    if plan.errors:
        return plan
    Case.objects.filter(pk=case.pk).update(form_data=json.dumps(clean, ensure_ascii=False))
    case.form_data = json.dumps(clean, ensure_ascii=False)
    for code, file_id in (materials or {}).items():
        CaseMaterial.objects.filter(pk=own[code].pk).update(file_id=file_id, status=CaseMaterial.Status.PROVIDED,
                                                            note="已补正")
    return plan


def create_tasks(case: Case) -> list[Task]:
    rows = {row.item.code: row for row in _rows(case.bundle)}
    included = [code for code in case.situation.get("included", []) if code in rows]
    tasks = {}
    for code in included:
        version = rows[code].item.published_version
        tasks[code] = Task.objects.create(case=case, bundle_item=rows[code], item_version=version,
                                          department=version.department,
                                          promised_days=version.promised_time_limit_days)
    for code, task in tasks.items():
        task.prerequisites.set([tasks[p.item.code] for p in rows[code].prerequisites.all() if p.item.code in tasks])
    return list(tasks.values())


def commitment_letter(case: Case, plan: CasePlan, kind: str) -> str:
    from django.template.loader import render_to_string

    return render_to_string("cases/commitment_letter.txt", {
        "case": case, "kind": kind, "deferred": [plan.material_names.get(c, c) for c in plan.deferred],
        "items": [name for code, name in plan.item_names.items() if code in plan.commitment_items],
        "applicant": case.applicant.display_name})
