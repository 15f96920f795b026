"""What a bundle derives from its items: one form, one set of materials, its time and visits.

Nothing here is typed twice in the catalog: the merged form is the union of the items' fields with shared
data elements asked once, the merged materials drop duplicates, and the bundle's time is the critical path
of the 前后置 graph instead of the sum of all items' times.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from yijianshi.catalog.domain.graph import critical_path, topological_stages

# Which material form covers which: an original shown with a copy left covers both.
_FORM_STRENGTH = {"electronic": 0, "copy": 1, "original": 2, "original_and_copy": 3}


@dataclass(frozen=True)
class FieldSpec:
    element: str
    label: str
    required: bool = True


@dataclass(frozen=True)
class MaterialSpec:
    material: str
    name: str
    form: str
    copies: int = 1
    required: bool = True
    condition: str = ""


@dataclass(frozen=True)
class ItemSpec:
    code: str
    name: str
    department: str
    promised_days: int
    legal_days: int | None
    visits: int
    fields: tuple[FieldSpec, ...] = ()
    materials: tuple[MaterialSpec, ...] = ()
    after: tuple[str, ...] = ()


@dataclass
class MergedField:
    element: str
    label: str
    required: bool
    items: list[str] = field(default_factory=list)


@dataclass
class MergedMaterial:
    material: str
    name: str
    form: str
    copies: int
    required: bool
    conditions: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)


@dataclass
class BundlePlan:
    stages: list[list[str]]
    fields: list[MergedField]
    materials: list[MergedMaterial]
    promised_days: int
    promised_days_separately: int
    critical_chain: list[str]
    legal_days_separately: int
    visits: int
    visits_separately: int
    field_count_separately: int
    material_count_separately: int

    @property
    def days_saved(self) -> int:
        return self.promised_days_separately - self.promised_days

    @property
    def visits_saved(self) -> int:
        return self.visits_separately - self.visits


def merge_fields(items: list[ItemSpec]) -> list[MergedField]:
    """Union of fields in first-seen order; a data element shared by several items is asked once."""
    merged: dict[str, MergedField] = {}
    for item in items:
        for spec in item.fields:
            entry = merged.get(spec.element)
            if entry is None:
                entry = merged[spec.element] = MergedField(spec.element, spec.label, spec.required)
            entry.required = entry.required or spec.required
            entry.items.append(item.code)
    return list(merged.values())


def merge_materials(items: list[ItemSpec]) -> list[MergedMaterial]:
    """One set of materials: each kind once, in the strongest form and largest count any item asks.

    A material stays conditional only if every item asking for it does so conditionally.
    """
    merged: dict[str, MergedMaterial] = {}
    for item in items:
        for spec in item.materials:
            entry = merged.get(spec.material)
            if entry is None:
                entry = merged[spec.material] = MergedMaterial(
                    spec.material, spec.name, spec.form, spec.copies, spec.required)
            else:
                if _FORM_STRENGTH[spec.form] > _FORM_STRENGTH[entry.form]:
                    entry.form = spec.form
                entry.copies = max(entry.copies, spec.copies)
                entry.required = entry.required or spec.required
            if not spec.required and spec.condition and spec.condition not in entry.conditions:
                entry.conditions.append(spec.condition)
            entry.items.append(item.code)
    for entry in merged.values():
        if entry.required:
            entry.conditions = []
    return list(merged.values())


def plan_bundle(items: list[ItemSpec]) -> BundlePlan:
    prerequisites = {item.code: list(item.after) for item in items}
    durations = {item.code: item.promised_days for item in items}
    promised, chain = critical_path(prerequisites, durations)
    fields = merge_fields(items)
    materials = merge_materials(items)
    return BundlePlan(
        stages=topological_stages(prerequisites),
        fields=fields,
        materials=materials,
        promised_days=promised,
        promised_days_separately=sum(durations.values()),
        critical_chain=chain,
        legal_days_separately=sum(item.legal_days or 0 for item in items),
        # At one window the visits happen together, so the most demanding item sets the count;
        # handled separately every item costs its own visits.
        visits=max((item.visits for item in items), default=0),
        visits_separately=sum(item.visits for item in items),
        field_count_separately=sum(len(item.fields) for item in items),
        material_count_separately=sum(len(item.materials) for item in items),
    )
