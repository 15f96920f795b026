"""The hall API: taking a number with the phone page's rules (per-person limit, green channel from the ID number,
a mobile for a walk-in), following it with its token (people ahead, wait), and a window worked by a clerk of that
service point over a session or a system account's bearer token; every refusal names the field or says why."""

import json

import pytest
from django.test import Client

from tests.conftest import make_id_number
from yijianshi.accounts import services as accounts
from yijianshi.accounts.system_accounts import system_account_create
from yijianshi.hall import services
from yijianshi.hall.models import QueueTicket, WindowService

pytestmark = pytest.mark.django_db
AGED_ID = make_id_number("19500101", 31)
YOUNG_ID = make_id_number("19900315", 32)
TAKE = "/api/v1/hall/service-points/county-hall/tickets"


def post(client, url, data=None, **headers):
    return client.post(url, json.dumps(data or {}), content_type="application/json", **headers)


def test_a_walk_in_takes_a_number_and_follows_it_with_the_token(hall):
    categories = Client().get("/api/v1/hall/service-points/county-hall/categories").json()
    assert {"code": "general", "prefix": "A", "name": categories[0]["name"], "waiting": 0} in categories

    first = post(Client(), TAKE, {"category": "general", "mobile": "13800000011"})
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["number"] == "A001" and body["status"] == "waiting" and body["ahead"] == 0
    assert body["url"] == f"/hall/tickets/{body['token']}/" and "mobile" not in body
    assert QueueTicket.objects.get(pk=body["id"]).channel == QueueTicket.Channel.ONLINE

    second = post(Client(), TAKE, {"category": "general", "mobile": "13800000012", "id_number": YOUNG_ID}).json()
    status = Client().get(f"/api/v1/hall/tickets/{second['token']}").json()
    assert status["number"] == "A002" and status["ahead"] == 1 and status["wait_minutes"] > 0
    assert status["priority"] == "" and status["window"] is None
    assert Client().get(f"/api/v1/hall/tickets/{second['id']}-{'0' * 24}").status_code == 404  # a guessed token


def test_the_phone_pages_rules_hold_green_channel_limit_and_field_named_errors(hall):
    aged = post(Client(), TAKE, {"category": "general", "mobile": "13800000013", "id_number": AGED_ID}).json()
    assert aged["priority"] == "aged" and aged["priority_label"] == "70 岁以上老年人"
    assert "id_number" not in aged and "mobile" not in aged

    refused = {
        "category": {"category": "nothing", "mobile": "13800000014"},
        "mobile": {"category": "general"},
        "id_number": {"category": "general", "mobile": "13800000014", "id_number": "610830195001011235"},
        "priority": {"category": "general", "mobile": "13800000014", "declared_priority": "disabled"},
    }
    for field, data in refused.items():
        response = post(Client(), TAKE, data)
        assert response.status_code == 400 and response.json()["field"] == field, (field, response.content)
    assert post(Client(), TAKE, {"mobile": "13800000014"}).status_code == 422  # no category at all
    assert post(Client(), "/api/v1/hall/service-points/nowhere/tickets", {"category": "general",
                                                                          "mobile": "13800000014"}).status_code == 404

    for _ in range(services.MAX_ACTIVE_PER_PERSON - 1):
        assert post(Client(), TAKE, {"category": "general", "mobile": "13800000013"}).status_code == 201
    over = post(Client(), TAKE, {"category": "general", "mobile": "13800000013"})
    assert over.status_code == 409 and "已有 3 个号码在排队" in over.json()["message"]


def test_a_signed_in_resident_takes_on_her_account_and_her_session_needs_the_csrf_token(hall, resident):
    client = Client(enforce_csrf_checks=True)
    client.force_login(resident)
    assert post(client, TAKE, {"category": "general"}).status_code == 403  # a cross-site post spends nothing
    assert not QueueTicket.objects.exists()
    client.get("/hall/county-hall/take/")  # the page sets the CSRF cookie
    response = post(client, TAKE, {"category": "general"}, HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    assert response.status_code == 201
    ticket = QueueTicket.objects.get(pk=response.json()["id"])
    assert ticket.user == resident and ticket.priority == "aged"  # 张桂兰, born 1940, from her own ID number


def test_a_clerk_calls_starts_and_ends_at_her_window(hall, window, clerk):
    taken = post(Client(), TAKE, {"category": "general", "mobile": "13800000015"}).json()
    client = Client()
    client.force_login(clerk)
    a01 = window("A01")
    called = post(client, f"/api/v1/hall/windows/{a01.pk}/call-next")
    assert called.status_code == 200 and called.json()["ticket"]["number"] == "A001"
    assert called.json()["ticket"]["window"] == "A01" and called.json()["waiting"] == 0
    assert Client().get(f"/api/v1/hall/tickets/{taken['token']}").json()["status"] == "called"
    busy = post(client, f"/api/v1/hall/windows/{a01.pk}/call-next")
    assert busy.status_code == 409 and "请先办结" in busy.json()["message"]

    assert post(client, f"/api/v1/hall/windows/{a01.pk}/start", {}).status_code == 422  # ticket_id missing
    started = post(client, f"/api/v1/hall/windows/{a01.pk}/start", {"ticket_id": taken["id"]})
    assert started.status_code == 200 and started.json()["status"] == "serving"
    wrong_case = post(client, f"/api/v1/hall/windows/{a01.pk}/end", {"ticket_id": taken["id"], "case_number": "QJ1"})
    assert wrong_case.status_code == 400 and wrong_case.json()["field"] == "case_number"
    ended = post(client, f"/api/v1/hall/windows/{a01.pk}/end", {"ticket_id": taken["id"]})
    assert ended.status_code == 200 and ended.json()["status"] == "done"
    assert WindowService.objects.get(ticket_id=taken["id"]).outcome == WindowService.Outcome.SERVED
    again = post(client, f"/api/v1/hall/windows/{a01.pk}/end", {"ticket_id": taken["id"]})
    assert again.status_code == 409  # a stale page or a second press changes nothing
    nobody = post(client, f"/api/v1/hall/windows/{a01.pk}/call-next").json()
    assert nobody == {"ticket": None, "waiting": 0}


def test_other_points_staff_and_the_public_cannot_work_the_window(hall, window, town_clerk, helper, resident):
    post(Client(), TAKE, {"category": "general", "mobile": "13800000016"})
    url = f"/api/v1/hall/windows/{window('A01').pk}/call-next"
    assert post(Client(), url).status_code == 401
    for user in (town_clerk, helper, resident):  # a town's clerk; the helper has only the 帮办代办 window
        client = Client()
        client.force_login(user)
        assert post(client, url).status_code == 404
    assert QueueTicket.objects.get().status == QueueTicket.Status.WAITING


def test_a_queue_system_with_a_bearer_token_works_the_windows_of_its_service_point(hall, window, system_admin):
    system = system_account_create(user=system_admin, username="hall-queue", name="大厅排队叫号系统")
    accounts.staff_roles_set(user=system_admin, staff=system,
                             grants=[accounts.GrantSpec("window_clerk", None, hall.pk)])
    _, secret = accounts.api_token_issue(user=system_admin, owner=system, name="叫号对接")
    post(Client(), TAKE, {"category": "general", "mobile": "13800000017"})
    response = post(Client(), f"/api/v1/hall/windows/{window('A02').pk}/call-next",
                    HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200 and response.json()["ticket"]["window"] == "A02"
    assert post(Client(), f"/api/v1/hall/windows/{window('01', 'town-610830100').pk}/call-next",
                HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 404
