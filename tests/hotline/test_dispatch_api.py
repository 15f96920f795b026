"""POST /api/v1/hotline/dispatch-suggestions: operators (people or systems) get ranked catalog departments."""

import json
from collections import Counter

import pytest
import yaml
from django.conf import settings
from django.test import Client

from yijianshi.hotline.dispatch import training
from yijianshi.organizations.models import Department, Town

pytestmark = pytest.mark.django_db
URL = "/api/v1/hotline/dispatch-suggestions"


@pytest.fixture(autouse=True)
def model_file(settings, tmp_path):
    """Each test trains into its own file, never the repository's var/."""
    settings.HOTLINE_MODEL_PATH = tmp_path / "model.joblib"
    training._cache.update(key=None, model=None)
    return settings.HOTLINE_MODEL_PATH


@pytest.fixture
def operator(make_staff):
    return make_staff("hotline1", "hotline_operator")


def _post(client, body, **headers):
    return client.post(URL, json.dumps(body), content_type="application/json", **headers)


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_an_operator_gets_ranked_suggestions_naming_catalog_departments(operator, model_file):
    response = _post(_client(operator), {"text": "我们小区从昨天停电到现在，冰箱里的肉都坏了，供电公司电话打不通"})
    assert response.status_code == 200
    body = response.json()
    first = body["suggestions"][0]
    assert first["department"] == {"code": "gdgs", "name": "国网清涧供电公司"}
    assert first["score"] >= 0.35 and body["needs_person"] is False
    assert 1 <= len(body["suggestions"]) <= 3
    scores = [s["score"] for s in body["suggestions"]]
    assert scores == sorted(scores, reverse=True)
    names = dict(Department.objects.values_list("code", "name"))
    assert all(names[s["department"]["code"]] == s["department"]["name"] for s in body["suggestions"])
    assert body["model_version"].startswith("v")
    assert model_file.exists()  # trained on the fly from the data and saved for the next process


def test_wage_arrears_and_cold_radiators_reach_their_departments(operator):
    client = _client(operator)
    wages = _post(client, {"text": "在工地干了半年活，包工头拖欠工资跑了"}).json()
    heating = _post(client, {"text": "暖气不热，屋里冷得很，供热公司不管"}).json()
    assert wages["suggestions"][0]["department"]["code"] == "rsj"
    assert heating["suggestions"][0]["department"]["code"] == "zjj"


@pytest.mark.parametrize("text", ["喂，你好", "我要投诉", "请问图书馆几点开门"])
def test_a_vague_or_unknown_ticket_waits_for_a_person(operator, text):
    body = _post(_client(operator), {"text": text}).json()
    assert body["needs_person"] is True
    assert body["suggestions"]  # the operator still sees the best guesses


def test_a_system_account_with_the_operator_role_calls_with_a_bearer_token(system_admin):
    from yijianshi.accounts import services
    from yijianshi.accounts.system_accounts import system_account_create

    system = system_account_create(user=system_admin, username="hotline-12345", name="12345 热线系统")
    services.staff_roles_set(user=system_admin, staff=system, grants=[services.GrantSpec("hotline_operator")])
    _, secret = services.api_token_issue(user=system_admin, owner=system, name="工单对接")
    response = _post(Client(), {"text": "楼道里天然气味道很大，怀疑漏气"}, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert response.json()["suggestions"][0]["department"]["code"] == "trqgs"


def test_a_resident_is_refused_with_403(resident):
    response = _post(_client(resident), {"text": "停电了"})
    assert response.status_code == 403
    assert "分拨" in response.json()["message"]


def test_anonymous_callers_get_401():
    response = _post(Client(), {"text": "停电了"})
    assert response.status_code == 401
    assert response.json()["message"]


@pytest.mark.parametrize("text, words", [("", "不能少于 1"), ("停" * 2001, "不能超过 2000")])
def test_empty_or_too_long_text_is_a_422_naming_the_field(operator, text, words):
    response = _post(_client(operator), {"text": text})
    assert response.status_code == 422
    message = response.json()["message"]
    assert "text" in message and words in message


def test_a_missing_text_is_a_422_naming_the_field(operator):
    response = _post(_client(operator), {})
    assert response.status_code == 422
    assert "text" in response.json()["message"]


def test_the_examples_file_loads_with_catalog_departments_and_towns():
    content = yaml.safe_load((settings.DATA_DIR / "hotline" / "dispatch_examples.yaml").read_text(encoding="utf-8"))
    examples = content["examples"]
    assert len(examples) >= 320
    codes = set(Department.objects.values_list("code", flat=True))
    towns = set(Town.objects.values_list("name", flat=True))
    assert {e["department"] for e in examples} <= codes
    assert {e["town"] for e in examples if "town" in e} <= towns
    assert all(e["text"].strip() for e in examples)
    assert min(Counter(e["department"] for e in examples).values()) >= 5
    assert len(training.file_examples()) == len(examples)


def test_a_retrained_model_file_is_picked_up_without_a_restart(operator, model_file):
    first = training.current_model()
    assert training.current_model() is first  # loaded once, not per request
    ticket = "广场舞音响太吵了"
    training.train_and_save(corrections=[(ticket, "whg")] * 12)
    assert training.current_model() is not first
    assert _post(_client(operator), {"text": ticket}).json()["suggestions"][0]["department"]["code"] == "whg"
