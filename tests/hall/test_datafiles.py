"""The windows as reviewable data: the county's file loads and reloads without change; mistakes are named in
Chinese with the point, the record and the field, and nothing is written."""

import io

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

from yijianshi.hall.datafiles import HallDataError, Known, check_hall, known_codes, load_hall, read_hall
from yijianshi.hall.models import Category, Window

pytestmark = pytest.mark.django_db


def _raw():
    return yaml.safe_load((settings.HALL_DATA_DIR / "windows.yaml").read_text(encoding="utf-8"))


def test_the_county_file_loads_once_and_a_second_load_changes_nothing():
    out = io.StringIO()
    call_command("load_hall", stdout=out)
    assert "窗口 23" in out.getvalue()
    hall = Window.objects.filter(service_point__code="county-hall")
    assert hall.get(number="A04").kind == Window.Kind.GREEN
    assert hall.get(number="H01").kind == Window.Kind.ASSISTED
    assert hall.get(number="B01").department.code == "zrzyj"
    assert set(hall.get(number="C01").categories.values_list("code", flat=True)) == {"social"}
    assert Category.objects.get(service_point__code="county-hall", code="general").bundles.filter(
        code="newborn").exists()
    assert Window.objects.filter(service_point__code="town-610830100").count() == 2
    again = load_hall(read_hall(settings.HALL_DATA_DIR / "windows.yaml", known_codes()))
    assert again == {"created": 0, "updated": 0, "deactivated": 0}


def test_a_window_left_out_of_the_file_is_switched_off_not_deleted():
    call_command("load_hall", stdout=io.StringIO())
    raw = _raw()
    raw["service_points"]["county-hall"]["windows"] = [
        w for w in raw["service_points"]["county-hall"]["windows"] if w["number"] != "A03"]
    report = load_hall(check_hall(raw, known_codes()))
    assert report["deactivated"] == 1
    assert Window.objects.get(service_point__code="county-hall", number="A03").active is False


def test_mistakes_are_all_reported_in_chinese_and_nothing_is_written():
    raw = _raw()
    county = raw["service_points"]["county-hall"]
    county["categories"][1]["prefix"] = "a"
    county["categories"][2]["bundles"].append("newborn")           # already in 综合受理
    county["windows"][0]["department"] = "nosuch"
    county["windows"][1]["kind"] = "vip"
    county["windows"] = [w for w in county["windows"] if "utilities" not in w["categories"]]
    raw["service_points"]["town-999"] = {"categories": [], "windows": []}
    with pytest.raises(HallDataError) as failure:
        check_hall(raw, known_codes())
    errors = "\n".join(failure.value.errors)
    assert "业务类别 property：号码字头（prefix）“a”应为一个大写字母" in errors
    assert "一件事“newborn”已属于业务类别 general" in errors
    assert "窗口 A01：责任部门编码“nosuch”不存在" in errors
    assert "窗口 A02：类型（kind）“vip”无效" in errors
    assert "业务类别 utilities：没有窗口办理该类别" in errors
    assert "服务网点 town-999：服务网点编码不存在" in errors
    assert not Window.objects.exists()


def test_the_check_needs_no_database():
    known = Known({"county-hall"}, {"spj"}, set())
    data = check_hall({"service_points": {"county-hall": {
        "categories": [{"code": "general", "prefix": "A", "name": "综合受理"}],
        "windows": [{"number": "A01", "name": "综合受理窗口", "kind": "intake", "department": "spj",
                     "categories": ["general"]}]}}}, known)
    assert data.counts == (1, 1)
    with pytest.raises(HallDataError, match="至少办理一个业务类别"):
        check_hall({"service_points": {"county-hall": {"categories": [], "windows": [
            {"number": "A01", "name": "综合受理窗口", "kind": "intake", "department": "spj"}]}}}, known)


def test_the_command_refuses_a_bad_file(tmp_path):
    bad = tmp_path / "windows.yaml"
    bad.write_text("service_points: [1, 2]\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="未写入任何数据"):
        call_command("load_hall", file=bad, stderr=err)
    assert "顶层应为 service_points" in err.getvalue()
