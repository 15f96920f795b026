"""The Chinese admin for catalog staff: drafts, publishing, frozen versions, Excel import and export pages."""

from io import BytesIO

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from tests.catalog.test_excel import _exported, _set, _upload, sample_items  # noqa: F401 - fixture
from yijianshi.catalog.excel import ITEMS_SHEET
from yijianshi.catalog.models import FrozenVersionError, ServiceItem, ServiceItemVersion
from yijianshi.organizations.models import ServicePoint, Town

pytestmark = pytest.mark.django_db


def _form_data(response) -> dict:
    """What a browser would post back from an admin change page, unchanged: main form and inlines."""
    data = {}
    forms_on_page = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms_on_page.append(formset.management_form)
        forms_on_page.extend(formset.forms)
    for form in forms_on_page:
        for name, field in form.fields.items():
            bound = form[name]
            value = bound.value()
            if isinstance(field.widget, forms.CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, (list, tuple)):
                data[bound.html_name] = [str(v) for v in value]
            elif value is not None:
                data[bound.html_name] = str(value)
    return data


def _change_url(version) -> str:
    return reverse("admin:catalog_serviceitemversion_change", args=[version.pk])


def test_admin_is_in_chinese_and_links_the_excel_pages(admin_client):
    index = admin_client.get(reverse("admin:index"))
    assert "清涧县政务服务平台 管理后台" in index.content.decode()
    catalog_index = admin_client.get(reverse("admin:app_list", args=["catalog"])).content.decode()
    assert "导入事项（Excel）" in catalog_index and "导出事项（Excel）" in catalog_index
    item_list = admin_client.get(reverse("admin:catalog_serviceitem_changelist")).content.decode()
    assert reverse("admin:catalog_serviceitem_import") in item_list


@pytest.mark.parametrize("model", [
    "organizations/department", "organizations/town", "organizations/servicepoint", "catalog/dataelement",
    "catalog/material", "catalog/bundle", "catalog/serviceitem", "catalog/serviceitemversion",
])
def test_every_changelist_and_a_change_page_open(admin_client, sample_items, model):  # noqa: F811
    response = admin_client.get(f"/admin/{model}/")
    assert response.status_code == 200
    result_list = response.context["cl"].result_list
    if result_list:
        assert admin_client.get(f"/admin/{model}/{result_list[0].pk}/change/").status_code == 200


def test_item_list_shows_code_name_department_version_and_status(admin_client, sample_items):  # noqa: F811
    content = admin_client.get(reverse("admin:catalog_serviceitem_changelist"), {"q": "XLSX"}).content.decode()
    for text in ("XLSX-001", "测试承诺件", "测试导入局", "v1", "已发布"):
        assert text in content


def test_admin_creates_edits_and_publishes_a_draft_which_is_then_frozen(admin_client, sample_items):  # noqa: F811
    item = ServiceItem.objects.get(code="XLSX-001")
    first = item.published_version

    # 新建草稿版本 (action on the item list) opens the new draft.
    response = admin_client.post(reverse("admin:catalog_serviceitem_changelist"),
                                 {"action": "create_drafts", "_selected_action": [item.pk]})
    draft = item.versions.get(status="draft")
    assert response.status_code == 302 and response["Location"] == _change_url(draft)
    assert draft.version == 2 and draft.materials.count() == 2

    # Edit it: save keeps it a draft.
    page = admin_client.get(_change_url(draft))
    assert "保存并发布" in page.content.decode()
    data = _form_data(page)
    data.update({"name": "测试承诺件（修订）", "aliases": "新别名、另一个", "materials-1-copies": "5",
                 "legal_basis": "第一条\r\n第二条", "_save": "保存"})
    response = admin_client.post(_change_url(draft), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    draft.refresh_from_db()
    assert (draft.status, draft.name, draft.aliases) == ("draft", "测试承诺件（修订）", ["新别名", "另一个"])
    assert list(draft.materials.values_list("copies", flat=True)) == [1, 5]
    assert draft.legal_basis == "第一条\n第二条"  # stored with LF like the data files
    item.refresh_from_db()
    assert item.published_version == first  # the public still sees v1

    # 保存并发布.
    data = _form_data(admin_client.get(_change_url(draft)))
    data["_publish"] = "保存并发布"
    response = admin_client.post(_change_url(draft), data)
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.published_version == draft
    assert item.published_version.status == "published"
    first.refresh_from_db()
    assert first.status == "archived"

    # The published version is read-only in the admin and refuses edits underneath.
    page = admin_client.get(_change_url(draft))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    content = page.content.decode()
    assert 'name="name"' not in content and "保存并发布" not in content and "新建草稿版本" in content
    assert admin_client.post(_change_url(draft), data).status_code == 403
    delete_url = reverse("admin:catalog_serviceitemversion_delete", args=[draft.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403

    draft.refresh_from_db()
    draft.name = "绕过后台直接改"
    with pytest.raises(FrozenVersionError):
        draft.save()
    material = draft.materials.first()
    material.copies = 9
    with pytest.raises(FrozenVersionError):
        material.save()
    assert ServiceItemVersion.objects.get(pk=draft.pk).name == "测试承诺件（修订）"


def test_a_draft_that_breaks_the_rules_is_not_published(admin_client, sample_items):  # noqa: F811
    item = ServiceItem.objects.get(code="XLSX-001")
    admin_client.post(reverse("admin:catalog_serviceitem_draft", args=[item.pk]))
    draft = item.versions.get(status="draft")
    data = _form_data(admin_client.get(_change_url(draft)))
    data.update({"promised_time_limit_days": "30", "_publish": "保存并发布"})  # legal limit is 20

    response = admin_client.post(_change_url(draft), data, follow=True)

    assert "不能超过法定时限" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.promised_time_limit_days == 30
    item.refresh_from_db()
    assert item.published_version.version == 1


def test_publish_action_on_the_version_list(admin_client, sample_items):  # noqa: F811
    item = ServiceItem.objects.get(code="XLSX-002")
    admin_client.post(reverse("admin:catalog_serviceitem_draft", args=[item.pk]))
    draft = item.versions.get(status="draft")
    admin_client.post(reverse("admin:catalog_serviceitemversion_changelist"),
                      {"action": "publish_drafts", "_selected_action": [draft.pk]})
    item.refresh_from_db()
    assert item.published_version == draft


def test_import_page_shows_per_row_errors_and_changes_nothing(admin_client, sample_items):  # noqa: F811
    workbook = _exported(sample_items)
    row = _set(workbook, ITEMS_SHEET, "XLSX-001", "实施部门", "不存在的局")
    _set(workbook, ITEMS_SHEET, "XLSX-002", "事项名称", "合法修改")
    versions_before = ServiceItemVersion.objects.count()

    response = admin_client.post(reverse("admin:catalog_serviceitem_import"), {"file": _upload(workbook)})

    assert response.status_code == 200
    errors = response.context["result"].errors
    assert [(e.sheet, e.row, e.column) for e in errors] == [(ITEMS_SHEET, row, "实施部门")]
    content = response.content.decode()
    assert "未导入任何内容" in content and "不存在的局" in content
    assert ServiceItemVersion.objects.count() == versions_before


def test_import_page_rejects_a_file_that_is_not_xlsx(admin_client, sample_items):  # noqa: F811
    upload = SimpleUploadedFile("事项.csv", "事项编码,事项名称\n".encode("utf-8"), content_type="text/csv")
    response = admin_client.post(reverse("admin:catalog_serviceitem_import"), {"file": upload})
    assert response.status_code == 200
    assert "只支持 .xlsx" in response.content.decode()
    upload = SimpleUploadedFile("事项.xlsx", b"garbage", content_type="application/octet-stream")
    response = admin_client.post(reverse("admin:catalog_serviceitem_import"), {"file": upload})
    assert response.status_code == 200
    assert "已损坏" in response.content.decode()


def test_import_page_publishes_a_valid_workbook(admin_client, sample_items):  # noqa: F811
    workbook = _exported(sample_items)
    _set(workbook, ITEMS_SHEET, "XLSX-002", "事项名称", "后台导入修改")
    response = admin_client.post(reverse("admin:catalog_serviceitem_import"), {"file": _upload(workbook)})
    assert response.status_code == 200
    assert "新增 0 项，更新 1 项，未变 1 项" in response.content.decode()
    assert ServiceItem.objects.get(code="XLSX-002").published_version.name == "后台导入修改"


def test_export_page_downloads_the_workbook(admin_client, sample_items):  # noqa: F811
    response = admin_client.get(reverse("admin:catalog_serviceitem_export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
    codes = [row[0] for row in workbook[ITEMS_SHEET].iter_rows(min_row=2, values_only=True)]
    assert {"XLSX-001", "XLSX-002"} <= set(codes)


def test_a_village_station_needs_a_town(admin_client):
    town = Town.objects.create(division_code="999999001", name="测试镇")
    url = reverse("admin:organizations_servicepoint_add")
    assert admin_client.get(url).context["adminform"].form.initial["kind"] == "village"
    data = {"code": "village-test", "name": "测试村便民服务站", "kind": "village", "address": "", "phone": "",
            "opening_hours": ""}
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "须选择所属镇" in str(response.context["adminform"].form.errors["town"])
    response = admin_client.post(url, {**data, "town": town.pk})
    assert response.status_code == 302
    assert ServicePoint.objects.get(code="village-test").town == town
