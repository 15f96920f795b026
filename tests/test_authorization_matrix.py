"""The authorisation matrix: every page and API operation, against every role, on its own and a foreign object.

Each row names a route, how to call it, and which actors it allows; every other actor must be refused (log-in
redirect or 401 for the anonymous, 403 or 404 for the rest) and a refused call must change nothing: no audit event
is appended (every write of the platform appends one). Two guards keep the matrix complete: every URL pattern
and every OpenAPI operation must appear in it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from tests.conftest import PASSWORD, RELATIVE_ID, RESIDENT_ID
from yijianshi.accounts import services
from yijianshi.audit.models import AuditEvent

STAFF_ROLES = {
    "window_clerk": dict(service_point="county-hall"),
    "department_officer": dict(department="rsj"),
    "department_leader": dict(department="rsj"),
    "hotline_operator": {},
    "supervisor": {},
    "catalog_admin": {},
    "helper": dict(service_point="county-hall"),
}
# 张桂兰 (resident) granted the helper a mandate; 张小军 (stranger) has nothing to do with her; 马丽 (representative)
# represents the enterprise. The system administrator is the one who bootstrapped the platform.
ACTORS = ["anonymous", "resident", "stranger", "representative", "system_admin", *STAFF_ROLES]
PEOPLE = {"resident", "stranger", "representative", "system_admin", *STAFF_ROLES}
STAFF_MANAGERS = {"system_admin"}
AUDIT_READERS = {"supervisor", "system_admin"}
LOOKUP = {"window_clerk", "helper", "department_officer", "department_leader", "supervisor"}
REVEAL = {"window_clerk", "department_officer", "department_leader", "supervisor"}


@dataclass
class Route:
    pattern: str          # the URL pattern or OpenAPI path it covers
    method: str
    url: str              # with {placeholders} filled from the world
    allowed: set[str]
    data: dict = field(default_factory=dict)
    api: bool = False
    public_only: bool = False  # expensive public pages (PDFs): checked for the anonymous and one resident

    @property
    def id(self) -> str:
        return f"{self.method} {self.url}"


EVERYONE = set(ACTORS)
SIGNED_IN = EVERYONE - {"anonymous"}
R = Route
ROUTES = [
    # Public pages and API
    R("", "GET", "/", EVERYONE),
    R("search/", "GET", "/search/?q=社保", EVERYONE),
    R("service-points/", "GET", "/service-points/", EVERYONE),
    R("bundles/", "GET", "/bundles/", EVERYONE),
    R("bundles/<slug:code>/", "GET", "/bundles/newborn/", EVERYONE),
    R("bundles/<slug:code>/guide.pdf", "GET", "/bundles/newborn/guide.pdf", {"anonymous", "resident"}, public_only=True),
    R("items/<str:code>/", "GET", "/items/RSJ-002/", EVERYONE),
    R("items/<str:code>/guide.pdf", "GET", "/items/RSJ-002/guide.pdf", {"anonymous", "resident"}, public_only=True),
    R("api/docs", "GET", "/api/docs", EVERYONE),
    R("api/openapi.json", "GET", "/api/openapi.json", EVERYONE),
    R("/api/v1/bundles", "GET", "/api/v1/bundles", EVERYONE, api=True),
    R("/api/v1/bundles/{code}", "GET", "/api/v1/bundles/newborn", EVERYONE, api=True),
    R("/api/v1/items", "GET", "/api/v1/items", EVERYONE, api=True),
    R("/api/v1/items/{code}", "GET", "/api/v1/items/RSJ-002", EVERYONE, api=True),
    R("/api/v1/departments", "GET", "/api/v1/departments", EVERYONE, api=True),
    R("/api/v1/search", "GET", "/api/v1/search?q=社保", EVERYONE, api=True),
    R("/api/v1/audit/checkpoint-keys", "GET", "/api/v1/audit/checkpoint-keys", EVERYONE, api=True),
    # Sign-up and log-in
    R("accounts/signup/", "GET", "/accounts/signup/", EVERYONE),
    R("accounts/login/", "GET", "/accounts/login/", EVERYONE),
    R("accounts/logout/", "POST", "/accounts/logout/", EVERYONE),
    R("accounts/logout-everywhere/", "POST", "/accounts/logout-everywhere/", SIGNED_IN),
    # 我的空间: one's own; acting for the resident needs her mandate (the helper has one)
    R("me/", "GET", "/me/", SIGNED_IN),
    R("me/acting/", "POST", "/me/acting/", {"resident", "helper"}, data={"principal_id": "{resident_party}"}),
    R("me/contact/", "POST", "/me/contact/", PEOPLE, data={"mobile": "13912345678"}),
    R("me/mandates/", "GET", "/me/mandates/", PEOPLE),
    R("me/mandates/grant/", "POST", "/me/mandates/grant/", {"representative"}, data={
        "principal": "{enterprise}", "agent_kind": "person", "agent_name": "张小军", "agent_id_number": RELATIVE_ID,
        "scope": "all", "valid_until": "{next_month}"}),
    R("me/mandates/<int:pk>/revoke/", "POST", "/me/mandates/{mandate}/revoke/", {"resident", "helper"}),
    R("me/enterprises/register/", "GET", "/me/enterprises/register/", PEOPLE),
    R("me/enterprises/<int:pk>/", "GET", "/me/enterprises/{enterprise}/", {"representative"}),
    R("me/enterprises/<int:pk>/administrators/", "POST", "/me/enterprises/{enterprise}/administrators/",
      {"representative"}, data={"name": "张小军", "id_number": RELATIVE_ID, "action": "add"}),
    # Identity API
    R("/api/v1/me", "GET", "/api/v1/me", SIGNED_IN, api=True),
    R("/api/v1/me/mandates", "GET", "/api/v1/me/mandates", PEOPLE, api=True),
    R("/api/v1/me/mandates", "POST", "/api/v1/me/mandates", {"representative"}, api=True, data={
        "principal_id": "{enterprise}", "agent_name": "张小军", "agent_id_number": RELATIVE_ID, "all_services": True,
        "valid_until": "{next_month}"}),
    R("/api/v1/me/mandates/{mandate_id}/revoke", "POST", "/api/v1/me/mandates/{mandate}/revoke",
      {"resident", "helper"}, api=True, data={}),
    # Staff administration
    R("staff/", "GET", "/staff/", STAFF_MANAGERS),
    R("staff/new/", "GET", "/staff/new/", STAFF_MANAGERS),
    R("staff/systems/new/", "GET", "/staff/systems/new/", STAFF_MANAGERS),
    R("staff/<int:user_id>/", "GET", "/staff/{clerk_user}/", STAFF_MANAGERS),
    R("staff/<int:user_id>/roles/", "POST", "/staff/{clerk_user}/roles/", STAFF_MANAGERS,
      data={"reason": "调岗", "grants-TOTAL_FORMS": "1", "grants-INITIAL_FORMS": "0", "grants-0-role": "supervisor"}),
    R("staff/<int:user_id>/active/", "POST", "/staff/{clerk_user}/active/", STAFF_MANAGERS,
      data={"active": "0", "reason": "离职"}),
    R("staff/<int:user_id>/tokens/", "POST", "/staff/{system_user}/tokens/", STAFF_MANAGERS,
      data={"name": "对接", "days": "30"}),
    R("staff/<int:user_id>/tokens/<int:token_id>/revoke/", "POST", "/staff/{system_user}/tokens/{token}/revoke/",
      STAFF_MANAGERS),
    R("staff/enterprises/", "GET", "/staff/enterprises/?credit_code=91610830MA7QJ0001J", STAFF_MANAGERS),
    R("staff/enterprises/<int:enterprise_id>/", "GET", "/staff/enterprises/{enterprise}/", STAFF_MANAGERS),
    R("staff/persons/", "GET", f"/staff/persons/?id_number={RESIDENT_ID}", LOOKUP),
    R("staff/persons/<int:person_id>/reveal/", "POST", "/staff/persons/{resident_party}/reveal/", REVEAL,
      data={"field": "id_number", "purpose": "核对申请人身份"}),
    # Audit
    R("supervision/audit/", "GET", "/supervision/audit/", AUDIT_READERS),
    R("supervision/audit/verify/", "POST", "/supervision/audit/verify/", AUDIT_READERS),
    R("/api/v1/audit/events", "GET", "/api/v1/audit/events", AUDIT_READERS, api=True),
    R("/api/v1/audit/verification", "GET", "/api/v1/audit/verification", AUDIT_READERS, api=True),
    R("/api/v1/audit/checkpoints", "GET", "/api/v1/audit/checkpoints", AUDIT_READERS, api=True),
    # Single sign-on is off by default: nobody reaches it
    R("oidc/authenticate/", "GET", "/oidc/authenticate/", set()),
    R("oidc/callback/", "GET", "/oidc/callback/", set()),
    R("oidc/logout/", "POST", "/oidc/logout/", set()),
    # The Django admin: catalog and system administrators only
    R("admin/", "GET", "/admin/", {"catalog_admin", "system_admin"}),
]
NOT_IN_MATRIX = {"static/", "media/"}


@pytest.fixture
def world(db, make_staff, system_admin):
    actors = {"system_admin": system_admin}
    for role, scope in STAFF_ROLES.items():
        actors[role] = make_staff(role.replace("_", "-"), role, **scope)
    actors["resident"] = services.resident_sign_up(name="张桂兰", id_number=RESIDENT_ID, mobile="13800000001",
                                                   password=PASSWORD)
    actors["stranger"] = services.resident_sign_up(name="张小军", id_number=RELATIVE_ID, mobile="13800000002",
                                                   password=PASSWORD)
    actors["representative"] = rep = services.resident_sign_up(
        name="马丽", id_number="610830196003030110", mobile="13800000003", password=PASSWORD)
    enterprise = services.enterprise_register(user=rep, name="清涧县红枣食品有限公司", credit_code="91610830MA7QJ0001J",
                                              representative_name="马丽", representative_id_number="610830196003030110")
    helper = actors["helper"].person
    mandate = services.mandate_grant(user=actors["resident"], principal=actors["resident"].person,
                                     agent_name=helper.name, agent_id_number=helper.id_number, all_services=True,
                                     valid_until=timezone.now() + timedelta(days=90))
    from yijianshi.accounts.system_accounts import system_account_create

    hall_system = system_account_create(user=system_admin, username="hall-queue", name="大厅排队叫号系统")
    token, _ = services.api_token_issue(user=system_admin, owner=hall_system, name="叫号对接")
    values = {"resident_party": actors["resident"].person.pk, "enterprise": enterprise.pk, "mandate": mandate.pk,
              "clerk_user": actors["window_clerk"].pk, "system_user": hall_system.pk, "token": token.pk,
              "next_month": (timezone.localdate() + timedelta(days=30)).isoformat()}
    return actors, values


def _fill(value, values):
    if isinstance(value, str):
        return value.format(**values)
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    return value


def _call(client, route, values):
    url, data = _fill(route.url, values), _fill(route.data, values)
    if isinstance(data.get("principal_id"), str) and route.api:
        data["principal_id"] = int(data["principal_id"])
    if isinstance(data.get("all_services"), str):
        data["all_services"] = data["all_services"] == "True"
    if route.method == "GET":
        return client.get(url)
    if route.api:
        return client.post(url, json.dumps(data), content_type="application/json")
    return client.post(url, data)


CASES = [(route, actor) for route in ROUTES for actor in ACTORS if not route.public_only or actor in route.allowed]


@pytest.mark.parametrize("route, actor", CASES, ids=[f"{r.id} as {a}" for r, a in CASES])
def test_each_actor_gets_exactly_the_access_the_matrix_grants(world, route, actor):
    actors, values = world
    client = Client()
    if actor != "anonymous":
        client.force_login(actors[actor])
    events_before = AuditEvent.objects.count()
    response = _call(client, route, values)
    status = response.status_code

    if actor in route.allowed:
        assert status < 400, (status, response.content[:300])
        return
    if actor == "anonymous" and not route.url.startswith("/oidc/"):
        if route.api:
            assert status == 401
        else:
            assert status == 302 and ("/accounts/login/" in response["Location"] or "/admin/login/" in response["Location"])
    elif route.url.startswith("/admin/"):
        assert status == 302 and "/admin/login/" in response["Location"]  # Django admin's own refusal
    else:
        # 400 is a refusal too when the foreign object is a form choice the actor was never offered.
        refusals = (400, 403, 404) if route.method == "POST" and not route.api else (403, 404)
        assert status in refusals, (status, response.content[:300])
    assert AuditEvent.objects.count() == events_before, "a refused request wrote something"


def _patterns(resolver, prefix=""):
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route.startswith(("admin/", "api/")):
                yield route.split("/")[0] + "/" if route.startswith("admin/") else route
                continue
            yield from _patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route


def test_every_page_is_in_the_matrix():
    covered = {r.pattern for r in ROUTES} | {"api/"}
    missing = sorted(p.lstrip("^").rstrip("$") for p in _patterns(get_resolver())
                     if p.lstrip("^").rstrip("$") not in covered and not p.startswith(tuple(NOT_IN_MATRIX)))
    assert missing == []


@pytest.mark.django_db
def test_every_api_operation_is_in_the_matrix():
    schema = Client().get("/api/openapi.json").json()
    operations = {(path, method.upper()) for path, methods in schema["paths"].items() for method in methods}
    covered = {(r.pattern, r.method) for r in ROUTES if r.pattern.startswith("/api/")}
    assert sorted(operations - covered) == []
