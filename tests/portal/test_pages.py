import pytest

pytestmark = pytest.mark.django_db


def test_home_page_has_the_search_box_and_both_bundle_lists(client):
    page = client.get("/").content.decode()
    assert 'name="q"' in page
    assert "个人“一件事”" in page and "企业“一件事”" in page
    assert page.count('class="bundle-card"') == 25
    assert "已上线 25 个“一件事”，涉及 98 个事项、30 个部门（单位）" in page


def test_search_page_lists_the_newborn_bundle_for_a_residents_question(client):
    page = client.get("/search/", {"q": "孩子刚出生要办什么"}).content.decode()
    assert "/bundles/newborn/" in page


def test_search_partial_is_returned_to_htmx(client):
    response = client.get("/search/", {"q": "开饭馆"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert "/bundles/business-permit-restaurant/" in page


def test_an_overlong_search_gets_a_clear_400(client):
    response = client.get("/search/", {"q": "办" * 101})
    assert response.status_code == 400
    assert "不能超过 100 个字" in response.content.decode()


def test_service_points_page_lists_the_county_hall_and_nine_town_centres(client):
    page = client.get("/service-points/").content.decode()
    assert "清涧县政务服务中心" in page
    for town in ("宽州镇", "石咀驿镇", "折家坪镇", "玉家河镇", "高杰村镇", "李家塔镇", "店则沟镇", "解家沟镇", "下廿里铺镇"):
        assert f"{town}便民服务中心" in page
