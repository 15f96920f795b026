"""The hall's windows and categories as reviewable data (data/hall/windows.yaml): read and check everything first,
with Chinese messages naming the file, the service point, the record and the field, then load in one transaction.
Windows and categories left out of the file are switched off, never deleted (tickets and ratings refer to them)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.db import transaction

from yijianshi.audit.services import audit_record
from yijianshi.hall.models import Category, Window

KINDS = {k.value: k.label for k in Window.Kind}
_PREFIX = re.compile(r"^[A-Z]$")
_NUMBER = re.compile(r"^[A-Z0-9]{1,8}$")
_CODE = re.compile(r"^[a-z][a-z0-9-]{0,31}$")


class HallDataError(Exception):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__(f"窗口数据有 {len(errors)} 处错误：\n" + "\n".join(errors))


@dataclass
class Known:
    """The codes the file may refer to, from the loaded catalog."""

    service_points: set[str]
    departments: set[str]
    bundles: set[str]


@dataclass
class HallData:
    points: dict[str, dict] = field(default_factory=dict)  # point code -> {"categories": [...], "windows": [...]}

    @property
    def counts(self) -> tuple[int, int]:
        return (sum(len(p["categories"]) for p in self.points.values()),
                sum(len(p["windows"]) for p in self.points.values()))


def _text(row, key, errors, where, label, *, required=True, limit=40):
    value = row.get(key)
    if value is None or value == "":
        if required:
            errors.append(f"{where}：缺少{label}（{key}）")
        return ""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        errors.append(f"{where}：{label}（{key}）应为文字")
        return ""
    value = str(value).strip()
    if len(value) > limit:
        errors.append(f"{where}：{label}（{key}）不能超过 {limit} 个字")
    return value


def _codes(row, key, errors, where, label) -> list[str]:
    value = row.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.append(f"{where}：{label}（{key}）应为编码列表，如 [spj, rsj]")
        return []
    return value


def check_hall(raw, known: Known, *, source: str = "windows.yaml") -> HallData:
    """Validate the parsed file against the catalog's codes; raise HallDataError listing every problem."""
    errors: list[str] = []
    data = HallData()
    if not isinstance(raw, dict) or not isinstance(raw.get("service_points"), dict):
        raise HallDataError([f"{source}：顶层应为 service_points: 下按服务网点编码列出 categories 和 windows"])
    for point, body in raw["service_points"].items():
        where_point = f"{source}：服务网点 {point}"
        if point not in known.service_points:
            errors.append(f"{where_point}：服务网点编码不存在（先运行 load_catalog；县中心为 county-hall，镇中心为 "
                          f"town-<区划代码>）")
        if not isinstance(body, dict):
            errors.append(f"{where_point}：应列出 categories 和 windows")
            continue
        categories, windows, prefixes, bundle_owner = [], [], {}, {}
        for n, row in enumerate(body.get("categories") or [], start=1):
            where = f"{where_point} 第 {n} 个业务类别"
            if not isinstance(row, dict):
                errors.append(f"{where}：应为包含 code、prefix、name 的记录")
                continue
            code = _text(row, "code", errors, where, "编码", limit=32)
            if code and not _CODE.match(code):
                errors.append(f"{where}：编码（code）“{code}”只能用小写字母、数字和连字符，以字母开头")
            where = f"{where_point} 业务类别 {code or n}"
            prefix = _text(row, "prefix", errors, where, "号码字头")
            if prefix and not _PREFIX.match(prefix):
                errors.append(f"{where}：号码字头（prefix）“{prefix}”应为一个大写字母")
            elif prefix in prefixes:
                errors.append(f"{where}：号码字头 {prefix} 已由业务类别 {prefixes[prefix]} 使用")
            elif prefix:
                prefixes[prefix] = code
            name = _text(row, "name", errors, where, "名称")
            bundles = _codes(row, "bundles", errors, where, "一件事")
            for bundle in bundles:
                if bundle not in known.bundles:
                    errors.append(f"{where}：一件事编码“{bundle}”不存在")
                elif bundle in bundle_owner:
                    errors.append(f"{where}：一件事“{bundle}”已属于业务类别 {bundle_owner[bundle]}（一个网点内只能属于一个类别）")
                else:
                    bundle_owner[bundle] = code
            if code in {c["code"] for c in categories}:
                errors.append(f"{where}：编码重复")
            categories.append({"code": code, "prefix": prefix, "name": name, "bundles": bundles,
                               "description": _text(row, "description", errors, where, "说明", required=False,
                                                    limit=200)})
        category_codes = {c["code"] for c in categories}
        served = set()
        for n, row in enumerate(body.get("windows") or [], start=1):
            where = f"{where_point} 第 {n} 个窗口"
            if not isinstance(row, dict):
                errors.append(f"{where}：应为包含 number、name、kind、department 的记录")
                continue
            number = _text(row, "number", errors, where, "窗口号", limit=8)
            if number and not _NUMBER.match(number):
                errors.append(f"{where}：窗口号（number）“{number}”只能用大写字母和数字，如 A03（纯数字请加引号，如 \"01\"）")
            where = f"{where_point} 窗口 {number or n}"
            if number in {w["number"] for w in windows}:
                errors.append(f"{where}：窗口号重复")
            name = _text(row, "name", errors, where, "名称")
            kind = _text(row, "kind", errors, where, "类型", limit=12)
            if kind and kind not in KINDS:
                errors.append(f"{where}：类型（kind）“{kind}”无效，应为 " +
                              "、".join(f"{k}（{label}）" for k, label in KINDS.items()))
            department = _text(row, "department", errors, where, "责任部门", limit=32)
            if department and department not in known.departments:
                errors.append(f"{where}：责任部门编码“{department}”不存在（见 data/catalog/departments.yaml）")
            departments = _codes(row, "departments", errors, where, "进驻部门")
            for code in departments:
                if code not in known.departments:
                    errors.append(f"{where}：进驻部门编码“{code}”不存在")
            serves = _codes(row, "categories", errors, where, "业务类别")
            for code in serves:
                if code not in category_codes:
                    errors.append(f"{where}：业务类别“{code}”未在本网点的 categories 中定义")
            if not serves and kind != Window.Kind.ASSISTED:
                errors.append(f"{where}：至少办理一个业务类别（只有帮办代办窗口可以不列）")
            served.update(serves)
            windows.append({"number": number, "name": name, "kind": kind, "department": department,
                            "departments": departments, "categories": serves})
        for category in categories:
            if category["code"] and category["code"] not in served:
                errors.append(f"{where_point} 业务类别 {category['code']}：没有窗口办理该类别，群众取号后无人叫号")
        data.points[point] = {"categories": categories, "windows": windows}
    if errors:
        raise HallDataError(errors)
    return data


def read_hall(path: Path, known: Known) -> HallData:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HallDataError([f"{path}：文件不存在"]) from None
    except yaml.YAMLError as exc:
        raise HallDataError([f"{Path(path).name}：不是有效的 YAML（{exc}）"]) from None
    return check_hall(raw, known, source=Path(path).name)


def known_codes() -> Known:
    from yijianshi.catalog.models import Bundle
    from yijianshi.organizations.models import Department, ServicePoint

    return Known(set(ServicePoint.objects.values_list("code", flat=True)),
                 set(Department.objects.values_list("code", flat=True)),
                 set(Bundle.objects.values_list("code", flat=True)))


@transaction.atomic
def load_hall(data: HallData, actor=None) -> dict[str, int]:
    """Bring the database in line with the checked data. Idempotent; returns what changed."""
    from yijianshi.catalog.models import Bundle
    from yijianshi.organizations.models import Department, ServicePoint

    departments = {d.code: d for d in Department.objects.all()}
    bundles = {b.code: b for b in Bundle.objects.all()}
    report = {"created": 0, "updated": 0, "deactivated": 0}
    for point_code, body in data.points.items():
        point = ServicePoint.objects.get(code=point_code)
        categories = {}
        for position, row in enumerate(body["categories"]):
            values = {"prefix": row["prefix"], "name": row["name"], "description": row["description"],
                      "position": position, "active": True}
            category, created = _upsert(Category, {"service_point": point, "code": row["code"]}, values, report)
            if set(category.bundles.values_list("code", flat=True)) != set(row["bundles"]):
                category.bundles.set([bundles[code] for code in row["bundles"]])
                report["updated"] += not created
            categories[row["code"]] = category
        for position, row in enumerate(body["windows"]):
            values = {"name": row["name"], "kind": row["kind"], "department": departments[row["department"]],
                      "position": position, "active": True}
            window, created = _upsert(Window, {"service_point": point, "number": row["number"]}, values, report)
            if set(window.departments.values_list("code", flat=True)) != set(row["departments"]):
                window.departments.set([departments[code] for code in row["departments"]])
                report["updated"] += not created
            if set(window.categories.values_list("code", flat=True)) != set(row["categories"]):
                window.categories.set([categories[code] for code in row["categories"]])
                report["updated"] += not created
        report["deactivated"] += Window.objects.filter(service_point=point, active=True).exclude(
            number__in=[w["number"] for w in body["windows"]]).update(active=False)
        report["deactivated"] += Category.objects.filter(service_point=point, active=True).exclude(
            code__in=list(categories)).update(active=False)
    report["deactivated"] += Window.objects.filter(active=True).exclude(
        service_point__code__in=list(data.points)).update(active=False)
    report["deactivated"] += Category.objects.filter(active=True).exclude(
        service_point__code__in=list(data.points)).update(active=False)
    if any(report.values()):
        audit_record(action="hall.load", object_type="hall", actor=actor, reason="从数据文件装载大厅窗口",
                     after=report)
    return report


def _upsert(model, key: dict, values: dict, report: dict):
    obj = model.objects.filter(**key).first()
    if obj is None:
        report["created"] += 1
        return model.objects.create(**key, **values), True
    changed = {k: v for k, v in values.items() if getattr(obj, k) != v}
    if changed:
        for k, v in changed.items():
            setattr(obj, k, v)
        obj.save(update_fields=list(changed))
        report["updated"] += 1
    return obj, False
