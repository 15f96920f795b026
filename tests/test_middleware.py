import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", [
    "/api/v1/items/%00", "/api/v1/bundles/%00", "/api/v1/items?department=%00", "/api/v1/search?q=a%00",
])
def test_a_nul_character_in_an_api_request_is_a_400_naming_the_problem_not_a_database_error(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "NUL" in response.json()["message"]


@pytest.mark.parametrize("url", ["/items/A%00/", "/bundles/a%00/", "/search/?q=a%00b"])
def test_a_nul_character_in_a_page_request_is_a_400(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_search_errors_carry_the_platform_wide_message_field(client):
    body = client.get("/api/v1/search", {"q": "办" * 101}).json()
    assert "q" in body["message"] and body["message"] == body["detail"]
