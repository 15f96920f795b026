"""Writes to the catalog. Views, commands and the admin call these; nothing else writes catalog rows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from yijianshi.audit.services import audit_record
from yijianshi.catalog.datafiles import ITEM_CONTENT_KEYS, CatalogFiles, normalize_item
from yijianshi.catalog.models import (
    Bundle,
    BundleItem,
    DataElement,
    FrozenVersionError,
    ItemFormField,
    ItemMaterial,
    Material,
    ServiceItem,
    ServiceItemVersion,
)
from yijianshi.catalog.selectors import catalog_references
from yijianshi.catalog.signals import catalog_changed
from yijianshi.organizations.models import Department, ServicePoint, Town

Status = ServiceItemVersion.Status

# The life of an item version. A version is edited only as a draft; publishing freezes it and archives
# the version it replaces, so every state the public ever saw stays on record.
ITEM_VERSION_TRANSITIONS: dict[str, set[str]] = {
    Status.DRAFT: {Status.PUBLISHED},      # a catalog administrator publishes a reviewed draft
    Status.PUBLISHED: {Status.ARCHIVED},   # superseded when the next version is published
    Status.ARCHIVED: set(),                # history: never changes again
}


class InvalidTransition(Exception):
    pass


class DraftInProgressError(Exception):
    """An item has an unpublished draft, so new content from a file or workbook would race with the editor."""


class InvalidItemContent(Exception):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("；".join(errors))


@dataclass
class LoadReport:
    """What a load did, per kind of record: created / updated / unchanged / removed names."""

    changes: dict[str, dict[str, list[str]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(list)))

    def note(self, kind: str, outcome: str, name: str) -> None:
        self.changes[kind][outcome].append(name)

    @property
    def changed(self) -> bool:
        return any(outcome != "unchanged" and names
                   for outcomes in self.changes.values() for outcome, names in outcomes.items())

    def lines(self, verbose: bool = False) -> list[str]:
        labels = {"created": "新增", "updated": "更新", "unchanged": "未变", "removed": "删除"}
        out = []
        for kind, outcomes in self.changes.items():
            counts = "，".join(f"{labels[o]} {len(outcomes.get(o, []))}" for o in labels)
            out.append(f"{kind}：{counts}")
            for outcome in ("created", "updated", "removed"):
                names = outcomes.get(outcome, [])
                if names and (verbose or outcome != "unchanged"):
                    shown = "、".join(names[:12]) + ("……" if len(names) > 12 else "")
                    out.append(f"  {labels[outcome]}：{shown}")
        return out


def _upsert(model, lookup: dict, values: dict, report: LoadReport, kind: str, label: str):
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model.objects.create(**lookup, **values)
        report.note(kind, "created", label)
        return obj
    dirty = [k for k, v in values.items() if getattr(obj, k) != v]
    if dirty:
        for key in dirty:
            setattr(obj, key, values[key])
        obj.save(update_fields=dirty)
        report.note(kind, "updated", label)
    else:
        report.note(kind, "unchanged", label)
    return obj


@transaction.atomic
def catalog_load(files: CatalogFiles, actor=None) -> LoadReport:
    """Bring the database in line with the validated data files. Idempotent: a second run changes nothing."""
    report = LoadReport()
    departments = {}
    for position, row in enumerate(files.departments):
        departments[row["code"]] = _upsert(
            Department, {"code": row["code"]},
            {"name": row["name"], "kind": row["kind"], "full_name": row.get("full_name", ""),
             "responsibilities": row.get("responsibilities", ""), "aliases": row.get("aliases", []),
             "phone": row.get("phone", ""), "address": row.get("address", ""),
             "needs_confirmation": row.get("needs_confirmation", True),
             "in_work_plan": row.get("in_work_plan", True), "position": position},
            report, "部门", row["name"])

    _load_places(files, report)

    for row in files.data_elements:
        _upsert(DataElement, {"code": row["code"]},
                {"name": row["name"], "data_type": row["type"], "validation": row.get("validation") or {},
                 "source_department": departments.get(row.get("source")), "description": row.get("description", "")},
                report, "数据元", row["name"])
    for row in files.materials:
        _upsert(Material, {"code": row["code"]},
                {"name": row["name"], "source": row["source"], "certificate_type": row.get("certificate_type", ""),
                 "issuing_department": departments.get(row.get("issuer")), "description": row.get("description", "")},
                report, "材料", row["name"])

    items = {row["code"]: _load_item(row, departments, report) for row in files.items}

    for row in files.bundles:
        questionnaire = files.situations.get(row["code"])
        _load_bundle(row, departments, items, report, questionnaire.to_dict() if questionnaire else {})

    if report.changed:
        audit_record(action="catalog.load", object_type="catalog", actor=actor, reason="从数据文件装载事项库",
                     after={kind: {outcome: len(names) for outcome, names in outcomes.items() if names}
                            for kind, outcomes in report.changes.items()})
        transaction.on_commit(lambda: catalog_changed.send(sender=catalog_load))
    return report


def _load_places(files: CatalogFiles, report: LoadReport) -> None:
    county = files.county_center
    if county:
        _upsert(ServicePoint, {"code": county["code"]},
                {"name": county["name"], "kind": ServicePoint.Kind.COUNTY_CENTER, "town": None,
                 "address": county.get("address", ""), "phone": str(county.get("phone", "")),
                 "opening_hours": county.get("opening_hours", ""), "needs_confirmation": True},
                report, "服务网点", county["name"])
    for row in files.towns:
        town = _upsert(Town, {"division_code": str(row["division_code"])}, {"name": row["name"]},
                       report, "镇", row["name"])
        name = f"{row['name']}便民服务中心"
        _upsert(ServicePoint, {"code": f"town-{town.division_code}"},
                {"name": name, "kind": ServicePoint.Kind.TOWN_CENTER, "town": town,
                 "address": f"清涧县{row['name']}人民政府便民服务中心", "phone": "12345",
                 "opening_hours": files.town_center_opening_hours, "needs_confirmation": True},
                report, "服务网点", name)


def version_content(version: ServiceItemVersion) -> dict:
    """A version in the same canonical shape as a validated data-file item, for comparison and export."""
    content = {key: getattr(version, key) for key in ITEM_CONTENT_KEYS if key not in ("department", "materials", "fields")}
    content["department"] = version.department.code
    content["materials"] = [
        {"material": m.material.code, "form": m.form, "copies": m.copies, "required": m.required,
         "condition": m.condition, "note": m.note}
        for m in version.materials.select_related("material").order_by("position", "id")
    ]
    content["fields"] = [
        {"element": f.data_element.code, "label": f.label, "required": f.required}
        for f in version.form_fields.select_related("data_element").order_by("position", "id")
    ]
    return content


def _load_item(row: dict, departments: dict, report: LoadReport) -> ServiceItem:
    item, _ = ServiceItem.objects.get_or_create(code=row["code"])
    wanted = {key: row[key] for key in ITEM_CONTENT_KEYS}
    current = item.published_version
    if current is not None and version_content(current) == wanted:
        report.note("事项", "unchanged", row["name"])
        return item
    version = _create_version(item, wanted, departments)
    # The files were validated as a whole already; catalog_load notifies once for the whole load.
    item_version_publish(version, notify=False, validate=False)
    report.note("事项", "updated" if current else "created", row["name"])
    return item


def _create_version(item: ServiceItem, content: dict, departments: dict | None = None) -> ServiceItemVersion:
    """A new draft version of `item` holding `content` (canonical shape)."""
    draft = item.versions.filter(status=Status.DRAFT).first()
    if draft is not None:
        raise DraftInProgressError(
            f"事项 {item.code} 有未发布的草稿（第 {draft.version} 版），请先在管理后台发布或删除该草稿，再加载或导入。")
    latest = item.versions.aggregate(latest=Max("version"))["latest"] or 0
    department = (departments or {}).get(content["department"]) or Department.objects.get(code=content["department"])
    scalars = {k: v for k, v in content.items() if k not in ("department", "materials", "fields")}
    version = ServiceItemVersion.objects.create(item=item, version=latest + 1, status=Status.DRAFT,
                                                department=department, **scalars)
    materials = {m.code: m for m in Material.objects.filter(code__in=[m["material"] for m in content["materials"]])}
    ItemMaterial.objects.bulk_create([
        ItemMaterial(version=version, material=materials[m["material"]], form=m["form"], copies=m["copies"],
                     required=m["required"], condition=m["condition"], note=m.get("note", ""), position=i)
        for i, m in enumerate(content["materials"])
    ])
    elements = {e.code: e for e in DataElement.objects.filter(code__in=[f["element"] for f in content["fields"]])}
    ItemFormField.objects.bulk_create([
        ItemFormField(version=version, data_element=elements[f["element"]], label=f["label"],
                      required=f["required"], position=i)
        for i, f in enumerate(content["fields"])
    ])
    return version


def _load_bundle(row: dict, departments: dict, items: dict, report: LoadReport, questionnaire: dict) -> None:
    bundle = _upsert(
        Bundle, {"code": row["code"]},
        {"number": row["number"], "name": row["name"], "source_name": row["source_name"], "tier": row["tier"],
         "subject": row["subject"], "lead_department": departments[row["lead"]], "summary": row["summary"],
         "aliases": row.get("aliases", []), "corrections": row.get("corrections", []),
         "needs_confirmation": row.get("needs_confirmation", True), "questionnaire": questionnaire,
         "establishing_item": items.get(row["establishes_enterprise"]) if row.get("establishes_enterprise") else None},
        report, "一件事", row["name"])
    existing = {bi.item.code: bi for bi in bundle.bundle_items.select_related("item").prefetch_related("prerequisites__item")}
    wanted_codes = [r["item"] for r in row["items"]]
    rows_changed = False
    for code in set(existing) - set(wanted_codes):
        existing.pop(code).delete()
        rows_changed = True
    # Move kept rows out of the way first so new positions never collide with old ones.
    offset = 1000
    if any(existing[c].position != i for i, c in enumerate(wanted_codes) if c in existing):
        for bi in existing.values():
            bi.position += offset
            bi.save(update_fields=["position"])
        rows_changed = True
    rows = {}
    for position, r in enumerate(row["items"]):
        values = {"position": position, "source_name": r["source"], "correction": r.get("correction", "")}
        bi = existing.get(r["item"])
        if bi is None:
            bi = BundleItem.objects.create(bundle=bundle, item=items[r["item"]], **values)
            rows_changed = True
        elif any(getattr(bi, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(bi, k, v)
            bi.save()
            rows_changed = True
        rows[r["item"]] = bi
    for r in row["items"]:
        bi = rows[r["item"]]
        wanted = {rows[c].pk for c in r.get("after") or []}
        if {p.pk for p in bi.prerequisites.all()} != wanted:
            bi.prerequisites.set(wanted)
            rows_changed = True
    if rows_changed and report.changes["一件事"]["unchanged"][-1:] == [row["name"]]:
        report.changes["一件事"]["unchanged"].pop()
        report.note("一件事", "updated", row["name"])


def _transition(version: ServiceItemVersion, target: str) -> None:
    if target not in ITEM_VERSION_TRANSITIONS[version.status]:
        raise InvalidTransition(f"{version.get_status_display()} 的版本不能变为 {Status(target).label}")
    version.status = target
    if target == Status.PUBLISHED:
        version.published_at = timezone.now()
    version.save(update_fields=["status", "published_at"], _status_transition=True)


@transaction.atomic
def item_version_publish(version: ServiceItemVersion, notify: bool = True, validate: bool = True,
                         actor=None) -> ServiceItemVersion:
    """Publish a draft: it becomes the item's current version and the previous one is archived.

    The draft must satisfy the same rules as the data files. `notify=False` lets a bulk caller send one
    `catalog_changed` for all its publications; `validate=False` is for callers that validated already.
    """
    item = ServiceItem.objects.select_for_update().get(pk=version.item_id)
    version = ServiceItemVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != Status.DRAFT:
        raise InvalidTransition(f"只有草稿可以发布，{version} 不是草稿。")
    if validate:
        errors = item_content_errors(item.code, version_content(version))
        if errors:
            raise InvalidItemContent(errors)
    previous = item.published_version
    if previous is not None:
        _transition(previous, Status.ARCHIVED)
    _transition(version, Status.PUBLISHED)
    item.published_version = version
    item.save(update_fields=["published_version"])
    audit_record(action="catalog.item_publish", object_type="catalog.serviceitem", object_id=item.code, actor=actor,
                 before={"version": previous.version if previous else None},
                 after={"version": version.version, "name": version.name})
    if notify:
        transaction.on_commit(lambda: catalog_changed.send(sender=item_version_publish))
    return version


@transaction.atomic
def item_draft_create(item: ServiceItem, actor=None) -> ServiceItemVersion:
    """Start editing an item: a draft copy of its published version (or the existing draft)."""
    item = ServiceItem.objects.select_for_update().get(pk=item.pk)
    draft = item.versions.filter(status=Status.DRAFT).first()
    if draft is not None:
        return draft
    if item.published_version is None:
        raise FrozenVersionError(f"{item.code} 没有已发布版本可以复制。")
    draft = _create_version(item, version_content(item.published_version))
    audit_record(action="catalog.item_draft", object_type="catalog.serviceitem", object_id=item.code, actor=actor,
                 after={"version": draft.version})
    return draft


def item_content_errors(code: str, content: dict) -> list[str]:
    """The data files' rules applied to one item's canonical content, against the database's references."""
    errors: list[str] = []
    normalize_item({**content, "code": code}, "事项", catalog_references(), errors)
    return errors


def item_import_content(content: dict, notify: bool = True, actor=None) -> tuple[ServiceItemVersion, bool]:
    """Publish `content` (canonical, validated) as the item's next version unless it is unchanged."""
    item, _ = ServiceItem.objects.get_or_create(code=content["code"])
    wanted = {key: content[key] for key in ITEM_CONTENT_KEYS}
    if item.published_version is not None and version_content(item.published_version) == wanted:
        return item.published_version, False
    # Callers validate the whole workbook or file before importing any item.
    return item_version_publish(_create_version(item, wanted), notify=notify, validate=False, actor=actor), True
