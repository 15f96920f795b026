import shutil
from io import StringIO

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

from yijianshi.catalog.datafiles import CatalogDataError, read_catalog
from yijianshi.catalog.models import Bundle, FrozenVersionError, ServiceItem, ServiceItemVersion
from yijianshi.catalog.services import InvalidTransition, catalog_load, item_draft_create, item_version_publish
from yijianshi.organizations.models import Department, ServicePoint, Town

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_copy(tmp_path):
    """A scratch copy of the real data files that a test may edit."""
    target = tmp_path / "catalog"
    shutil.copytree(settings.CATALOG_DATA_DIR, target)
    return target


def _edit_item(directory, code, **changes):
    for path in (directory / "items").glob("*.yaml"):
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
        for item in content["items"]:
            if item["code"] == code:
                item.update(changes)
                path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")
                return
    raise AssertionError(f"{code} not found")


def test_seed_catalog_has_30_units_9_towns_98_items_and_25_bundles():
    assert Department.objects.filter(in_work_plan=True).count() == 30
    assert list(Town.objects.values_list("division_code", flat=True)) == [f"610830{n}" for n in range(100, 109)]
    assert ServicePoint.objects.filter(kind="town").count() == 9
    assert ServicePoint.objects.filter(kind="county").count() == 1
    assert ServiceItem.objects.filter(published_version__isnull=False).count() == 98
    assert Bundle.objects.count() == 25


def test_loading_the_same_files_again_changes_nothing():
    out = StringIO()
    call_command("load_catalog", stdout=out)
    assert "没有变化" in out.getvalue()
    assert ServiceItemVersion.objects.count() == 98


def test_an_edited_item_gets_a_new_published_version_and_the_old_one_is_archived(data_copy):
    _edit_item(data_copy, "RSJ-003", acceptance_conditions="修改后的受理条件。")
    report = catalog_load(read_catalog(data_copy))
    assert report.changes["事项"]["updated"] == ["失业登记"]
    item = ServiceItem.objects.get(code="RSJ-003")
    versions = list(item.versions.order_by("version").values_list("version", "status"))
    assert versions == [(1, "archived"), (2, "published")]
    assert item.published_version.acceptance_conditions == "修改后的受理条件。"
    assert item.published_version.materials.count() == item.versions.get(version=1).materials.count()


def test_a_published_version_is_frozen():
    version = ServiceItem.objects.get(code="RSJ-003").published_version
    version.name = "篡改"
    with pytest.raises(FrozenVersionError):
        version.save()
    with pytest.raises(FrozenVersionError):
        version.materials.first().delete()
    with pytest.raises(FrozenVersionError):
        version.delete()


def test_a_draft_is_edited_then_published_and_only_drafts_can_be_published():
    item = ServiceItem.objects.get(code="RSJ-003")
    draft = item_draft_create(item)
    assert draft.status == "draft" and draft.version == 2
    assert item_draft_create(item) == draft  # one draft at a time
    draft.handling_hours = "工作日全天"
    draft.save()
    item_version_publish(draft)
    item.refresh_from_db()
    assert item.published_version == draft
    assert item.versions.get(version=1).status == "archived"
    with pytest.raises(InvalidTransition):
        item_version_publish(draft)


def test_bad_data_is_reported_by_file_record_and_field_and_nothing_is_written(data_copy):
    _edit_item(data_copy, "RSJ-003", department="nobody", promised_time_limit_days=30, legal_time_limit_days=20)
    with pytest.raises(CatalogDataError) as excinfo:
        read_catalog(data_copy)
    errors = "\n".join(excinfo.value.errors)
    assert "RSJ-003: department 引用了不存在的部门 'nobody'" in errors
    assert "承诺时限（30）不能超过法定时限（20）" in errors
    before = ServiceItemVersion.objects.count()
    with pytest.raises(CommandError):
        call_command("load_catalog", dir=data_copy, stdout=StringIO(), stderr=StringIO())
    assert ServiceItemVersion.objects.count() == before


def test_a_prerequisite_cycle_in_a_bundle_is_refused(data_copy):
    path = data_copy / "bundles.yaml"
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    newborn = next(b for b in content["bundles"] if b["code"] == "newborn")
    newborn["items"][0]["after"] = ["GAJ-002"]  # 出生医学证明 after 户口登记, which is after 出生医学证明
    path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(CatalogDataError, match="前后置关系存在循环"):
        read_catalog(data_copy)


def test_every_conditional_material_states_its_condition():
    for version in ServiceItemVersion.objects.filter(status="published").prefetch_related("materials"):
        for material in version.materials.all():
            assert material.required or material.condition, f"{version.name} / {material}"


def test_a_load_that_publishes_many_items_tells_listeners_once(data_copy, django_capture_on_commit_callbacks):
    from yijianshi.catalog.signals import catalog_changed

    for code in ("RSJ-003", "RSJ-005", "GAJ-002"):
        _edit_item(data_copy, code, handling_hours="工作日 9:00-17:00")
    received = []

    def listener(sender, **kwargs):
        received.append(sender)

    catalog_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            report = catalog_load(read_catalog(data_copy))
    finally:
        catalog_changed.disconnect(listener)
    assert len(report.changes["事项"]["updated"]) == 3
    assert received == [catalog_load]


def test_a_load_that_would_change_an_item_with_an_open_draft_is_refused_and_writes_nothing(data_copy):
    item = ServiceItem.objects.get(code="RSJ-003")
    item_draft_create(item)
    _edit_item(data_copy, "RSJ-003", handling_hours="工作日 9:00-17:00")
    _edit_item(data_copy, "RSJ-005", handling_hours="工作日 9:00-17:00")
    before = ServiceItemVersion.objects.count()
    with pytest.raises(CommandError, match="RSJ-003 有未发布的草稿"):
        call_command("load_catalog", dir=data_copy, stdout=StringIO(), stderr=StringIO())
    assert ServiceItemVersion.objects.count() == before


def test_a_draft_breaking_the_catalog_rules_cannot_be_published():
    from yijianshi.catalog.services import InvalidItemContent

    draft = item_draft_create(ServiceItem.objects.get(code="RSJ-003"))
    draft.handling_type = "promised"
    draft.promised_time_limit_days = 30
    draft.legal_time_limit_days = 20
    draft.save()
    with pytest.raises(InvalidItemContent, match="承诺时限（30）不能超过法定时限（20）"):
        item_version_publish(draft)
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_a_value_longer_than_its_column_is_reported_with_the_field_before_anything_is_written(data_copy):
    _edit_item(data_copy, "RSJ-003", result_type="很长的结果类型" * 10, name="名" * 200)
    with pytest.raises(CatalogDataError) as excinfo:
        read_catalog(data_copy)
    errors = "\n".join(excinfo.value.errors)
    assert "字段 result_type 不能超过 32 个字符（现为 70 个）" in errors
    assert "字段 name 不能超过 128 个字符" in errors
