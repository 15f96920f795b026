"""Service items as an Excel workbook (事项库 Excel), for departments that prefer editing in a spreadsheet.

Layout, one header row per sheet, columns found by their Chinese header (so they may be reordered):

- 事项: one row per item, the elements of its published version;
- 材料: one row per material an item asks for, in order;
- 表单字段: one row per application-form field, in order.

Import validates every row with the same rules as the data files (datafiles.normalize_item) and writes only
when the whole workbook is clean, publishing a new version of each item that changed.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from django.db import IntegrityError, models, transaction
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from yijianshi.catalog.datafiles import ITEM_CONTENT_KEYS, SERVICE_OBJECTS, References, normalize_item
from yijianshi.catalog.models import (
    ItemFormField,
    ItemMaterial,
    ItemType,
    ServiceItem,
    ServiceItemVersion,
)
from yijianshi.catalog.selectors import catalog_references
from yijianshi.catalog.services import DraftInProgressError, item_import_content, version_content
from yijianshi.catalog.signals import catalog_changed
from yijianshi.organizations.models import Department

ITEMS_SHEET = "事项"
MATERIALS_SHEET = "材料"
FIELDS_SHEET = "表单字段"
NOTES_SHEET = "填写说明"

LIST_SEPARATOR = "、"
STEP_SEPARATOR = "："
# Staff type lists with whichever separator is at hand; export always uses "、".
_LIST_SPLIT = re.compile(r"[、，,;；\n]+")
_TRUE_WORDS = {"是", "true", "yes", "y", "1", "√", "必需", "必填"}
_FALSE_WORDS = {"否", "false", "no", "n", "0", "×", "非必需", "选填"}
_SMALL_INT_MAX = 32767  # PositiveSmallIntegerField
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


# ---------------------------------------------------------------------------------------------------------
# Columns


@dataclass(frozen=True)
class Column:
    """One spreadsheet column: its canonical key, Chinese header and how a cell converts to and from it."""

    key: str
    header: str
    kind: str  # text | integer | optional_integer | boolean | choice | department | list | steps | reference
    max_length: int | None = None
    choices: tuple[tuple[str, str], ...] = ()  # (code, label)
    width: int = 14


def _item_column(key: str) -> Column:
    if key == "code":
        model_field = ServiceItem._meta.get_field("code")
        return Column(key, str(model_field.verbose_name), "text", model_field.max_length, width=12)
    model_field = ServiceItemVersion._meta.get_field(key)
    header = str(model_field.verbose_name)
    if key == "department":
        return Column(key, header, "department", width=18)
    if key == "process_steps":
        return Column(key, header, "steps", width=40)
    if isinstance(model_field, models.JSONField):
        return Column(key, header, "list", width=20)
    if model_field.choices:
        return Column(key, header, "choice", choices=tuple((str(c), str(label)) for c, label in model_field.choices))
    if isinstance(model_field, models.BooleanField):
        return Column(key, header, "boolean", width=10)
    if isinstance(model_field, models.PositiveSmallIntegerField):
        return Column(key, header, "optional_integer" if model_field.null else "integer", width=10)
    width = 40 if isinstance(model_field, models.TextField) else 20
    return Column(key, header, "text", getattr(model_field, "max_length", None), width=width)


# code, name, then every scalar element in the order of the national implementation list.
ITEM_COLUMNS: list[Column] = [_item_column("code")] + [
    _item_column(key) for key in ITEM_CONTENT_KEYS if key not in ("materials", "fields")
]

_material_form = ItemMaterial._meta.get_field("form")
MATERIAL_COLUMNS: list[Column] = [
    Column("code", "事项编码", "text", width=12),
    Column("material", "材料编码", "text", width=24),
    Column("material_name", "材料名称（仅供查看）", "reference", width=24),
    Column("form", str(_material_form.verbose_name), "choice",
           choices=tuple((str(c), str(label)) for c, label in _material_form.choices)),
    Column("copies", "份数", "integer", width=8),
    Column("required", "是否必需", "boolean", width=10),
    Column("condition", "适用情形", "text", ItemMaterial._meta.get_field("condition").max_length, width=30),
    Column("note", "备注", "text", ItemMaterial._meta.get_field("note").max_length, width=30),
]

FIELD_COLUMNS: list[Column] = [
    Column("code", "事项编码", "text", width=12),
    Column("element", "数据元编码", "text", width=28),
    Column("element_name", "数据元名称（仅供查看）", "reference", width=20),
    Column("label", "字段标签", "text", ItemFormField._meta.get_field("label").max_length, width=20),
    Column("required", "是否必填", "boolean", width=10),
]

SHEETS: dict[str, list[Column]] = {ITEMS_SHEET: ITEM_COLUMNS, MATERIALS_SHEET: MATERIAL_COLUMNS,
                                   FIELDS_SHEET: FIELD_COLUMNS}
_ITEM_COLUMN_BY_KEY = {c.key: c for c in ITEM_COLUMNS}
_MATERIAL_COLUMN_BY_KEY = {c.key: c for c in MATERIAL_COLUMNS}
_FIELD_COLUMN_BY_KEY = {c.key: c for c in FIELD_COLUMNS}


# ---------------------------------------------------------------------------------------------------------
# Value formats shared with the admin forms


def list_to_text(values: Iterable[str]) -> str:
    return LIST_SEPARATOR.join(str(v) for v in values)


def text_to_list(text: str) -> list[str]:
    return [part.strip() for part in _LIST_SPLIT.split(text or "") if part.strip()]


def steps_to_text(steps: Iterable[dict]) -> str:
    """One step per line, "名称：说明"; a step without description is just its name."""
    lines = []
    for step in steps:
        name, description = step.get("name", ""), step.get("description", "")
        lines.append(f"{name}{STEP_SEPARATOR}{description}" if description else name)
    return "\n".join(lines)


def text_to_steps(text: str) -> list[dict]:
    steps = []
    for line in (text or "").replace("\r\n", "\n").split("\n"):
        if not line.strip():
            continue
        name, _, description = line.partition(STEP_SEPARATOR)
        steps.append({"name": name.strip(), "description": description.strip()})
    return steps


# ---------------------------------------------------------------------------------------------------------
# Export


def items_export_workbook(items: Iterable[ServiceItem] | None = None) -> Workbook:
    """A workbook of the published version of `items` (default: every item that has one)."""
    if items is None:
        items = ServiceItem.objects.all()
    codes = [item.code for item in items]
    versions = (
        ServiceItemVersion.objects.filter(item__code__in=codes, status=ServiceItemVersion.Status.PUBLISHED)
        .select_related("item", "department")
        .prefetch_related("materials__material", "form_fields__data_element")
        .order_by("item__code")
    )
    workbook = Workbook()
    items_sheet = workbook.active
    items_sheet.title = ITEMS_SHEET
    materials_sheet = workbook.create_sheet(MATERIALS_SHEET)
    fields_sheet = workbook.create_sheet(FIELDS_SHEET)
    for sheet, columns in ((items_sheet, ITEM_COLUMNS), (materials_sheet, MATERIAL_COLUMNS),
                           (fields_sheet, FIELD_COLUMNS)):
        _write_header(sheet, columns)

    for version in versions:
        content = version_content(version)
        content["code"] = version.item.code
        _append(items_sheet, [_export_item_value(column, content[column.key], version) for column in ITEM_COLUMNS])
        names = {m.material.code: m.material.name for m in version.materials.all()}
        for material in content["materials"]:
            row = {**material, "code": version.item.code, "material_name": names.get(material["material"], "")}
            _append(materials_sheet, [_export_value(column, row[column.key]) for column in MATERIAL_COLUMNS])
        names = {f.data_element.code: f.data_element.name for f in version.form_fields.all()}
        for form_field in content["fields"]:
            row = {**form_field, "code": version.item.code, "element_name": names.get(form_field["element"], "")}
            _append(fields_sheet, [_export_value(column, row[column.key]) for column in FIELD_COLUMNS])

    for sheet, columns in ((items_sheet, ITEM_COLUMNS), (materials_sheet, MATERIAL_COLUMNS),
                           (fields_sheet, FIELD_COLUMNS)):
        _add_dropdowns(sheet, columns)
    _write_notes(workbook.create_sheet(NOTES_SHEET))
    return workbook


def _export_item_value(column: Column, value: Any, version: ServiceItemVersion) -> Any:
    if column.kind == "department":
        return version.department.name
    return _export_value(column, value)


def _export_value(column: Column, value: Any) -> Any:
    if column.kind == "boolean":
        return "是" if value else "否"
    if column.kind == "choice":
        return dict(column.choices).get(value, value)
    if column.kind == "list":
        return list_to_text(value)
    if column.kind == "steps":
        return steps_to_text(value)
    return value


_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_REFERENCE_FILL = PatternFill("solid", fgColor="EDEDED")


def _write_header(sheet, columns: list[Column]) -> None:
    sheet.append([column.header for column in columns])
    for index, column in enumerate(columns, 1):
        cell = sheet.cell(row=1, column=index)
        cell.font = _HEADER_FONT
        cell.fill = _REFERENCE_FILL if column.kind == "reference" else _HEADER_FILL
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "B2"


def _append(sheet, values: list[Any]) -> None:
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            # Keep text that starts with "=" as text: it must never become a formula.
            if cell.value.startswith("="):
                cell.data_type = "s"
            if "\n" in cell.value:
                cell.alignment = Alignment(wrap_text=True, vertical="top")


def _add_dropdowns(sheet, columns: list[Column]) -> None:
    last_row = max(sheet.max_row, 2) + 500  # room for rows staff add
    for index, column in enumerate(columns, 1):
        if column.kind == "boolean":
            options = ["是", "否"]
        elif column.kind == "choice":
            options = [label for _, label in column.choices]
        else:
            continue
        validation = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True)
        validation.error = "请从下拉列表中选择"
        sheet.add_data_validation(validation)
        letter = get_column_letter(index)
        validation.add(f"{letter}2:{letter}{last_row}")


def _write_notes(sheet) -> None:
    notes = [
        "填写说明",
        "1. “事项”表每行一个事项；“材料”“表单字段”表按“事项编码”对应到事项，行的先后即显示顺序。",
        "2. 列按表头名称识别，可以调整列的顺序，但不要修改或删除表头；灰色表头的列仅供查看，导入时忽略。",
        "3. 服务对象、俗称/别名：多项用“、”分隔。服务对象只能是 自然人、法人、非法人组织。",
        "4. 办理流程：每行一步，写作“名称：说明”（中文冒号）。",
        "5. 是/否 类的列填写“是”或“否”；实施部门填写部门名称或编码。",
        "6. 即办件的承诺办结时限填 0；承诺时限不能超过法定时限；法律未规定法定时限的留空。",
        "7. 非必需材料须填写适用情形。",
        "8. 导入时逐行校验，有任何错误则全部不导入；内容有变化的事项发布为新版本，原版本归档；未变化的事项不动。",
        "9. 不在本表中的事项不受影响（导入不会删除事项）。",
    ]
    for line in notes:
        sheet.append([line])
    sheet["A1"].font = _HEADER_FONT
    sheet.column_dimensions["A"].width = 100


# ---------------------------------------------------------------------------------------------------------
# Import


@dataclass(frozen=True)
class RowError:
    """One problem in the workbook, located by sheet, row and column header as staff see them in Excel."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        place = f"“{self.sheet}”表" if self.sheet else "文件"
        if self.row:
            place += f"第 {self.row} 行"
        if self.column:
            place += f"“{self.column}”列"
        return f"{place}：{self.message}"


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return f"新增 {len(self.created)} 项，更新 {len(self.updated)} 项，未变 {len(self.unchanged)} 项"


class _CellError(ValueError):
    pass


@dataclass
class _ItemRows:
    """Where one item's data sits in the workbook, to point errors back at sheet, row and column."""

    row: int
    raw: dict[str, Any]
    failed_columns: set[str] = field(default_factory=set)  # cells already reported; their values are stand-ins
    material_rows: list[tuple[int, str]] = field(default_factory=list)
    field_rows: list[tuple[int, str]] = field(default_factory=list)
    has_row_errors: bool = False


def items_import_workbook(file: str | Path | Any, *, dry_run: bool = False, actor=None) -> ImportResult:
    """Validate a workbook and, only if every row is valid, publish each changed item in one transaction."""
    result = ImportResult(dry_run=dry_run)
    workbook = _open_workbook(file, result)
    if workbook is None:
        return result
    sheets = {}
    for sheet_name, columns in SHEETS.items():
        rows = _read_sheet(workbook, sheet_name, columns, result)
        if rows is None:
            return result
        sheets[sheet_name] = rows

    refs = catalog_references()
    departments = {d.name: d.code for d in Department.objects.all()} | {code: code for code in refs.departments}
    items = _convert_item_rows(sheets[ITEMS_SHEET], departments, result)
    _convert_material_rows(sheets[MATERIALS_SHEET], items, result)
    _convert_field_rows(sheets[FIELDS_SHEET], items, result)

    contents = []
    for rows in items.values():
        content = _validate_item(rows, refs, result)
        if content is not None and not rows.has_row_errors:
            contents.append((rows, content))
    if result.errors:
        return result

    changed = _sort_changes(contents, result)
    if result.errors or dry_run:
        return result
    try:
        with transaction.atomic():
            for content in changed:
                item_import_content(content, notify=False, actor=actor)
            if changed:
                transaction.on_commit(lambda: catalog_changed.send(sender=items_import_workbook))
    except (IntegrityError, DraftInProgressError):
        # Someone started a draft of one of these items while we were checking: nothing was written.
        result.created.clear()
        result.updated.clear()
        result.errors.append(RowError(ITEMS_SHEET, None, None, "导入期间有事项被同时编辑，未导入任何内容，请重试。"))
    return result


def _open_workbook(file, result: ImportResult):
    name = str(file) if isinstance(file, (str, Path)) else (getattr(file, "name", "") or "")
    if name and not name.lower().endswith(".xlsx"):
        result.errors.append(RowError("", None, None, "只支持 .xlsx 格式的 Excel 工作簿（.xls、.csv 请先在 Excel 中另存为 .xlsx）。"))
        return None
    size = getattr(file, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        result.errors.append(RowError("", None, None, f"文件超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB，请拆分后导入。"))
        return None
    try:
        if hasattr(file, "seek"):
            file.seek(0)
        return load_workbook(file, data_only=True)
    except Exception:  # noqa: BLE001 - any parser failure on an uploaded file means "not a readable xlsx"
        result.errors.append(RowError("", None, None, "无法读取该文件：不是有效的 .xlsx 工作簿，或文件已损坏。"))
        return None


def _read_sheet(workbook, sheet_name: str, columns: list[Column], result: ImportResult):
    """Rows of a sheet as (row number, {key: cell value}), or None when the sheet or a column is missing."""
    if sheet_name not in workbook.sheetnames:
        result.errors.append(RowError(sheet_name, None, None, f"缺少工作表“{sheet_name}”，请使用导出的模板。"))
        return None
    sheet = workbook[sheet_name]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None) or ()
    positions = {str(value).strip(): index for index, value in enumerate(header) if value is not None}
    missing = [c.header for c in columns if c.kind != "reference" and c.header not in positions]
    for column_header in missing:
        result.errors.append(RowError(sheet_name, 1, column_header, "缺少该列，请勿修改或删除表头。"))
    if missing:
        return None
    read = []
    for number, values in enumerate(rows, 2):
        cells = {}
        for column in columns:
            if column.kind != "reference":
                index = positions[column.header]
                cells[column.key] = values[index] if index < len(values) else None
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells.values()):
            continue  # blank rows between blocks are fine
        read.append((number, cells))
    return read


def _convert_item_rows(rows, departments: dict[str, str], result: ImportResult) -> dict[str, _ItemRows]:
    items: dict[str, _ItemRows] = {}
    for number, cells in rows:
        code, ok = _convert_cell(_ITEM_COLUMN_BY_KEY["code"], cells["code"], ITEMS_SHEET, number, result)
        if not ok:
            continue
        if not code:
            result.errors.append(RowError(ITEMS_SHEET, number, _ITEM_COLUMN_BY_KEY["code"].header, "不能为空"))
            continue
        if code in items:
            result.errors.append(RowError(ITEMS_SHEET, number, _ITEM_COLUMN_BY_KEY["code"].header,
                                          f"事项编码 {code} 与第 {items[code].row} 行重复"))
            continue
        entry = _ItemRows(row=number, raw={"code": code})
        for column in ITEM_COLUMNS[1:]:
            value, ok = _convert_cell(column, cells[column.key], ITEMS_SHEET, number, result, departments)
            if not ok:
                entry.failed_columns.add(column.key)
                continue
            if column.key == "needs_confirmation" and value is None:
                continue  # left blank: the data files' default (待部门确认) applies
            entry.raw[column.key] = value
        items[code] = entry
    return items


def _convert_material_rows(rows, items: dict[str, _ItemRows], result: ImportResult) -> None:
    for number, cells in rows:
        entry = _owning_item(cells, MATERIALS_SHEET, number, items, result)
        converted = {}
        for column in MATERIAL_COLUMNS[1:]:
            if column.kind == "reference":
                continue
            value, ok = _convert_cell(column, cells[column.key], MATERIALS_SHEET, number, result)
            if not ok:
                if entry:
                    entry.has_row_errors = True
                continue
            if value is not None:  # blank copies/required fall back to the data files' defaults
                converted[column.key] = value
        if not converted.get("material"):
            result.errors.append(RowError(MATERIALS_SHEET, number, _MATERIAL_COLUMN_BY_KEY["material"].header,
                                          "不能为空"))
            continue
        if entry:
            entry.raw.setdefault("materials", []).append(converted)
            entry.material_rows.append((number, converted["material"]))


def _convert_field_rows(rows, items: dict[str, _ItemRows], result: ImportResult) -> None:
    for number, cells in rows:
        entry = _owning_item(cells, FIELDS_SHEET, number, items, result)
        converted = {}
        for column in FIELD_COLUMNS[1:]:
            if column.kind == "reference":
                continue
            value, ok = _convert_cell(column, cells[column.key], FIELDS_SHEET, number, result)
            if not ok:
                if entry:
                    entry.has_row_errors = True
                continue
            if value is not None:
                converted[column.key] = value
        if not converted.get("element"):
            result.errors.append(RowError(FIELDS_SHEET, number, _FIELD_COLUMN_BY_KEY["element"].header, "不能为空"))
            continue
        if entry:
            entry.raw.setdefault("fields", []).append(converted)
            entry.field_rows.append((number, converted["element"]))


def _owning_item(cells, sheet: str, number: int, items: dict[str, _ItemRows], result: ImportResult):
    code_column = SHEETS[sheet][0]
    code, ok = _convert_cell(code_column, cells["code"], sheet, number, result)
    header = code_column.header
    if not ok:
        return None
    if not code:
        result.errors.append(RowError(sheet, number, header, "不能为空"))
        return None
    if code not in items:
        result.errors.append(RowError(sheet, number, header, f"事项编码 {code} 不在“{ITEMS_SHEET}”表中"))
        return None
    return items[code]


# -- cells


def _convert_cell(column: Column, value: Any, sheet: str, number: int, result: ImportResult,
                  departments: dict[str, str] | None = None) -> tuple[Any, bool]:
    try:
        return _CONVERTERS[column.kind](column, value, departments), True
    except _CellError as exc:
        result.errors.append(RowError(sheet, number, column.header, str(exc)))
        return None, False


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise _CellError("应填写文字")
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone number Excel turned into a number
    text = str(value).replace("\r\n", "\n").strip()
    return text or None


def _convert_text(column: Column, value: Any, _departments) -> str | None:
    text = _text(value)
    if text and column.max_length and len(text) > column.max_length:
        raise _CellError(f"不能超过 {column.max_length} 个字（现有 {len(text)} 个）")
    return text


def _convert_integer(column: Column, value: Any, _departments) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise _CellError("应填写整数")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        value = int(value)
    if not isinstance(value, int):
        raise _CellError(f"应填写整数，实际为“{value}”")
    if value < 0:
        raise _CellError("不能为负数")
    if value > _SMALL_INT_MAX:
        raise _CellError(f"不能大于 {_SMALL_INT_MAX}")
    return value


def _convert_boolean(column: Column, value: Any, _departments) -> bool | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return value
    word = str(int(value) if isinstance(value, float) and value.is_integer() else value).strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise _CellError(f"应填写“是”或“否”，实际为“{value}”")


def _convert_choice(column: Column, value: Any, _departments) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
        value = f"{int(value):02d}"  # item type codes typed as numbers lose their leading zero
    text = _text(value)
    if text is None:
        return None
    for code, label in column.choices:
        if text in (code, label, f"{code} {label}"):
            return code
    return text  # unknown: normalize_item reports it with the allowed values


def _convert_department(column: Column, value: Any, departments: dict[str, str]) -> str | None:
    text = _text(value)
    if text is None:
        return None
    return departments.get(text, text)  # unknown: normalize_item reports the missing reference


def _convert_list(column: Column, value: Any, _departments) -> list[str] | None:
    text = _text(value)
    return text_to_list(text) if text else None


def _convert_steps(column: Column, value: Any, _departments) -> list[dict] | None:
    text = _text(value)
    return text_to_steps(text) if text else None


_CONVERTERS: dict[str, Callable[[Column, Any, Any], Any]] = {
    "text": _convert_text,
    "integer": _convert_integer,
    "optional_integer": _convert_integer,
    "boolean": _convert_boolean,
    "choice": _convert_choice,
    "department": _convert_department,
    "list": _convert_list,
    "steps": _convert_steps,
}


# -- whole items


def _validate_item(rows: _ItemRows, refs: References, result: ImportResult) -> dict | None:
    """Run normalize_item on one item and turn its messages into located, Chinese row errors.

    normalize_item stops after missing or mistyped fields, so a row with several problems would only show
    the first kind. Cells that failed get a neutral stand-in and the item is checked again, so staff see
    every problem of the row at once; messages about the stand-in columns are dropped (already reported).
    """
    failed = set(rows.failed_columns)
    for _attempt in range(2):
        raw = dict(rows.raw)
        for key in failed:
            raw[key] = _stand_in(key, raw, refs)
        errors: list[str] = []
        content = normalize_item(raw, f"#{rows.row}", refs, errors)
        missing = {m.group(1) for m in (re.search(r"缺少字段 (\w+)$", e) for e in errors) if m} - failed
        if missing:
            for key in sorted(missing, key=_item_column_order):
                result.errors.append(RowError(ITEMS_SHEET, rows.row, _header_of(key), "不能为空"))
            failed |= missing
            continue
        break
    located = _Locator(rows)
    for error in errors:
        row_error = located(error.split(": ", 1)[1] if ": " in error else error)
        if row_error.column is not None and row_error.sheet == ITEMS_SHEET and row_error.column in {
                _header_of(key) for key in failed}:
            continue
        if row_error not in result.errors:
            result.errors.append(row_error)
    if failed or errors:
        return None
    return content


def _item_column_order(key: str) -> int:
    return next((i for i, c in enumerate(ITEM_COLUMNS) if c.key == key), len(ITEM_COLUMNS))


def _header_of(key: str) -> str:
    column = _ITEM_COLUMN_BY_KEY.get(key)
    return column.header if column else key


def _stand_in(key: str, raw: dict, refs: References) -> Any:
    """A valid value for a cell already reported as wrong, chosen so it raises no error of its own."""
    if key == "department":
        return min(refs.departments, default="-")
    if key == "item_type":
        return ItemType.PUBLIC_SERVICE.value
    if key == "tongban_scope":
        return ServiceItemVersion.Tongban.NONE.value
    if key == "handling_type":
        return "immediate" if raw.get("promised_time_limit_days") == 0 else "promised"
    if key == "promised_time_limit_days":
        return 0 if raw.get("handling_type") == "immediate" else 1
    if key == "legal_time_limit_days":
        return None
    if key == "visits_required":
        return 0
    if key == "service_objects":
        return [sorted(SERVICE_OBJECTS)[0]]
    if key == "aliases":
        return []
    if key == "process_steps":
        return [{"name": "-", "description": ""}]
    column = _ITEM_COLUMN_BY_KEY[key]
    return False if column.kind == "boolean" else "-"


class _Locator:
    """Maps one normalize_item message (without its "where" prefix) to a sheet, row and column."""

    def __init__(self, rows: _ItemRows):
        self.rows = rows
        self.used: dict[tuple[str, str], int] = defaultdict(int)

    def __call__(self, message: str) -> RowError:
        for pattern, handler in self._rules():
            match = re.search(pattern, message)
            if match:
                return handler(match)
        return self._item(_ITEM_COLUMN_BY_KEY["code"], message)

    def _item(self, column: Column, message: str) -> RowError:
        return RowError(ITEMS_SHEET, self.rows.row, column.header, message)

    def _in_rows(self, sheet: str, column: Column, rows: list[tuple[int, str]], code_repr: str, kind: str,
                 message: str, last: bool = False) -> RowError:
        code = _unrepr(code_repr)
        numbers = [number for number, c in rows if c == code]
        if not numbers:
            return self._item(_ITEM_COLUMN_BY_KEY["code"], message)
        if last:
            number = numbers[-1]
        else:  # messages come in row order: the n-th message about a code is about its n-th row
            index = self.used[(kind, code)]
            self.used[(kind, code)] += 1
            number = numbers[min(index, len(numbers) - 1)]
        return RowError(sheet, number, column.header, message)

    def _material(self, column_key: str, kind: str, message: str, last: bool = False):
        return lambda m: self._in_rows(MATERIALS_SHEET, _MATERIAL_COLUMN_BY_KEY[column_key], self.rows.material_rows,
                                       m.group(1), kind, message.format(_unrepr(m.group(1))), last)

    def _field(self, column_key: str, kind: str, message: str, last: bool = False):
        return lambda m: self._in_rows(FIELDS_SHEET, _FIELD_COLUMN_BY_KEY[column_key], self.rows.field_rows,
                                       m.group(1), kind, message.format(_unrepr(m.group(1))), last)

    def _rules(self):
        col = _ITEM_COLUMN_BY_KEY
        promised = col["promised_time_limit_days"]
        forms = "、".join(label for _, label in _MATERIAL_COLUMN_BY_KEY["form"].choices)
        return [
            (r"缺少字段 (\w+)$", lambda m: self._item(col.get(m.group(1), col["code"]), "不能为空")),
            (r"字段 (\w+) 的类型应为", lambda m: self._item(col.get(m.group(1), col["code"]), "格式不正确")),
            (r"^item_type ", lambda m: self._item(col["item_type"], "应为以下事项类型之一：" + _labels(col["item_type"]))),
            (r"^department 引用了不存在的部门 (.+)$", lambda m: self._item(
                col["department"], f"部门“{_unrepr(m.group(1))}”不存在，请填写部门名称或编码")),
            (r"^handling_type ", lambda m: self._item(col["handling_type"], "应为" + _labels(col["handling_type"]))),
            (r"^tongban_scope ", lambda m: self._item(col["tongban_scope"], "应为" + _labels(col["tongban_scope"]))),
            (r"^service_objects ", lambda m: self._item(
                col["service_objects"], "应为 " + "、".join(sorted(SERVICE_OBJECTS)) + " 中的一项或多项，用“、”分隔")),
            (r"^process_steps 第 (\d+) 步", lambda m: self._item(
                col["process_steps"], f"第 {m.group(1)} 步缺少名称（每行写作“名称：说明”）")),
            (r"^process_steps 至少一步", lambda m: self._item(col["process_steps"], "至少填写一步")),
            (r"时限和到现场次数不能为负数", lambda m: self._item(promised, "时限和到现场次数不能为负数")),
            (r"(即办件的承诺时限.*|承诺件的承诺时限.*|承诺时限（.*)$", lambda m: self._item(promised, m.group(1))),
            (r"^materials 引用了不存在的材料 (.+)$", self._material("material", "unknown", "材料编码 {} 不存在")),
            (r"^材料 (.+?) 重复$", self._material("material", "duplicate", "材料 {} 重复", last=True)),
            (r"^材料 (.+?) 的 form", self._material("form", "form", "材料形式应为 " + forms + " 之一")),
            (r"^材料 (.+?) 的 copies", self._material("copies", "copies", "份数须为非负整数")),
            (r"^材料 (.+?) 的 required", self._material("required", "required", "应填写“是”或“否”")),
            (r"^非必需材料 (.+?) 须写明", self._material("condition", "condition", "非必需材料须填写适用情形")),
            (r"至少列出一项申请材料", lambda m: self._item(
                col["code"], f"“{MATERIALS_SHEET}”表中没有该事项的申请材料，至少需要一项")),
            (r"^fields 引用了不存在的数据元 (.+)$", self._field("element", "unknown", "数据元编码 {} 不存在")),
            (r"^数据元 (.+?) 重复$", self._field("element", "duplicate", "数据元 {} 重复", last=True)),
            (r"^字段 (.+?) 的 required", self._field("required", "required", "应填写“是”或“否”")),
        ]


def _labels(column: Column) -> str:
    return "、".join(f"“{label}”" for _, label in column.choices)


def _unrepr(text: str) -> str:
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        return text.strip().strip("'\"")
    return str(value)


def _sort_changes(contents: list[tuple[_ItemRows, dict]], result: ImportResult) -> list[dict]:
    """Split valid items into created / updated / unchanged; an item with an open draft cannot be imported."""
    codes = [content["code"] for _, content in contents]
    existing = {item.code: item for item in
                ServiceItem.objects.filter(code__in=codes).select_related("published_version")}
    drafts = dict(ServiceItemVersion.objects.filter(item__code__in=codes, status=ServiceItemVersion.Status.DRAFT)
                  .values_list("item__code", "version"))
    changed = []
    for rows, content in contents:
        code = content["code"]
        item = existing.get(code)
        current = item.published_version if item else None
        if current is not None and version_content(current) == {k: content[k] for k in ITEM_CONTENT_KEYS}:
            result.unchanged.append(code)
            continue
        if code in drafts:
            result.errors.append(RowError(
                ITEMS_SHEET, rows.row, _ITEM_COLUMN_BY_KEY["code"].header,
                f"事项 {code} 有未发布的草稿版本 v{drafts[code]}，请先在管理后台发布或删除该草稿，再导入"))
            continue
        (result.updated if current is not None else result.created).append(code)
        changed.append(content)
    return changed


def item_content_problems(code: str, content: dict, refs: References | None = None) -> list[str]:
    """The data-file rules applied to one item's canonical content (e.g. a draft about to be published),
    as Chinese messages naming the element, the n-th material or the n-th form field."""
    rows = _ItemRows(row=0, raw={},
                     material_rows=[(n, m["material"]) for n, m in enumerate(content.get("materials", []), 1)],
                     field_rows=[(n, f["element"]) for n, f in enumerate(content.get("fields", []), 1)])
    errors: list[str] = []
    normalize_item({**content, "code": code}, "#", refs or catalog_references(), errors)
    locate = _Locator(rows)
    problems = []
    for error in errors:
        if error.endswith("至少列出一项申请材料"):
            problems.append("申请材料：至少需要一项")
            continue
        located = locate(error.split(": ", 1)[1] if ": " in error else error)
        place = {MATERIALS_SHEET: f"申请材料第 {located.row} 项", FIELDS_SHEET: f"表单字段第 {located.row} 项"}.get(
            located.sheet, "")
        problems.append(f"{place}“{located.column}”：{located.message}")
    return problems
