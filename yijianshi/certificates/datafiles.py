"""Read and check data/certificates/ (issuers.yaml, types.yaml) against the loaded catalog, before anything is
written. Errors are in Chinese and name the file, the entry and the field, for the staff who review the data."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from stdnum.cn import uscc

from yijianshi.certificates.crypto import identifier, signers

HOLDER_KINDS = {"person", "enterprise", "any"}
# What the holder's own record supplies when the case form does not: a required field may rest on these.
HOLDER_ELEMENTS = {
    "person": {"person.name", "person.id_number", "person.gender", "person.birth_date"},
    "enterprise": {"enterprise.name", "enterprise.credit_code", "enterprise.legal_representative"},
}
_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


class CertificateDataError(Exception):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class IssuerEntry:
    department: str
    credit_code: str
    seal_name: str
    needs_confirmation: bool
    note: str


@dataclass
class TypeEntry:
    code: str
    name: str
    type_code: str
    department: str
    holder_kind: str
    validity_years: int | None
    validity_days: int | None
    seal_algorithm: str
    fields: list[dict]
    issued_by_items: list[str]
    issue_when: dict
    needs_confirmation: bool
    note: str
    position: int


@dataclass
class CertificateData:
    issuers: list[IssuerEntry] = field(default_factory=list)
    types: list[TypeEntry] = field(default_factory=list)


def _load(path: Path, key: str, errors: list[str]) -> tuple[dict, list]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        errors.append(f"{path.name}：文件不存在")
        return {}, []
    except yaml.YAMLError as exc:
        errors.append(f"{path.name}：不是有效的 YAML（{exc}）")
        return {}, []
    entries = document.get(key)
    if not isinstance(entries, list):
        errors.append(f"{path.name}：缺少 {key} 列表")
        return {}, []
    return document.get("defaults") or {}, entries


def read_certificate_data(directory: Path, *, departments: set[str], elements: set[str],
                          items: dict[str, dict[str, bool]], item_results: dict[str, str],
                          material_certificate_types: set[str]) -> CertificateData:
    """Check both files against the catalog as loaded: department codes, data element codes, service items
    (item code -> {form field element: required}, and their result names) and the materials' certificate types."""
    errors: list[str] = []
    data = CertificateData()
    defaults, entries = _load(directory / "issuers.yaml", "issuers", errors)
    seen_departments, seen_codes = set(), set()
    for n, raw in enumerate(entries, 1):
        where = f"issuers.yaml 第 {n} 项"
        if not isinstance(raw, dict):
            errors.append(f"{where}：应为映射")
            continue
        entry = {**defaults, **raw}
        department = str(entry.get("department", ""))
        where = f"issuers.yaml 发证机关 {department or f'第 {n} 项'}"
        if department not in departments:
            errors.append(f"{where}：department 不是事项库中的部门编码")
        if department in seen_departments:
            errors.append(f"{where}：部门重复")
        seen_departments.add(department)
        code = str(entry.get("credit_code", ""))
        if not (len(code) == 18 and code == code.upper() and uscc.is_valid(code)):
            errors.append(f"{where}：credit_code 不是有效的统一社会信用代码（18 位，校验位须正确）")
        if code in seen_codes:
            errors.append(f"{where}：credit_code 与其他发证机关重复")
        seen_codes.add(code)
        seal_name = str(entry.get("seal_name", "")).strip()
        if not seal_name or len(seal_name) > 64:
            errors.append(f"{where}：seal_name 必填，不超过 64 个字")
        data.issuers.append(IssuerEntry(department, code, seal_name, bool(entry.get("needs_confirmation", True)),
                                        str(entry.get("note", ""))))

    defaults, entries = _load(directory / "types.yaml", "types", errors)
    seen_type_codes, seen_names, seen_slugs = set(), set(), set()
    for n, raw in enumerate(entries, 1):
        if not isinstance(raw, dict):
            errors.append(f"types.yaml 第 {n} 项：应为映射")
            continue
        entry = {**defaults, **raw}
        code = str(entry.get("code", ""))
        where = f"types.yaml 证照类型 {entry.get('name') or code or f'第 {n} 项'}"
        if not _SLUG.fullmatch(code):
            errors.append(f"{where}：code 应为小写字母、数字和连字符")
        if code in seen_slugs:
            errors.append(f"{where}：code 重复")
        seen_slugs.add(code)
        name = str(entry.get("name", "")).strip()
        if name in seen_names:
            errors.append(f"{where}：名称重复")
        seen_names.add(name)
        department = str(entry.get("department", ""))
        if department not in seen_departments:
            errors.append(f"{where}：department 须是 issuers.yaml 中已登记发证机关的部门")
        type_code = str(entry.get("type_code", ""))
        try:
            identifier._check_type_code(type_code)
        except identifier.InvalidIdentifier as exc:
            errors.append(f"{where}：type_code {exc}")
        if type_code in seen_type_codes:
            errors.append(f"{where}：type_code 与其他类型重复")
        seen_type_codes.add(type_code)
        holder_kind = entry.get("holder_kind")
        if holder_kind not in HOLDER_KINDS:
            errors.append(f"{where}：holder_kind 应为 person、enterprise 或 any")
        algorithm = entry.get("seal_algorithm")
        if algorithm not in signers.ALGORITHMS:
            errors.append(f"{where}：seal_algorithm 应为 {'、'.join(signers.ALGORITHMS)}")
        validity = entry.get("validity") or {}
        years, days = (validity.get("years"), validity.get("days")) if isinstance(validity, dict) else (None, None)
        if not isinstance(validity, dict) or set(validity) - {"years", "days"} or (years and days) or any(
                v is not None and (not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= 1000)
                for v in (years, days)):
            errors.append(f"{where}：validity 应为 {{years: 年数}} 或 {{days: 天数}}，或省略表示长期有效")
            years = days = None
        issued_by = entry.get("issued_by_items") or []
        if not isinstance(issued_by, list) or any(code not in items for code in issued_by):
            unknown = [c for c in issued_by if c not in items] if isinstance(issued_by, list) else issued_by
            errors.append(f"{where}：issued_by_items 含事项库中没有的事项 {unknown}")
            issued_by = [c for c in issued_by if c in items] if isinstance(issued_by, list) else []
        # The name is the one the catalog's materials ask for, or the result an issuing item produces.
        if name not in material_certificate_types and not any(name in item_results[c] for c in issued_by):
            errors.append(f"{where}：名称须与事项库材料的“对应证照类型”一致，或包含于签发事项的办理结果名称")
        issue_when = entry.get("issue_when") or {}
        if not isinstance(issue_when, dict) or any(
                element not in elements or not isinstance(values, list) or not values
                for element, values in issue_when.items()):
            errors.append(f"{where}：issue_when 应为 {{数据元编码: [取值, ...]}}")
            issue_when = {}
        fields = _check_fields(entry.get("fields"), where, errors, elements=elements, holder_kind=holder_kind,
                               issuing_fields=[items[c] for c in issued_by])
        data.types.append(TypeEntry(
            code=code, name=name, type_code=type_code, department=department, holder_kind=str(holder_kind),
            validity_years=years, validity_days=days, seal_algorithm=str(algorithm), fields=fields,
            issued_by_items=list(issued_by), issue_when=issue_when,
            needs_confirmation=bool(entry.get("needs_confirmation", True)), note=str(entry.get("note", "")),
            position=n))
    if errors:
        raise CertificateDataError(errors)
    return data


def _check_fields(raw, where: str, errors: list[str], *, elements: set[str], holder_kind,
                  issuing_fields: list[dict[str, bool]]) -> list[dict]:
    if not isinstance(raw, list) or not raw:
        errors.append(f"{where}：fields 应为至少一项的列表")
        return []
    holder_elements = set().union(*HOLDER_ELEMENTS.values()) if holder_kind == "any" else HOLDER_ELEMENTS.get(
        holder_kind, set())
    cleaned, keys = [], set()
    for n, spec in enumerate(raw, 1):
        at = f"{where} 数据项 {spec.get('key') if isinstance(spec, dict) else n}"
        if not isinstance(spec, dict):
            errors.append(f"{at}：应为映射")
            continue
        key, label = str(spec.get("key", "")), str(spec.get("label", "")).strip()
        if not _KEY.fullmatch(key) or key in keys:
            errors.append(f"{at}：key 应为不重复的小写字母、数字和下划线")
        keys.add(key)
        if not label or len(label) > 40:
            errors.append(f"{at}：label 必填，不超过 40 个字")
        element = spec.get("element") or ""
        if element and element not in elements:
            errors.append(f"{at}：element {element} 不是事项库中的数据元")
        required, on_approval = bool(spec.get("required", True)), bool(spec.get("on_approval", False))
        if set(spec) - {"key", "label", "element", "required", "on_approval"}:
            errors.append(f"{at}：未知属性 {sorted(set(spec) - {'key', 'label', 'element', 'required', 'on_approval'})}")
        # A required value must have somewhere to come from when a case issues the certificate: every issuing
        # item's form, the holder's record, or the officer at approval.
        if required and issuing_fields and not on_approval:
            if not element:
                errors.append(f"{at}：签发事项的必填数据项须指明 element，或标注 on_approval")
            elif element not in holder_elements and not all(fields.get(element) for fields in issuing_fields):
                errors.append(f"{at}：{element} 不是每个签发事项申请表的必填项，也不能从持证主体取得；"
                              f"请改为 required: false，或标注 on_approval（由经办人办结时填写）")
        cleaned.append({"key": key, "label": label, "element": element, "required": required,
                        "on_approval": on_approval})
    return cleaned
