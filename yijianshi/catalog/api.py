"""Read-only catalog API: bundles, items, departments. Thin: shapes selector results."""

from __future__ import annotations

from ninja import Field, Router, Schema
from ninja.errors import HttpError

from yijianshi.catalog import selectors
from yijianshi.catalog.models import Bundle, ItemMaterial, ItemType, ServiceItemVersion

router = Router(tags=["事项库"])


class ItemRef(Schema):
    code: str
    name: str
    department: str


class BundleOut(Schema):
    code: str
    number: int
    name: str
    tier: str
    tier_label: str
    subject: str
    subject_label: str
    lead_department: str
    items: list[ItemRef]


class StageItemOut(ItemRef):
    after: list[str]


class MergedFieldOut(Schema):
    element: str
    label: str
    data_type: str
    required: bool
    source_department: str | None
    items: list[str]


class MergedMaterialOut(Schema):
    code: str
    name: str
    form: str
    form_label: str
    copies: int
    required: bool
    conditions: list[str]
    source: str
    certificate_type: str
    items: list[str]


class BundleTimeOut(Schema):
    promised_days: int
    promised_days_separately: int
    days_saved: int
    critical_chain: list[str]


class BundleVisitsOut(Schema):
    visits: int
    visits_separately: int
    visits_saved: int


class BundleDetailOut(BundleOut):
    source_name: str
    summary: str
    corrections: list[str]
    stages: list[list[StageItemOut]]
    form_fields: list[MergedFieldOut]
    materials: list[MergedMaterialOut]
    time: BundleTimeOut
    visits: BundleVisitsOut
    needs_confirmation: bool


class ItemOut(Schema):
    code: str
    name: str
    item_type: str
    item_type_label: str
    department: str
    version: int
    handling_type: str
    promised_time_limit_days: int
    online_capable: bool


class MaterialOut(Schema):
    code: str
    name: str
    form: str
    form_label: str
    copies: int
    required: bool
    condition: str
    source: str
    certificate_type: str


class FormFieldOut(Schema):
    element: str
    label: str
    data_type: str
    required: bool
    source_department: str | None


class ProcessStepOut(Schema):
    name: str
    description: str


class BundleRef(Schema):
    code: str
    number: int
    name: str


class ItemDetailOut(ItemOut):
    source_name: str
    legal_basis: str
    acceptance_conditions: str
    service_objects: list[str]
    process_steps: list[ProcessStepOut]
    legal_time_limit_days: int | None
    fee_charged: bool
    fee_description: str
    fee_basis: str
    result_type: str
    result_name: str
    handling_place: str
    handling_hours: str
    consult_phone: str
    complaint_phone: str
    visits_required: int
    tongban_scope: str
    commitment_allowed: bool
    deficiency_allowed: bool
    aliases: list[str]
    needs_confirmation: bool
    published_at: str | None
    materials: list[MaterialOut]
    form_fields: list[FormFieldOut]
    bundles: list[BundleRef]


class DepartmentOut(Schema):
    code: str
    name: str
    kind: str
    kind_label: str
    full_name: str
    responsibilities: str
    in_work_plan: bool = Field(description="工作方案附件所列单位；否则为 12345 分拨需要的其他县级单位")


def _item_ref(bundle_item) -> dict:
    version = bundle_item.item.published_version
    return {"code": bundle_item.item.code, "name": version.name, "department": version.department.name}


def _bundle_summary(bundle: Bundle) -> dict:
    return {
        "code": bundle.code, "number": bundle.number, "name": bundle.name,
        "tier": bundle.tier, "tier_label": bundle.get_tier_display(),
        "subject": bundle.subject, "subject_label": bundle.get_subject_display(),
        "lead_department": bundle.lead_department.name,
        "items": [_item_ref(bi) for bi in bundle.bundle_items.all()],
    }


@router.get("/bundles", response=list[BundleOut], summary="“一件事”列表")
def list_bundles(request, subject: Bundle.Subject | None = None):
    return [_bundle_summary(b) for b in selectors.bundle_list(subject=subject)]


@router.get("/bundles/{code}", response=BundleDetailOut, summary="“一件事”详情：一表申请、一套材料、办理环节")
def get_bundle(request, code: str):
    bundle = selectors.bundle_get(code)
    if bundle is None:
        raise HttpError(404, f"未找到编码为 {code} 的“一件事”")
    guide = selectors.bundle_guide(bundle)
    plan = guide.plan
    after = {row.item.code: [p.item.code for p in row.prerequisites.all()] for row in guide.rows}
    form_labels = dict(ItemMaterial.Form.choices)
    return {
        **_bundle_summary(bundle),
        "source_name": bundle.source_name, "summary": bundle.summary, "corrections": bundle.corrections,
        "needs_confirmation": bundle.needs_confirmation,
        "stages": [[{**_item_ref(row), "after": after[row.item.code]} for row in stage]
                   for stage in guide.stage_rows()],
        "form_fields": [
            {"element": f.element, "label": f.label, "data_type": guide.elements[f.element].data_type,
             "required": f.required, "items": f.items,
             "source_department": getattr(guide.elements[f.element].source_department, "name", None)}
            for f in plan.fields
        ],
        "materials": [
            {"code": m.material, "name": m.name, "form": m.form, "form_label": form_labels[m.form],
             "copies": m.copies, "required": m.required, "conditions": m.conditions, "items": m.items,
             "source": guide.materials[m.material].source,
             "certificate_type": guide.materials[m.material].certificate_type}
            for m in plan.materials
        ],
        "time": {"promised_days": plan.promised_days, "promised_days_separately": plan.promised_days_separately,
                 "days_saved": plan.days_saved, "critical_chain": plan.critical_chain},
        "visits": {"visits": plan.visits, "visits_separately": plan.visits_separately,
                   "visits_saved": plan.visits_saved},
    }


def _item_summary(item) -> dict:
    v: ServiceItemVersion = item.published_version
    return {"code": item.code, "name": v.name, "item_type": v.item_type, "item_type_label": ItemType(v.item_type).label,
            "department": v.department.name, "version": v.version, "handling_type": v.handling_type,
            "promised_time_limit_days": v.promised_time_limit_days, "online_capable": v.online_capable}


@router.get("/items", response=list[ItemOut], summary="事项列表（现行版本）")
def list_items(request, department: str | None = None):
    items = selectors.item_list()
    if department:
        items = items.filter(published_version__department__code=department)
    return [_item_summary(i) for i in items]


@router.get("/items/{code}", response=ItemDetailOut, summary="事项详情（实施清单要素）")
def get_item(request, code: str):
    item = selectors.item_get(code)
    if item is None:
        raise HttpError(404, f"未找到编码为 {code} 的事项")
    v = item.published_version
    scalars = {k: getattr(v, k) for k in (
        "source_name", "legal_basis", "acceptance_conditions", "service_objects", "process_steps",
        "legal_time_limit_days", "fee_charged", "fee_description", "fee_basis", "result_type", "result_name",
        "handling_place", "handling_hours", "consult_phone", "complaint_phone", "visits_required",
        "tongban_scope", "commitment_allowed", "deficiency_allowed", "aliases", "needs_confirmation")}
    return {
        **_item_summary(item), **scalars,
        "published_at": v.published_at.isoformat() if v.published_at else None,
        "materials": [
            {"code": m.material.code, "name": m.material.name, "form": m.form, "form_label": m.get_form_display(),
             "copies": m.copies, "required": m.required, "condition": m.condition, "source": m.material.source,
             "certificate_type": m.material.certificate_type}
            for m in v.materials.all()
        ],
        "form_fields": [
            {"element": f.data_element.code, "label": f.label or f.data_element.name,
             "data_type": f.data_element.data_type, "required": f.required,
             "source_department": getattr(f.data_element.source_department, "name", None)}
            for f in v.form_fields.all()
        ],
        "bundles": [{"code": b.code, "number": b.number, "name": b.name} for b in selectors.bundles_using_item(item)],
    }


@router.get("/departments", response=list[DepartmentOut], summary="部门（单位）列表")
def list_departments(request):
    return [{"code": d.code, "name": d.name, "kind": d.kind, "kind_label": d.get_kind_display(),
             "full_name": d.full_name, "responsibilities": d.responsibilities, "in_work_plan": d.in_work_plan}
            for d in selectors.department_list()]
