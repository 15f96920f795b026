import pytest

from tests.catalog.attachment import BUNDLES, ENTERPRISE_BUNDLES, TIERS, UNITS

pytestmark = pytest.mark.django_db


def test_api_lists_the_25_bundles_with_sub_items_and_departments_exactly_as_in_the_attachment(client):
    response = client.get("/api/v1/bundles")
    assert response.status_code == 200
    # Sub-items are listed in 前后置 order, which may differ from the table's row order, so compare as sets.
    got = {b["number"]: (b["name"], b["lead_department"], sorted((i["name"], i["department"]) for i in b["items"]))
           for b in response.json()}
    expected = {number: (name, lead, sorted(items)) for number, name, lead, items in BUNDLES}
    assert got == expected


def test_bundles_carry_tier_and_subject(client):
    for bundle in client.get("/api/v1/bundles").json():
        assert bundle["tier"] == TIERS[bundle["number"]]
        assert bundle["subject"] == ("enterprise" if bundle["number"] in ENTERPRISE_BUNDLES else "individual")
        assert bundle["tier_label"] in ("巩固提升", "探索拓展")


def test_bundles_can_be_filtered_by_subject(client):
    enterprise = client.get("/api/v1/bundles", {"subject": "enterprise"}).json()
    assert {b["number"] for b in enterprise} == ENTERPRISE_BUNDLES
    response = client.get("/api/v1/bundles", {"subject": "alien"})
    assert response.status_code == 422
    assert "subject" in response.json()["message"]


def test_departments_are_the_30_units_of_the_attachment_with_their_kinds(client):
    departments = client.get("/api/v1/departments").json()
    assert {d["name"] for d in departments if d["in_work_plan"]} == UNITS
    # 12345 also dispatches to the market regulator, which the attachment does not list.
    assert {d["code"] for d in departments if not d["in_work_plan"]} == {"scjgj"}
    kinds = {d["name"]: d["kind"] for d in departments}
    assert kinds["国网清涧供电公司"] == "enterprise"
    assert kinds["县医疗体检机构（自助机）"] == "self_service"
    assert kinds["县住房公积金中心"] == "institution"
    assert kinds["县人社局"] == "government"


def test_resale_housing_detail_orders_contract_and_tax_before_registration_and_utilities_after(client):
    detail = client.get("/api/v1/bundles/resale-housing-transfer").json()
    stages = [[i["name"] for i in stage] for stage in detail["stages"]]
    assert stages[0] == ["房屋交易合同网签备案"]
    assert stages[1] == ["房地产交易税费申报"]
    assert stages[2] == ["不动产统一登记"]
    assert set(stages[3]) == {"水表过户", "电表过户", "天然气表过户", "用暖过户"}
    registration = detail["stages"][2][0]
    assert set(registration["after"]) == {"ZJJ-002", "SWJ-001"}


def test_bundle_detail_merges_the_form_and_materials_without_duplicates(client):
    detail = client.get("/api/v1/bundles/newborn").json()
    elements = [f["element"] for f in detail["form_fields"]]
    materials = [m["code"] for m in detail["materials"]]
    assert len(elements) == len(set(elements))
    assert len(materials) == len(set(materials))
    shared = [f for f in detail["form_fields"] if len(f["items"]) > 1]
    assert shared, "the newborn bundle shares data such as the child's name between its items"
    time = detail["time"]
    assert time["promised_days"] <= time["promised_days_separately"]
    assert time["days_saved"] == time["promised_days_separately"] - time["promised_days"]
    visits = detail["visits"]
    assert visits["visits"] <= visits["visits_separately"]


def test_unknown_bundle_and_item_are_404_with_a_chinese_message(client):
    response = client.get("/api/v1/bundles/no-such-thing")
    assert response.status_code == 404
    assert "未找到" in response.json()["detail"]
    assert client.get("/api/v1/items/NOPE-001").status_code == 404


def test_items_list_has_98_distinct_items_and_item_detail_has_the_national_elements(client):
    items = client.get("/api/v1/items").json()
    assert len(items) == 98 == len({i["code"] for i in items})
    detail = client.get("/api/v1/items/ZRZYJ-001").json()
    assert detail["name"] == "不动产统一登记"
    for key in ("legal_basis", "acceptance_conditions", "process_steps", "result_name", "handling_place",
                "consult_phone", "complaint_phone"):
        assert detail[key], key
    assert detail["item_type"] in {"01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "20"}
    assert {b["code"] for b in detail["bundles"]} == {
        "resale-housing-transfer", "handover-with-title", "enterprise-real-estate-registration"}
    assert detail["materials"] and detail["form_fields"]


def test_items_can_be_filtered_by_department(client):
    items = client.get("/api/v1/items", {"department": "jjd"}).json()
    assert {i["name"] for i in items} == {"人像采集", "驾驶证期满换证"}


def test_openapi_schema_documents_the_catalog_endpoints(client):
    schema = client.get("/api/openapi.json").json()
    for path in ("/api/v1/bundles", "/api/v1/bundles/{code}", "/api/v1/items", "/api/v1/items/{code}",
                 "/api/v1/departments", "/api/v1/search"):
        assert path in schema["paths"], path
    assert client.get("/api/docs").status_code == 200
