"""The items workbook: export, import with per-row errors, nothing half-loaded, round trip is a no-op."""

from io import BytesIO, StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from yijianshi.catalog.datafiles import normalize_item
from yijianshi.catalog.excel import (
    FIELDS_SHEET,
    ITEMS_SHEET,
    MATERIALS_SHEET,
    RowError,
    items_export_workbook,
    items_import_workbook,
)
from yijianshi.catalog.models import DataElement, Material, ServiceItem, ServiceItemVersion
from yijianshi.catalog.selectors import catalog_references
from yijianshi.catalog.services import item_draft_create, item_import_content
from yijianshi.organizations.models import Department

pytestmark = pytest.mark.django_db

PROMISED_ITEM = {
    "code": "XLSX-001",
    "name": "测试承诺件",
    "item_type": "01",
    "department": "xlsx-dept",
    "legal_basis": "《测试条例》第一条",
    "acceptance_conditions": "符合条件的申请人。",
    "service_objects": ["自然人", "法人"],
    "process_steps": [{"name": "申请", "description": "提交材料：身份证"}, {"name": "办结", "description": ""}],
    "legal_time_limit_days": 20,
    "promised_time_limit_days": 10,
    "handling_type": "promised",
    "fee_charged": False,
    "fee_description": "不收费",
    "result_type": "证照",
    "result_name": "测试许可证",
    "handling_place": "清涧县政务服务中心",
    "handling_hours": "法定工作日 8:30-12:00",
    "consult_phone": "12345",
    "complaint_phone": "12345",
    "visits_required": 1,
    "online_capable": True,
    "tongban_scope": "city",
    "commitment_allowed": True,
    "deficiency_allowed": False,
    "aliases": ["测试别名", "另一个别名"],
    "needs_confirmation": True,
    "confirmation_note": "第一行\n第二行",
    "materials": [
        {"material": "xlsx-id", "form": "original", "copies": 1},
        {"material": "xlsx-proof", "form": "copy", "copies": 2, "required": False, "condition": "委托代办的",
         "note": "加盖公章"},
    ],
    "fields": [{"element": "xlsx.name"}, {"element": "xlsx.phone", "label": "联系电话", "required": False}],
}

IMMEDIATE_ITEM = {
    **PROMISED_ITEM,
    "code": "XLSX-002",
    "name": "测试即办件",
    "item_type": "20",
    "legal_time_limit_days": None,
    "promised_time_limit_days": 0,
    "handling_type": "immediate",
    "fee_basis": "=不是公式",  # must come back as text, never as a formula
    "aliases": [],
    "needs_confirmation": False,
    "confirmation_note": "",
    "materials": [{"material": "xlsx-id", "form": "electronic", "copies": 0}],
    "fields": [],
}


@pytest.fixture
def sample_items():
    Department.objects.create(code="xlsx-dept", name="测试导入局", kind="government")
    Department.objects.create(code="xlsx-other", name="测试其他局", kind="government")
    Material.objects.create(code="xlsx-id", name="测试身份证", source="government")
    Material.objects.create(code="xlsx-proof", name="测试证明", source="applicant")
    DataElement.objects.create(code="xlsx.name", name="测试姓名", data_type="string")
    DataElement.objects.create(code="xlsx.phone", name="测试电话", data_type="phone")
    for raw in (PROMISED_ITEM, IMMEDIATE_ITEM):
        errors = []
        content = normalize_item(raw, "test", catalog_references(), errors)
        assert not errors
        item_import_content(content)
    return ServiceItem.objects.filter(code__in=["XLSX-001", "XLSX-002"])


def _exported(items=None) -> Workbook:
    """The export as staff get it: saved to bytes and opened again."""
    buffer = BytesIO()
    items_export_workbook(items).save(buffer)
    buffer.seek(0)
    return load_workbook(buffer)


def _upload(workbook: Workbook, name="事项.xlsx") -> SimpleUploadedFile:
    buffer = BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def _set(workbook: Workbook, sheet: str, code: str, header: str, value, occurrence: int = 0) -> int:
    """Set the cell under `header` in the `occurrence`-th row of item `code`; returns the row number."""
    ws = workbook[sheet]
    headers = [cell.value for cell in ws[1]]
    rows = [row[0].row for row in ws.iter_rows(min_row=2) if row[0].value == code]
    row = rows[occurrence]
    ws.cell(row=row, column=headers.index(header) + 1).value = value  # ws.cell(value=None) would not clear
    return row


def _row_values(workbook: Workbook, sheet: str, code: str) -> dict:
    ws = workbook[sheet]
    headers = [cell.value for cell in ws[1]]
    for row in ws.iter_rows(min_row=2, values_only=True):
        if row[0] == code:
            return dict(zip(headers, row))
    raise AssertionError(code)


def _version_counts():
    return dict(ServiceItem.objects.values_list("code", "published_version__version"))


def test_export_writes_chinese_headers_and_readable_values(sample_items):
    workbook = _exported(sample_items)
    assert workbook.sheetnames[:3] == [ITEMS_SHEET, MATERIALS_SHEET, FIELDS_SHEET]
    item = _row_values(workbook, ITEMS_SHEET, "XLSX-001")
    assert item["事项编码"] == "XLSX-001"
    assert item["事项名称"] == "测试承诺件"
    assert item["事项类型"] == "行政许可"
    assert item["实施部门"] == "测试导入局"
    assert item["服务对象"] == "自然人、法人"
    assert item["俗称/别名"] == "测试别名、另一个别名"
    assert item["办理流程"] == "申请：提交材料：身份证\n办结"
    assert item["办件类型"] == "承诺件"
    assert item["是否收费"] == "否"
    assert item["法定办结时限（工作日）"] == 20
    immediate = _row_values(workbook, ITEMS_SHEET, "XLSX-002")
    assert immediate["法定办结时限（工作日）"] is None
    assert immediate["收费依据"] == "=不是公式"
    assert workbook[ITEMS_SHEET].cell(row=3, column=1).value == "XLSX-002"

    materials = [row for row in workbook[MATERIALS_SHEET].iter_rows(min_row=1, values_only=True)]
    assert materials[0] == ("事项编码", "材料编码", "材料名称（仅供查看）", "材料形式", "份数", "是否必需", "适用情形", "备注")
    assert materials[1:] == [
        ("XLSX-001", "xlsx-id", "测试身份证", "原件", 1, "是", None, None),
        ("XLSX-001", "xlsx-proof", "测试证明", "复印件", 2, "否", "委托代办的", "加盖公章"),
        ("XLSX-002", "xlsx-id", "测试身份证", "电子件", 0, "是", None, None),
    ]
    fields = [row for row in workbook[FIELDS_SHEET].iter_rows(min_row=2, values_only=True)]
    assert fields == [("XLSX-001", "xlsx.name", "测试姓名", None, "是"),
                      ("XLSX-001", "xlsx.phone", "测试电话", "联系电话", "否")]


def test_round_trip_without_edits_changes_nothing(sample_items):
    # Every published item, the real catalog included: its content must survive the spreadsheet unchanged.
    versions_before = ServiceItemVersion.objects.count()
    result = items_import_workbook(_upload(_exported()))
    assert result.errors == []
    assert result.created == [] and result.updated == []
    assert {"XLSX-001", "XLSX-002"} <= set(result.unchanged)
    assert len(result.unchanged) == ServiceItem.objects.filter(published_version__isnull=False).count()
    assert ServiceItemVersion.objects.count() == versions_before


def test_an_edited_row_publishes_a_new_version_and_archives_the_old_one(sample_items):
    workbook = _exported(sample_items)
    _set(workbook, ITEMS_SHEET, "XLSX-001", "事项名称", "测试承诺件（新名称）")
    _set(workbook, ITEMS_SHEET, "XLSX-001", "实施部门", "xlsx-other")  # codes work as well as names
    _set(workbook, MATERIALS_SHEET, "XLSX-001", "份数", 3, occurrence=1)

    result = items_import_workbook(_upload(workbook))

    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == ([], ["XLSX-001"], ["XLSX-002"])
    item = ServiceItem.objects.get(code="XLSX-001")
    assert list(item.versions.order_by("version").values_list("version", "status")) == [
        (1, "archived"), (2, "published")]
    published = item.published_version
    assert published.name == "测试承诺件（新名称）"
    assert published.department.code == "xlsx-other"
    assert list(published.materials.values_list("material__code", "copies")) == [("xlsx-id", 1), ("xlsx-proof", 3)]
    assert list(published.form_fields.values_list("data_element__code", "label")) == [
        ("xlsx.name", ""), ("xlsx.phone", "联系电话")]
    assert ServiceItem.objects.get(code="XLSX-002").versions.count() == 1


def test_a_new_row_creates_an_item(sample_items):
    workbook = _exported(sample_items)
    values = list(_row_values(workbook, ITEMS_SHEET, "XLSX-002").values())
    workbook[ITEMS_SHEET].append(["XLSX-003", "新导入的事项", *values[2:]])
    workbook[MATERIALS_SHEET].append(["XLSX-003", "xlsx-proof", None, "原件", None, None, None, None])

    result = items_import_workbook(_upload(workbook))

    assert result.errors == []
    assert result.created == ["XLSX-003"]
    version = ServiceItem.objects.get(code="XLSX-003").published_version
    assert version.name == "新导入的事项"
    material = version.materials.get()
    assert (material.material.code, material.copies, material.required) == ("xlsx-proof", 1, True)


def test_a_bad_row_reports_each_error_with_sheet_row_and_column_and_loads_nothing(sample_items):
    workbook = _exported(sample_items)
    _set(workbook, ITEMS_SHEET, "XLSX-002", "事项名称", "一个合法的修改")  # valid, but must not load either
    row = _set(workbook, ITEMS_SHEET, "XLSX-001", "实施部门", "不存在的局")
    _set(workbook, ITEMS_SHEET, "XLSX-001", "承诺办结时限（工作日）", 30)  # legal limit is 20
    _set(workbook, ITEMS_SHEET, "XLSX-001", "事项名称", None)
    versions_before = _version_counts()

    result = items_import_workbook(_upload(workbook))

    assert not result.ok
    located = {(e.sheet, e.row, e.column) for e in result.errors}
    assert located == {
        (ITEMS_SHEET, row, "事项名称"),
        (ITEMS_SHEET, row, "实施部门"),
        (ITEMS_SHEET, row, "承诺办结时限（工作日）"),
    }
    messages = [str(e) for e in result.errors]
    assert f"“事项”表第 {row} 行“事项名称”列：不能为空" in messages
    assert any("不存在的局" in m and "实施部门" in m for m in messages)
    assert any("不能超过法定时限" in m for m in messages)
    assert _version_counts() == versions_before
    assert ServiceItem.objects.get(code="XLSX-002").published_version.name == "测试即办件"


def test_cells_that_cannot_be_read_and_bad_material_or_field_rows_are_located(sample_items):
    workbook = _exported(sample_items)
    item_row = _set(workbook, ITEMS_SHEET, "XLSX-001", "到办事现场次数", "一次")
    _set(workbook, ITEMS_SHEET, "XLSX-001", "事项类型", "行政审批")
    unknown_material_row = _set(workbook, MATERIALS_SHEET, "XLSX-001", "材料编码", "no-such-material")
    condition_row = _set(workbook, MATERIALS_SHEET, "XLSX-001", "适用情形", None, occurrence=1)
    field_row = _set(workbook, FIELDS_SHEET, "XLSX-001", "数据元编码", "no.such.element")
    workbook[MATERIALS_SHEET].append(["XLSX-999", "xlsx-id", None, "原件", 1, "是", None, None])
    orphan_row = workbook[MATERIALS_SHEET].max_row

    result = items_import_workbook(_upload(workbook))

    located = {(e.sheet, e.row, e.column): e.message for e in result.errors}
    assert set(located) == {
        (ITEMS_SHEET, item_row, "到办事现场次数"),
        (ITEMS_SHEET, item_row, "事项类型"),
        (MATERIALS_SHEET, unknown_material_row, "材料编码"),
        (MATERIALS_SHEET, condition_row, "适用情形"),
        (FIELDS_SHEET, field_row, "数据元编码"),
        (MATERIALS_SHEET, orphan_row, "事项编码"),
    }
    assert "整数" in located[(ITEMS_SHEET, item_row, "到办事现场次数")]
    assert "行政许可" in located[(ITEMS_SHEET, item_row, "事项类型")]
    assert ServiceItem.objects.get(code="XLSX-001").versions.count() == 1


def test_an_item_without_materials_is_reported_on_its_row(sample_items):
    workbook = _exported(sample_items)
    ws = workbook[MATERIALS_SHEET]
    ws.delete_rows(4)  # XLSX-002's only material
    result = items_import_workbook(_upload(workbook))
    row = _row_values(workbook, ITEMS_SHEET, "XLSX-002")
    assert [(e.sheet, e.column) for e in result.errors] == [(ITEMS_SHEET, "事项编码")]
    assert "至少需要一项" in result.errors[0].message
    assert row["事项编码"] == "XLSX-002"


def test_a_missing_column_is_reported_and_nothing_loads(sample_items):
    workbook = _exported(sample_items)
    workbook[ITEMS_SHEET].delete_cols(5)  # 实施部门
    result = items_import_workbook(_upload(workbook))
    assert result.errors == [RowError(ITEMS_SHEET, 1, "实施部门", "缺少该列，请勿修改或删除表头。")]


@pytest.mark.parametrize("name, content, expected", [
    ("事项.csv", b"code,name\nA,B\n", "只支持 .xlsx"),
    ("事项.xls", b"\xd0\xcf\x11\xe0 old excel", "只支持 .xlsx"),
    ("事项.xlsx", b"this is not a zip file", "不是有效的 .xlsx"),
])
def test_files_that_are_not_xlsx_get_a_clear_error(sample_items, name, content, expected):
    result = items_import_workbook(SimpleUploadedFile(name, content))
    assert len(result.errors) == 1
    assert expected in str(result.errors[0])


def test_an_item_with_an_open_draft_is_not_overwritten(sample_items):
    draft = item_draft_create(ServiceItem.objects.get(code="XLSX-001"))
    workbook = _exported(sample_items)
    row = _set(workbook, ITEMS_SHEET, "XLSX-001", "事项名称", "另一个名称")
    result = items_import_workbook(_upload(workbook))
    assert [(e.sheet, e.row, e.column) for e in result.errors] == [(ITEMS_SHEET, row, "事项编码")]
    assert f"v{draft.version}" in result.errors[0].message
    assert ServiceItem.objects.get(code="XLSX-001").versions.count() == 2


def test_dry_run_reports_without_writing(sample_items):
    workbook = _exported(sample_items)
    _set(workbook, ITEMS_SHEET, "XLSX-001", "事项名称", "只校验")
    result = items_import_workbook(_upload(workbook), dry_run=True)
    assert result.ok and result.updated == ["XLSX-001"]
    assert ServiceItem.objects.get(code="XLSX-001").versions.count() == 1


def test_commands_export_and_import(sample_items, tmp_path):
    path = tmp_path / "items.xlsx"
    out = StringIO()
    call_command("export_items_xlsx", "--output", str(path), "--code", "XLSX-001", "--code", "XLSX-002", stdout=out)
    assert "2" in out.getvalue()

    workbook = load_workbook(path)
    _set(workbook, ITEMS_SHEET, "XLSX-002", "事项名称", "命令行修改")
    workbook.save(path)
    out = StringIO()
    call_command("import_items_xlsx", str(path), stdout=out)
    assert "新增 0 项，更新 1 项，未变 1 项" in out.getvalue()

    _set(workbook, ITEMS_SHEET, "XLSX-002", "是否收费", "也许")
    workbook.save(path)
    err = StringIO()
    with pytest.raises(CommandError, match="1 处错误"):
        call_command("import_items_xlsx", str(path), stdout=StringIO(), stderr=err)
    assert "“是否收费”列" in err.getvalue()
