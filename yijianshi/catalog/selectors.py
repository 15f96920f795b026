"""Reads of the published catalog, shaped for guides and the API."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from yijianshi.catalog.datafiles import References
from yijianshi.catalog.domain.merge import BundlePlan, FieldSpec, ItemSpec, MaterialSpec, plan_bundle
from yijianshi.catalog.domain.situation import ItemRef, MaterialRef, Questionnaire
from yijianshi.catalog.models import (
    Bundle,
    BundleItem,
    DataElement,
    ItemFormField,
    ItemMaterial,
    Material,
    ServiceItem,
    ServiceItemVersion,
)
from yijianshi.organizations.models import Department

_VERSION_DETAIL = [
    Prefetch("published_version__materials",
             queryset=ItemMaterial.objects.select_related("material__issuing_department").order_by("position", "id")),
    Prefetch("published_version__form_fields",
             queryset=ItemFormField.objects.select_related("data_element__source_department").order_by("position", "id")),
]


def catalog_references() -> References:
    """The codes an item may refer to, as they are in the database now (for validating drafts and imports)."""
    return References(
        departments=set(Department.objects.values_list("code", flat=True)),
        data_elements=set(DataElement.objects.values_list("code", flat=True)),
        materials=set(Material.objects.values_list("code", flat=True)),
    )


def department_list() -> QuerySet[Department]:
    return Department.objects.all()


def bundle_list(subject: str | None = None) -> QuerySet[Bundle]:
    bundles = Bundle.objects.select_related("lead_department").prefetch_related(
        Prefetch("bundle_items", queryset=BundleItem.objects.select_related(
            "item__published_version__department").order_by("position")),
    )
    if subject:
        bundles = bundles.filter(subject=subject)
    return bundles


def bundle_get(code: str) -> Bundle | None:
    """A bundle with everything its guide shows, in a fixed number of queries."""
    return (
        Bundle.objects.select_related("lead_department")
        .prefetch_related(
            Prefetch("bundle_items", queryset=BundleItem.objects.select_related(
                "item__published_version__department").prefetch_related(
                "prerequisites",
                *[Prefetch(f"item__{p.prefetch_through}", queryset=p.queryset) for p in _VERSION_DETAIL],
            ).order_by("position")),
        )
        .filter(code=code)
        .first()
    )


def bundle_questionnaire(bundle: Bundle) -> Questionnaire:
    """The bundle's situation questionnaire (情形引导); an empty one, where every sub-item applies, if it has none."""
    if not bundle.questionnaire:
        return Questionnaire(bundle=bundle.code)
    return Questionnaire.from_dict(bundle.questionnaire)


def bundle_item_refs(bundle: Bundle) -> list[ItemRef]:
    """The bundle's sub-items for the situation evaluator, from a bundle fetched by bundle_get (no extra queries)."""
    rows = list(bundle.bundle_items.all())
    codes_by_pk = {row.pk: row.item.code for row in rows}
    return [
        ItemRef(code=row.item.code, name=row.item.published_version.name,
                after=tuple(codes_by_pk[p.pk] for p in row.prerequisites.all()),
                deficiency_allowed=row.item.published_version.deficiency_allowed,
                materials=tuple(MaterialRef(m.material.code, m.required)
                                for m in row.item.published_version.materials.all()))
        for row in rows
    ]


def item_list() -> QuerySet[ServiceItem]:
    return (ServiceItem.objects.filter(published_version__isnull=False)
            .select_related("published_version__department").order_by("code"))


def item_get(code: str) -> ServiceItem | None:
    return (ServiceItem.objects.filter(code=code, published_version__isnull=False)
            .select_related("published_version__department").prefetch_related(*_VERSION_DETAIL).first())


def bundles_using_item(item: ServiceItem) -> QuerySet[Bundle]:
    return Bundle.objects.filter(bundle_items__item=item).order_by("number")


def _item_spec(bundle_item: BundleItem, codes_by_pk: dict[int, str]) -> ItemSpec:
    version: ServiceItemVersion = bundle_item.item.published_version
    return ItemSpec(
        code=bundle_item.item.code,
        name=version.name,
        department=version.department.name,
        promised_days=version.promised_time_limit_days,
        legal_days=version.legal_time_limit_days,
        visits=version.visits_required,
        fields=tuple(FieldSpec(f.data_element.code, f.label or f.data_element.name, f.required)
                     for f in version.form_fields.all()),
        materials=tuple(MaterialSpec(m.material.code, m.material.name, m.form, m.copies, m.required, m.condition)
                        for m in version.materials.all()),
        after=tuple(codes_by_pk[p.pk] for p in bundle_item.prerequisites.all()),
    )


@dataclass
class BundleGuide:
    """Everything a bundle's guide shows: the bundle, its sub-items in order, and the derived plan."""

    bundle: Bundle
    rows: list[BundleItem]
    plan: BundlePlan
    items_by_code: dict[str, ServiceItem]
    elements: dict[str, DataElement]
    materials: dict[str, Material]

    def stage_rows(self) -> list[list[BundleItem]]:
        by_code = {row.item.code: row for row in self.rows}
        return [[by_code[code] for code in stage] for stage in self.plan.stages]

    @property
    def departments(self) -> list[Department]:
        seen: dict[int, Department] = {}
        for row in self.rows:
            department = row.item.published_version.department
            seen.setdefault(department.pk, department)
        return list(seen.values())


def bundle_guide(bundle: Bundle) -> BundleGuide:
    """Derive the merged form, materials, stages, time and visits of a bundle fetched by bundle_get."""
    rows = list(bundle.bundle_items.all())
    codes_by_pk = {row.pk: row.item.code for row in rows}
    plan = plan_bundle([_item_spec(row, codes_by_pk) for row in rows])
    elements, materials = {}, {}
    for row in rows:
        version = row.item.published_version
        for f in version.form_fields.all():
            elements[f.data_element.code] = f.data_element
        for m in version.materials.all():
            materials[m.material.code] = m.material
    return BundleGuide(bundle=bundle, rows=rows, plan=plan, items_by_code={r.item.code: r.item for r in rows},
                       elements=elements, materials=materials)
