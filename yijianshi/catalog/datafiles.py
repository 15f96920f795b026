"""Read and validate the catalog data files (data/catalog/) without touching the database.

Everything is checked before anything is written, so a bad file never half-loads. Errors name the file,
the record and the field, in Chinese for the catalog staff who review them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from yijianshi.catalog.domain.graph import CycleError, topological_stages
from yijianshi.catalog.domain.situation import (
    ItemRef,
    MaterialRef,
    Questionnaire,
    QuestionnaireError,
    questionnaire_problems,
)

ITEM_TYPES = {"01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "20"}
HANDLING_TYPES = {"immediate", "promised"}
TONGBAN_SCOPES = {"none", "city", "province", "cross_province"}
MATERIAL_FORMS = {"original", "copy", "electronic", "original_and_copy"}
MATERIAL_SOURCES = {"applicant", "government", "other"}
DATA_TYPES = {"string", "text", "date", "integer", "decimal", "boolean", "enum", "id_number", "credit_code",
              "phone", "address"}
DEPARTMENT_KINDS = {"government", "institution", "enterprise", "self_service"}
SERVICE_OBJECTS = {"自然人", "法人", "非法人组织"}
BUNDLE_TIERS = {"consolidate", "explore"}
BUNDLE_SUBJECTS = {"individual", "enterprise"}

# (key, expected python type, required) for an item record; matches ServiceItemVersion's fields.
_ITEM_SCALARS: list[tuple[str, type | tuple[type, ...], bool]] = [
    ("code", str, True),
    ("name", str, True),
    ("source_name", str, False),
    ("item_type", str, True),
    ("department", str, True),
    ("legal_basis", str, True),
    ("acceptance_conditions", str, True),
    ("service_objects", list, True),
    ("process_steps", list, True),
    ("legal_time_limit_days", (int, type(None)), False),
    ("promised_time_limit_days", int, True),
    ("handling_type", str, True),
    ("fee_charged", bool, True),
    ("fee_description", str, False),
    ("fee_basis", str, False),
    ("result_type", str, True),
    ("result_name", str, True),
    ("handling_place", str, True),
    ("handling_hours", str, True),
    ("consult_phone", str, True),
    ("complaint_phone", str, True),
    ("visits_required", int, True),
    ("online_capable", bool, True),
    ("tongban_scope", str, True),
    ("commitment_allowed", bool, True),
    ("deficiency_allowed", bool, True),
    ("aliases", list, False),
    ("needs_confirmation", bool, False),
    ("confirmation_note", str, False),
]
_CHOICE_KEYS = {"item_type", "handling_type", "tongban_scope"}
ITEM_CONTENT_KEYS = [key for key, _, _ in _ITEM_SCALARS if key != "code"] + ["materials", "fields"]


class CatalogDataError(Exception):
    """All problems found in the data files, each naming file, record and field."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__(f"目录数据有 {len(errors)} 处错误：\n" + "\n".join(errors))


@dataclass
class CatalogFiles:
    departments: list[dict] = field(default_factory=list)
    towns: list[dict] = field(default_factory=list)
    county_center: dict = field(default_factory=dict)
    town_center_opening_hours: str = ""
    data_elements: list[dict] = field(default_factory=list)
    materials: list[dict] = field(default_factory=list)
    items: list[dict] = field(default_factory=list)
    bundles: list[dict] = field(default_factory=list)
    situations: dict[str, Questionnaire] = field(default_factory=dict)   # bundle code -> 情形引导

    def item_refs(self, bundle_code: str) -> list[ItemRef]:
        """A bundle's sub-items as the situation evaluator sees them, in bundle order."""
        bundle = next((b for b in self.bundles if b.get("code") == bundle_code), None)
        if bundle is None:
            raise KeyError(bundle_code)
        return _item_refs(bundle, {item["code"]: item for item in self.items})


def _item_refs(bundle: dict, items: dict[str, dict]) -> list[ItemRef]:
    rows = [row for row in bundle.get("items") or [] if row.get("item") in items]
    codes = {row["item"] for row in rows}
    return [
        ItemRef(code=row["item"], name=items[row["item"]]["name"],
                after=tuple(p for p in row.get("after") or [] if p in codes),
                deficiency_allowed=items[row["item"]]["deficiency_allowed"],
                materials=tuple(MaterialRef(m["material"], m["required"]) for m in items[row["item"]]["materials"]))
        for row in rows
    ]


def _load_yaml(path: Path, errors: list[str]) -> dict:
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        errors.append(f"{path.name}: 不是合法的 YAML（{exc}）")
        return {}
    if not isinstance(content, dict):
        errors.append(f"{path.name}: 顶层必须是映射")
        return {}
    return content


def _yaml_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.yaml")) if directory.is_dir() else []


def normalize_item(raw: dict, where: str, refs: "References", errors: list[str]) -> dict | None:
    """Check one item record (from YAML or a spreadsheet row) and return it in canonical form."""
    before = len(errors)
    item: dict[str, Any] = {}
    for key, expected, required in _ITEM_SCALARS:
        value = raw.get(key)
        if value is None or value == "":
            if required and not (key == "legal_time_limit_days"):
                errors.append(f"{where}: 缺少字段 {key}")
            item[key] = None if key == "legal_time_limit_days" else _empty_of(expected)
            continue
        if isinstance(expected, tuple):
            ok = isinstance(value, expected) and not isinstance(value, bool)
        elif expected is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = isinstance(value, expected)
        if not ok:
            errors.append(f"{where}: 字段 {key} 的类型应为 {_type_name(expected)}，实际为 {value!r}")
            continue
        item[key] = value.strip() if isinstance(value, str) else value
    unknown = set(raw) - {k for k, _, _ in _ITEM_SCALARS} - {"materials", "fields"}
    if unknown:
        errors.append(f"{where}: 未知字段 {', '.join(sorted(unknown))}")
    if len(errors) > before:
        return None

    code = item["code"]
    where = f"{where} {code}"
    if item["item_type"] not in ITEM_TYPES:
        errors.append(f"{where}: item_type 须为国家事项类型代码 {sorted(ITEM_TYPES)}，实际为 {item['item_type']!r}")
    if item["department"] not in refs.departments:
        errors.append(f"{where}: department 引用了不存在的部门 {item['department']!r}")
    if item["handling_type"] not in HANDLING_TYPES:
        errors.append(f"{where}: handling_type 须为 immediate（即办件）或 promised（承诺件）")
    if item["tongban_scope"] not in TONGBAN_SCOPES:
        errors.append(f"{where}: tongban_scope 须为 {sorted(TONGBAN_SCOPES)} 之一")
    # Fields with a fixed set of values already got a clearer message above.
    for key, limit in _text_limits()["item"].items():
        if key not in _CHOICE_KEYS and isinstance(item.get(key), str) and len(item[key]) > limit:
            errors.append(f"{where}: 字段 {key} 不能超过 {limit} 个字符（现为 {len(item[key])} 个）")
    bad_objects = [o for o in item["service_objects"] if o not in SERVICE_OBJECTS]
    if not item["service_objects"] or bad_objects:
        errors.append(f"{where}: service_objects 须为 {sorted(SERVICE_OBJECTS)} 中的一项或多项")
    for index, step in enumerate(item["process_steps"], 1):
        if not isinstance(step, dict) or not step.get("name"):
            errors.append(f"{where}: process_steps 第 {index} 步须有 name")
    if not item["process_steps"]:
        errors.append(f"{where}: process_steps 至少一步")
    promised, legal = item["promised_time_limit_days"], item["legal_time_limit_days"]
    if promised < 0 or (legal is not None and legal < 0) or item["visits_required"] < 0:
        errors.append(f"{where}: 时限和到现场次数不能为负数")
    if item["handling_type"] == "immediate" and promised != 0:
        errors.append(f"{where}: 即办件的承诺时限应为 0 个工作日")
    if item["handling_type"] == "promised" and promised <= 0:
        errors.append(f"{where}: 承诺件的承诺时限应大于 0 个工作日")
    if legal is not None and promised > legal:
        errors.append(f"{where}: 承诺时限（{promised}）不能超过法定时限（{legal}）")
    item["aliases"] = [str(a).strip() for a in item["aliases"] if str(a).strip()]
    item["process_steps"] = [
        {"name": str(s.get("name", "")).strip(), "description": str(s.get("description", "")).strip()}
        for s in item["process_steps"] if isinstance(s, dict)
    ]
    if "needs_confirmation" not in raw:
        item["needs_confirmation"] = True

    item["materials"] = []
    seen_materials: set[str] = set()
    for index, entry in enumerate(raw.get("materials") or [], 1):
        if not isinstance(entry, dict) or "material" not in entry:
            errors.append(f"{where}: materials 第 {index} 项须有 material")
            continue
        material = entry["material"]
        if material not in refs.materials:
            errors.append(f"{where}: materials 引用了不存在的材料 {material!r}")
        if material in seen_materials:
            errors.append(f"{where}: 材料 {material!r} 重复")
        seen_materials.add(material)
        form = entry.get("form", "")
        if form not in MATERIAL_FORMS:
            errors.append(f"{where}: 材料 {material!r} 的 form 须为 {sorted(MATERIAL_FORMS)} 之一")
        copies = entry.get("copies", 1)
        if not isinstance(copies, int) or isinstance(copies, bool) or copies < 0:
            errors.append(f"{where}: 材料 {material!r} 的 copies 须为非负整数")
        required = entry.get("required", True)
        condition = str(entry.get("condition") or "").strip()
        if not isinstance(required, bool):
            errors.append(f"{where}: 材料 {material!r} 的 required 须为 true 或 false")
        elif not required and not condition:
            errors.append(f"{where}: 非必需材料 {material!r} 须写明适用情形 condition")
        for key, value in (("condition", condition), ("note", str(entry.get("note") or "").strip())):
            if len(value) > _text_limits()["material"][key]:
                errors.append(f"{where}: 材料 {material!r} 的 {key} 不能超过 {_text_limits()['material'][key]} 个字符")
        item["materials"].append({"material": material, "form": form, "copies": copies, "required": required,
                                  "condition": condition, "note": str(entry.get("note") or "").strip()})
    if not item["materials"]:
        errors.append(f"{where}: 至少列出一项申请材料")

    item["fields"] = []
    seen_elements: set[str] = set()
    for index, entry in enumerate(raw.get("fields") or [], 1):
        if not isinstance(entry, dict) or "element" not in entry:
            errors.append(f"{where}: fields 第 {index} 项须有 element")
            continue
        element = entry["element"]
        if element not in refs.data_elements:
            errors.append(f"{where}: fields 引用了不存在的数据元 {element!r}")
        if element in seen_elements:
            errors.append(f"{where}: 数据元 {element!r} 重复")
        seen_elements.add(element)
        required = entry.get("required", True)
        if not isinstance(required, bool):
            errors.append(f"{where}: 字段 {element!r} 的 required 须为 true 或 false")
        if len(str(entry.get("label") or "").strip()) > _text_limits()["field"]["label"]:
            errors.append(f"{where}: 字段 {element!r} 的 label 不能超过 {_text_limits()['field']['label']} 个字符")
        item["fields"].append({"element": element, "label": str(entry.get("label") or "").strip(),
                               "required": required})
    return item if len(errors) == before else None


@cache
def _text_limits() -> dict[str, dict[str, int]]:
    """The models' column lengths, so an over-long value is reported here instead of failing at write time."""
    from yijianshi.catalog.models import ItemFormField, ItemMaterial, ServiceItem, ServiceItemVersion

    def limits(model, keys):
        return {key: model._meta.get_field(key).max_length for key in keys
                if getattr(model._meta.get_field(key), "max_length", None)}

    item = limits(ServiceItemVersion, [k for k, t, _ in _ITEM_SCALARS if t is str and k != "code"])
    item["code"] = ServiceItem._meta.get_field("code").max_length
    return {"item": item, "material": limits(ItemMaterial, ["condition", "note"]),
            "field": limits(ItemFormField, ["label"])}


def _empty_of(expected) -> Any:
    if expected is list:
        return []
    if expected is bool:
        return False
    if expected is str:
        return ""
    return None


def _type_name(expected) -> str:
    names = {str: "文本", int: "整数", bool: "true/false", list: "列表", dict: "映射", type(None): "空"}
    if isinstance(expected, tuple):
        return "或".join(names.get(t, t.__name__) for t in expected)
    return names.get(expected, expected.__name__)


@dataclass
class References:
    departments: set[str] = field(default_factory=set)
    data_elements: set[str] = field(default_factory=set)
    materials: set[str] = field(default_factory=set)


def read_catalog(directory: Path) -> CatalogFiles:
    """Read every file below `directory`, returning the validated content or raising CatalogDataError."""
    errors: list[str] = []
    files = CatalogFiles()
    refs = References()

    departments = _load_yaml(directory / "departments.yaml", errors).get("departments") or []
    for dept in departments:
        where = f"departments.yaml {dept.get('code', '?')}"
        for key in ("code", "name", "kind"):
            if not dept.get(key):
                errors.append(f"{where}: 缺少字段 {key}")
        if dept.get("kind") and dept["kind"] not in DEPARTMENT_KINDS:
            errors.append(f"{where}: kind 须为 {sorted(DEPARTMENT_KINDS)} 之一")
        _check_unique(dept.get("code"), refs.departments, where, errors)
    files.departments = departments

    places = _load_yaml(directory / "places.yaml", errors)
    files.towns = places.get("towns") or []
    files.county_center = places.get("county_center") or {}
    files.town_center_opening_hours = places.get("town_center_opening_hours") or ""
    for town in files.towns:
        if not str(town.get("division_code", "")).startswith("610830") or len(str(town["division_code"])) != 9:
            errors.append(f"places.yaml {town.get('name')}: division_code 须为 9 位且以 610830 开头")

    for path in _yaml_files(directory / "data_elements"):
        for element in _load_yaml(path, errors).get("data_elements") or []:
            where = f"data_elements/{path.name} {element.get('code', '?')}"
            for key in ("code", "name", "type"):
                if not element.get(key):
                    errors.append(f"{where}: 缺少字段 {key}")
            if element.get("type") and element["type"] not in DATA_TYPES:
                errors.append(f"{where}: type 须为 {sorted(DATA_TYPES)} 之一")
            if element.get("type") == "enum" and not (element.get("validation") or {}).get("choices"):
                errors.append(f"{where}: 枚举类型须在 validation.choices 中列出取值")
            if element.get("source") and element["source"] not in refs.departments:
                errors.append(f"{where}: source 引用了不存在的部门 {element['source']!r}")
            _check_unique(element.get("code"), refs.data_elements, where, errors)
            files.data_elements.append(element)

    for path in _yaml_files(directory / "materials"):
        for material in _load_yaml(path, errors).get("materials") or []:
            where = f"materials/{path.name} {material.get('code', '?')}"
            for key in ("code", "name", "source"):
                if not material.get(key):
                    errors.append(f"{where}: 缺少字段 {key}")
            if material.get("source") and material["source"] not in MATERIAL_SOURCES:
                errors.append(f"{where}: source 须为 {sorted(MATERIAL_SOURCES)} 之一")
            if material.get("issuer") and material["issuer"] not in refs.departments:
                errors.append(f"{where}: issuer 引用了不存在的部门 {material['issuer']!r}")
            _check_unique(material.get("code"), refs.materials, where, errors)
            files.materials.append(material)

    item_codes: set[str] = set()
    for path in _yaml_files(directory / "items"):
        content = _load_yaml(path, errors)
        defaults = content.get("defaults") or {}
        for raw in content.get("items") or []:
            where = f"items/{path.name}"
            if not isinstance(raw, dict):
                errors.append(f"{where}: 每个事项须为映射")
                continue
            item = normalize_item({**defaults, **raw}, where, refs, errors)
            if item is None:
                continue
            _check_unique(item["code"], item_codes, f"{where} {item['code']}", errors)
            files.items.append(item)

    bundle_data = _load_yaml(directory / "bundles.yaml", errors).get("bundles") or []
    numbers: set[int] = set()
    bundle_codes: set[str] = set()
    for bundle in bundle_data:
        where = f"bundles.yaml {bundle.get('number', '?')} {bundle.get('code', '?')}"
        for key in ("number", "code", "name", "source_name", "tier", "subject", "lead", "summary", "items"):
            if not bundle.get(key):
                errors.append(f"{where}: 缺少字段 {key}")
        if bundle.get("tier") not in BUNDLE_TIERS:
            errors.append(f"{where}: tier 须为 consolidate（巩固提升）或 explore（探索拓展）")
        if bundle.get("subject") not in BUNDLE_SUBJECTS:
            errors.append(f"{where}: subject 须为 individual 或 enterprise")
        if bundle.get("lead") not in refs.departments:
            errors.append(f"{where}: lead 引用了不存在的部门 {bundle.get('lead')!r}")
        _check_unique(bundle.get("number"), numbers, where, errors)
        _check_unique(bundle.get("code"), bundle_codes, where, errors)
        rows = bundle.get("items") or []
        row_codes = [row.get("item") for row in rows]
        establishing = bundle.get("establishes_enterprise")
        if establishing and (bundle.get("subject") != "enterprise" or establishing not in row_codes):
            errors.append(f"{where}: establishes_enterprise 须为本一件事的子事项，且一件事的服务对象为 enterprise")
        if len(set(row_codes)) != len(row_codes):
            errors.append(f"{where}: 子事项重复")
        for row in rows:
            if row.get("item") not in item_codes:
                errors.append(f"{where}: 子事项引用了不存在的事项 {row.get('item')!r}")
            if not row.get("source"):
                errors.append(f"{where} {row.get('item')}: 缺少附件原文 source")
            for prerequisite in row.get("after") or []:
                if prerequisite not in row_codes:
                    errors.append(f"{where} {row.get('item')}: 前置事项 {prerequisite!r} 不在本一件事中")
        try:
            topological_stages({row.get("item"): list(row.get("after") or []) for row in rows})
        except CycleError as exc:
            errors.append(f"{where}: 前后置关系存在循环（{exc}）")
        files.bundles.append(bundle)

    _read_situations(directory / "situations", files, refs, errors)

    if errors:
        raise CatalogDataError(errors)
    return files


def _read_situations(directory: Path, files: CatalogFiles, refs: "References", errors: list[str]) -> None:
    """One questionnaire (情形引导) per bundle, in situations/<bundle code>.yaml; bundles without one ask nothing."""
    bundles = {bundle.get("code"): bundle for bundle in files.bundles}
    items = {item["code"]: item for item in files.items}
    for path in _yaml_files(directory):
        where = f"situations/{path.name}"
        content = _load_yaml(path, errors)
        if not content:
            continue
        bundle = bundles.get(path.stem)
        if bundle is None:
            errors.append(f"{where}: 文件名须为一件事编码，没有编码为 {path.stem!r} 的一件事")
            continue
        if content.get("bundle") != path.stem:
            errors.append(f"{where}: bundle 须与文件名一致，应为 {path.stem!r}，实际为 {content.get('bundle')!r}")
            continue
        try:
            questionnaire = Questionnaire.from_dict(content)
        except QuestionnaireError as exc:
            errors.extend(f"{where} {error}" for error in exc.errors)
            continue
        try:
            problems = questionnaire_problems(questionnaire, _item_refs(bundle, items), refs.materials)
        except CycleError:
            continue  # the bundle's own cycle is reported already
        errors.extend(f"{where} {problem}" for problem in problems)
        if not problems:
            files.situations[path.stem] = questionnaire


def reference_sets(files: CatalogFiles) -> References:
    return References(
        departments={d["code"] for d in files.departments},
        data_elements={e["code"] for e in files.data_elements},
        materials={m["code"] for m in files.materials},
    )


def _check_unique(value, seen: set, where: str, errors: list[str]) -> None:
    if value is None:
        return
    if value in seen:
        errors.append(f"{where}: 编码 {value!r} 重复")
    seen.add(value)
