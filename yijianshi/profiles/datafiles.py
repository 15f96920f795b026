"""Read and check data/sharing/ (profile_elements.yaml, catalogue.yaml) before anything is written. Every problem is
collected and named by file and entry, in Chinese, so the reviewer fixes them all in one pass; the loader writes
nothing unless the files are clean. The known departments and data elements are passed in (plain Python)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

PARTY_KINDS = {"person": "自然人", "enterprise": "法人"}
MASKS = {"", "id_number", "mobile", "name"}
ENTRY_KEYS = {"code", "department", "purpose", "elements", "legal_basis", "needs_confirmation", "note"}


class SharingDataError(Exception):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__(f"共享数据文件有 {len(errors)} 处错误：\n" + "\n".join(errors))


@dataclass(frozen=True)
class ProfileElementSpec:
    code: str
    party_kind: str
    group: str
    mask: str
    position: int


@dataclass(frozen=True)
class EntrySpec:
    code: str
    department: str
    party_kind: str
    purpose: str
    element_codes: tuple[str, ...]
    legal_basis: str
    needs_confirmation: bool
    note: str


@dataclass
class SharingFiles:
    profile_elements: list[ProfileElementSpec] = field(default_factory=list)
    entries: list[EntrySpec] = field(default_factory=list)


def _load(path: Path, errors: list[str]) -> dict:
    if not path.exists():
        errors.append(f"{path.name}: 文件不存在")
        return {}
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        errors.append(f"{path.name}: 不是合法的 YAML（{exc}）")
        return {}
    if not isinstance(content, dict):
        errors.append(f"{path.name}: 顶层必须是映射")
        return {}
    return content


def _profile_elements(content: dict, elements: set[str], errors: list[str]) -> list[ProfileElementSpec]:
    specs: list[ProfileElementSpec] = []
    seen: dict[str, str] = {}
    for key in content:
        if key not in PARTY_KINDS:
            errors.append(f"profile_elements.yaml: 未知的档案类型 {key!r}（应为 person 或 enterprise）")
    for kind in PARTY_KINDS:
        for number, group in enumerate(content.get(kind) or [], start=1):
            name = group.get("group") if isinstance(group, dict) else None
            where = f"profile_elements.yaml {kind} 第 {number} 组 {name or '?'}"
            if not name:
                errors.append(f"{where}: 缺少 group（分组名称）")
                continue
            for item in group.get("elements") or []:
                code, mask = (item.get("code"), item.get("mask") or "") if isinstance(item, dict) else (item, "")
                if not isinstance(code, str) or not code:
                    errors.append(f"{where}: 数据元编码缺失")
                    continue
                if code not in elements:
                    errors.append(f"{where}: 引用了不存在的数据元 {code!r}")
                if mask not in MASKS:
                    errors.append(f"{where} {code}: mask 须为 id_number、mobile、name 之一")
                if code in seen:
                    errors.append(f"{where}: 数据元 {code} 已在 {seen[code]} 中列出")
                    continue
                seen[code] = where
                specs.append(ProfileElementSpec(code, kind, name, mask, len(specs)))
    return specs


def _entries(content: dict, departments: set[str], profile: dict[str, str], errors: list[str]) -> list[EntrySpec]:
    specs: list[EntrySpec] = []
    codes: set[str] = set()
    purposes: dict[tuple[str, str], str] = {}
    for number, raw in enumerate(content.get("entries") or [], start=1):
        if not isinstance(raw, dict):
            errors.append(f"catalogue.yaml 第 {number} 条: 应为映射")
            continue
        code = raw.get("code") or "?"
        where = f"catalogue.yaml 第 {number} 条 {code}"
        problems_before = len(errors)
        for key in ("code", "department", "purpose", "elements", "legal_basis"):
            if not raw.get(key):
                errors.append(f"{where}: 缺少 {key}")
        for key in sorted(set(raw) - ENTRY_KEYS):
            errors.append(f"{where}: 未知字段 {key}")
        if code in codes:
            errors.append(f"{where}: 编码重复")
        codes.add(code)
        department = raw.get("department")
        if department and department not in departments:
            errors.append(f"{where}: 引用了不存在的部门 {department!r}")
        purpose = str(raw.get("purpose") or "").strip()
        if len(purpose) > 100:
            errors.append(f"{where}: purpose 不能超过 100 个字")
        if department and purpose:
            if (department, purpose) in purposes:
                errors.append(f"{where}: 部门 {department} 的用途“{purpose}”已在 {purposes[department, purpose]} 中列出")
            purposes[department, purpose] = where
        element_codes = raw.get("elements") or []
        if not isinstance(element_codes, list):
            errors.append(f"{where}: elements 应为数据元编码的列表")
            element_codes = []
        kinds = set()
        for element in element_codes:
            if element not in profile:
                errors.append(f"{where}: 数据元 {element!r} 不存在或不属于一人一档/一企一档（见 profile_elements.yaml）")
            else:
                kinds.add(profile[element])
        if len(kinds) > 1:
            errors.append(f"{where}: 一个条目只能共享同一类档案的数据元（自然人或法人），不能混列")
        if len(set(element_codes)) != len(element_codes):
            errors.append(f"{where}: elements 中有重复的数据元")
        if not isinstance(raw.get("needs_confirmation", True), bool):
            errors.append(f"{where}: needs_confirmation 应为 true 或 false")
        if len(errors) == problems_before:
            specs.append(EntrySpec(code=code, department=department, party_kind=kinds.pop(), purpose=purpose,
                                   element_codes=tuple(element_codes), legal_basis=str(raw["legal_basis"]).strip(),
                                   needs_confirmation=raw.get("needs_confirmation", True),
                                   note=str(raw.get("note") or "").strip()))
    return specs


def read_sharing_files(directory: Path, *, departments: set[str], elements: set[str]) -> SharingFiles:
    """The checked content of ``directory``/profile_elements.yaml and catalogue.yaml, or SharingDataError."""
    errors: list[str] = []
    files = SharingFiles()
    files.profile_elements = _profile_elements(_load(directory / "profile_elements.yaml", errors), elements, errors)
    profile = {spec.code: spec.party_kind for spec in files.profile_elements}
    files.entries = _entries(_load(directory / "catalogue.yaml", errors), departments, profile, errors)
    if errors:
        raise SharingDataError(errors)
    return files
