"""Open311 GeoReport v2: another app submits a 12345 request and follows it, in JSON and XML."""

from xml.etree import ElementTree

import pytest
from django.test import Client

from yijianshi.accounts.services import api_token_issue
from yijianshi.accounts.system_accounts import system_account_create
from yijianshi.hotline import services
from yijianshi.hotline.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def app_key(system_admin):
    app = system_account_create(user=system_admin, username="qingjian-app", name="爱清涧 App")
    return api_token_issue(user=system_admin, owner=app, name="Open311")[1]


@pytest.fixture
def other_key(system_admin):
    app = system_account_create(user=system_admin, username="other-app", name="其他应用")
    return api_token_issue(user=system_admin, owner=app, name="Open311")[1]


REQUEST = {"service_code": "complaint", "description": "石咀驿镇街道路灯坏了一个多月，晚上出行不便",
           "lat": "37.088000", "long": "110.121000", "address_string": "石咀驿镇中心街", "phone": "13800000007",
           "first_name": "敏", "last_name": "赵"}


def test_the_service_list_is_public_in_json_and_xml():
    services_json = Client().get("/open311/v2/services.json").json()
    assert {s["service_code"] for s in services_json} >= {"complaint", "request", "consultation", "service_failure"}
    xml = ElementTree.fromstring(Client().get("/open311/v2/services.xml").content)
    assert xml.tag == "services" and xml.find("service/service_name").text


def test_an_app_submits_a_request_and_follows_it_to_the_reply(app_key, make_staff):
    created = Client().post("/open311/v2/requests.json", {**REQUEST, "api_key": app_key})
    assert created.status_code == 201
    number = created.json()[0]["service_request_id"]
    ticket = Ticket.objects.get(number=number)
    assert ticket.channel == "open311" and ticket.caller_mobile == "13800000007"

    operator = make_staff("operator", "hotline_operator")
    officer = make_staff("cgj-officer", "department_officer", department="cgj")
    services.ticket_dispatch(user=operator, ticket=ticket, department_code="cgj")
    services.ticket_accept(user=officer, ticket=ticket)
    services.ticket_reply(user=officer, ticket=ticket, reply="已于次日更换路灯灯头，恢复照明")

    detail = Client().get(f"/open311/v2/requests/{number}.json", {"api_key": app_key}).json()[0]
    # Answered is "closed" in GeoReport terms; the notes say how (a bad rating would open it again).
    assert detail["status"] == "closed" and detail["status_notes"] == "已答复"
    assert detail["agency_responsible"] == "县城管局"
    xml = ElementTree.fromstring(Client().get(f"/open311/v2/requests/{number}.xml", {"api_key": app_key}).content)
    assert xml.find("request/service_request_id").text == number
    listed = Client().get("/open311/v2/requests.json", {"api_key": app_key, "status": "closed"}).json()
    assert [r["service_request_id"] for r in listed] == [number]
    assert Client().get("/open311/v2/requests.json", {"api_key": app_key, "status": "open"}).json() == []


@pytest.mark.parametrize("change, status, words", [
    ({"api_key": ""}, 403, "api_key"),
    ({"service_code": "gossip"}, 400, "service_code"),
    ({"lat": "", "long": "", "address_string": ""}, 400, "位置"),
    ({"description": "灯"}, 400, "诉求内容"),
    ({"lat": "abc"}, 400, "lat"),
])
def test_errors_follow_the_spec(app_key, change, status, words):
    response = Client().post("/open311/v2/requests.json", {**REQUEST, "api_key": app_key, **change})
    assert response.status_code == status
    error = response.json()[0]
    assert error["code"] == status and words in error["description"]
    assert not Ticket.objects.exists()


def test_errors_in_xml(app_key):
    response = Client().post("/open311/v2/requests.xml", {**REQUEST, "api_key": "qjt_wrong"})
    xml = ElementTree.fromstring(response.content)
    assert response.status_code == 403 and xml.tag == "errors" and xml.find("error/code").text == "403"


def test_an_app_never_sees_another_apps_requests(app_key, other_key):
    number = Client().post("/open311/v2/requests.json", {**REQUEST, "api_key": app_key}).json()[0]["service_request_id"]
    assert Client().get(f"/open311/v2/requests/{number}.json", {"api_key": other_key}).status_code == 404
    assert Client().get("/open311/v2/requests.json", {"api_key": other_key}).json() == []
