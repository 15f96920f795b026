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
HOTLINE_VIEWERS = {"hotline_operator", "supervisor", "department_officer", "department_leader"}
# Who may open a resident's case documents: she, the window, and the supervisors (no 县人社局 task in newborn).
CASE_VIEWERS = {"resident", "window_clerk", "supervisor"}
# 一人一档: 县人社局's officer and leader read profiles under its catalogue entries and feed what it is the source of.
PROFILE_STAFF = {"department_officer", "department_leader"}


@dataclass
class Route:
    pattern: str          # the URL pattern or OpenAPI path it covers
    method: str
    url: str              # with {placeholders} filled from the world
    allowed: set[str]
    data: dict = field(default_factory=dict)
    api: bool = False
    public_only: bool = False  # expensive public pages (PDFs): checked for the anonymous and one resident
    # Statuses that still mean "let in" for an allowed actor: a form the matrix does not fill (uploads, problem
    # lists) answers 400 and a case in another state 409. The flows themselves are tested in tests/cases.
    also_ok: tuple = ()
    # Machine endpoints that take an api_key rather than a session answer everyone without one with this status.
    without_key: int | None = None

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
    R("me/space/", "GET", "/me/space/", SIGNED_IN),
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
    # 办件: the applicant's own cases (the helper has a mandate but is not acting for her in these sessions)
    R("apply/<slug:code>/", "GET", "/apply/newborn/", SIGNED_IN),
    R("apply/<slug:code>/<slug:token>/applicant/", "GET", "/apply/newborn/{token_hex}/applicant/", SIGNED_IN),
    R("apply/<slug:code>/<slug:token>/situation/", "GET", "/apply/newborn/{token_hex}/situation/", SIGNED_IN),
    R("apply/<slug:code>/<slug:token>/form/", "GET", "/apply/newborn/{token_hex}/form/", SIGNED_IN),
    R("apply/<slug:code>/<slug:token>/materials/", "GET", "/apply/newborn/{token_hex}/materials/", SIGNED_IN),
    R("apply/<slug:code>/<slug:token>/confirm/", "GET", "/apply/newborn/{token_hex}/confirm/", SIGNED_IN),
    R("cases/", "GET", "/cases/", PEOPLE),
    R("cases/<str:number>/", "GET", "/cases/{case_new}/", {"resident"}),
    R("cases/<str:number>/receipt/", "GET", "/cases/{case_new}/receipt/", {"resident"}),
    R("cases/<str:number>/receipt.pdf", "GET", "/cases/{case_new}/receipt.pdf", CASE_VIEWERS),
    R("cases/<str:number>/correct/", "POST", "/cases/{case_notice}/correct/", {"resident"}, also_ok=(400,)),
    R("cases/<str:number>/notices/<int:notice_id>.pdf", "GET", "/cases/{case_notice}/notices/{notice}.pdf",
      CASE_VIEWERS),
    R("cases/<str:number>/rate/", "POST", "/cases/{case_done}/rate/", {"resident"}, data={"level": "5"}),
    R("cases/<str:number>/withdraw/", "POST", "/cases/{case_new}/withdraw/", {"resident"}, data={"reason": "不办了"}),
    R("cases/<str:number>/commitments/<int:commitment_id>/fulfil/", "POST",
      "/cases/{case_deferred}/commitments/{deficiency}/fulfil/", {"resident"}, also_ok=(400,)),
    R("cases/<str:number>/commitments/<int:commitment_id>.pdf", "GET",
      "/cases/{case_deferred}/commitments/{deficiency}.pdf", CASE_VIEWERS),
    R("cases/<str:number>/materials/<int:material_id>/", "GET", "/cases/{case_new}/materials/{material}/",
      CASE_VIEWERS),
    # 综合窗口 (the lead department of newborn is 县卫健局, which none of the actors belongs to)
    R("window/", "GET", "/window/", {"window_clerk", "department_officer", "department_leader"}),
    R("window/apply/", "GET", "/window/apply/", {"window_clerk"}),
    R("window/cases/<str:number>/", "GET", "/window/cases/{case_new}/", {"window_clerk"}),
    R("window/cases/<str:number>/accept/", "POST", "/window/cases/{case_new}/accept/", {"window_clerk"}),
    R("window/cases/<str:number>/notice/", "POST", "/window/cases/{case_new}/notice/", {"window_clerk"},
      data={"other-0": "身份证复印件不清晰"}),
    R("window/cases/<str:number>/refuse/", "POST", "/window/cases/{case_new}/refuse/", {"window_clerk"},
      data={"reason": "不属于本县管辖", "legal_basis": "《行政许可法》第三十二条"}),
    R("window/cases/<str:number>/deliver/", "POST", "/window/cases/{case_pickup}/deliver/", {"window_clerk"},
      data={"note": "本人签收"}),
    # 部门待办: 县人社局's officer and leader, on 县人社局's tasks
    R("tasks/", "GET", "/tasks/", {"department_officer", "department_leader"}),
    R("tasks/<int:task_id>/", "GET", "/tasks/{task_ready}/", {"department_officer", "department_leader"}),
    R("tasks/<int:task_id>/claim/", "POST", "/tasks/{task_ready}/claim/", {"department_officer", "department_leader"}),
    R("tasks/<int:task_id>/note/", "POST", "/tasks/{task_ready}/note/", {"department_officer", "department_leader"},
      data={"note": "已电话联系申请人核实"}),
    R("tasks/<int:task_id>/approve/", "POST", "/tasks/{task_claimed}/approve/",
      {"department_officer", "department_leader"}, data={"opinion": "符合条件，同意"}),
    R("tasks/<int:task_id>/return/", "POST", "/tasks/{task_claimed}/return/",
      {"department_officer", "department_leader"}, data={"opinion": "材料不全", "other-0": "缺少劳动合同"}),
    R("tasks/<int:task_id>/refuse/", "POST", "/tasks/{task_claimed}/refuse/",
      {"department_officer", "department_leader"}, data={"opinion": "不符合条件", "legal_basis": "《社会保险法》第五十八条"}),
    R("tasks/<int:task_id>/extend/", "POST", "/tasks/{task_claimed}/extend/", {"department_leader"},
      data={"days": "3", "reason": "需要调取外省参保记录"}),
    R("tasks/<int:task_id>/commitments/<int:commitment_id>/verify/", "POST",
      "/tasks/{task_claimed}/commitments/{deficiency}/verify/", {"department_officer", "department_leader"},
      data={"passed": "yes", "note": "核查属实"}, also_ok=(404, 409)),
    R("tasks/rectifications/<int:pk>/close/", "POST", "/tasks/rectifications/{rectification}/close/",
      {"department_officer", "department_leader"}, data={"response": "已统一材料清单，并于次日电话回访申请人"}),
    # 办件 API
    R("/api/v1/files", "POST", "/api/v1/files", SIGNED_IN, api=True, also_ok=(400, 422)),
    R("/api/v1/applications", "POST", "/api/v1/applications", SIGNED_IN, api=True, also_ok=(400, 422)),
    R("/api/v1/applications", "GET", "/api/v1/applications", SIGNED_IN, api=True),
    # Over the API there is no session to choose whom one acts for: an agent's mandate in force lets the helper in.
    R("/api/v1/applications/{number}", "GET", "/api/v1/applications/{case_new}", CASE_VIEWERS | {"helper"},
      api=True),
    R("/api/v1/applications/{number}/materials", "POST", "/api/v1/applications/{case_notice}/materials",
      {"resident", "helper"}, api=True, data={"form_data": {}}),
    R("/api/v1/applications/{number}/rating", "POST", "/api/v1/applications/{case_done}/rating",
      {"resident", "helper"}, api=True, data={"level": 5}),
    R("/api/v1/applications/{number}/withdraw", "POST", "/api/v1/applications/{case_new}/withdraw",
      {"resident", "helper"}, api=True, data={"reason": "不办了"}),
    R("/api/v1/applications/{number}/accept", "POST", "/api/v1/applications/{case_new}/accept", {"window_clerk"},
      api=True, data={}),
    R("/api/v1/applications/{number}/correction-request", "POST",
      "/api/v1/applications/{case_new}/correction-request", {"window_clerk"}, api=True,
      data={"problems": [{"target": "", "message": "照片不清晰"}]}),
    R("/api/v1/applications/{number}/refuse", "POST", "/api/v1/applications/{case_new}/refuse", {"window_clerk"},
      api=True, data={"reason": "不属于本县管辖", "legal_basis": "《行政许可法》第三十二条"}),
    R("/api/v1/applications/{number}/deliver", "POST", "/api/v1/applications/{case_pickup}/deliver",
      {"window_clerk"}, api=True, data={"note": "本人签收"}),
    R("/api/v1/tasks", "GET", "/api/v1/tasks", {"department_officer", "department_leader"}, api=True),
    R("/api/v1/tasks/{task_id}", "GET", "/api/v1/tasks/{task_ready}", {"department_officer", "department_leader"},
      api=True),
    R("/api/v1/tasks/{task_id}/claim", "POST", "/api/v1/tasks/{task_ready}/claim",
      {"department_officer", "department_leader"}, api=True, data={}),
    R("/api/v1/tasks/{task_id}/approve", "POST", "/api/v1/tasks/{task_claimed}/approve",
      {"department_officer", "department_leader"}, api=True, data={"opinion": "符合条件，同意"}),
    R("/api/v1/tasks/{task_id}/return", "POST", "/api/v1/tasks/{task_claimed}/return",
      {"department_officer", "department_leader"}, api=True,
      data={"opinion": "材料不全", "problems": [{"target": "", "message": "缺少劳动合同"}]}),
    R("/api/v1/tasks/{task_id}/refuse", "POST", "/api/v1/tasks/{task_claimed}/refuse",
      {"department_officer", "department_leader"}, api=True,
      data={"opinion": "不符合条件", "legal_basis": "《社会保险法》第五十八条"}),
    R("/api/v1/tasks/{task_id}/extend", "POST", "/api/v1/tasks/{task_claimed}/extend", {"department_leader"},
      api=True, data={"days": 3, "reason": "需要调取外省参保记录"}),
    R("/api/v1/hotline/dispatch-suggestions", "POST", "/api/v1/hotline/dispatch-suggestions", {"hotline_operator"},
      api=True, data={"text": "石咀驿镇停电一天了还没来电"}),
    # 12345: operators take calls and dispatch; 县人社局's staff work the tickets led by it; supervisors press
    R("hotline/console/", "GET", "/hotline/console/", {"hotline_operator"}),
    R("hotline/console/caller/", "POST", "/hotline/console/caller/", {"hotline_operator"},
      data={"caller_mobile": "13800000001"}, also_ok=(400,)),
    R("hotline/<int:pk>/", "GET", "/hotline/{t_dispatched}/", HOTLINE_VIEWERS),
    R("hotline/<int:pk>/dispatch/", "POST", "/hotline/{t_new}/dispatch/", {"hotline_operator"},
      data={"department_code": "rsj"}, also_ok=(400,)),
    R("hotline/<int:pk>/merge/", "POST", "/hotline/{t_new}/merge/", {"hotline_operator"},
      data={"into": "{t_dispatched_number}"}, also_ok=(400,)),
    R("hotline/<int:pk>/answer/", "POST", "/hotline/{t_new}/answer/", {"hotline_operator"},
      data={"answer": "拖欠工资可向县人社局劳动监察大队投诉"}, also_ok=(400, 409)),
    R("hotline/<int:pk>/accept/", "POST", "/hotline/{t_dispatched}/accept/", {"department_officer", "department_leader"}),
    R("hotline/<int:pk>/return/", "POST", "/hotline/{t_dispatched}/return/", {"department_officer", "department_leader"},
      data={"reason": "不属于本单位职责范围"}),
    R("hotline/<int:pk>/reply/", "POST", "/hotline/{t_progress}/reply/", {"department_officer", "department_leader"},
      data={"reply": "已督促企业发放拖欠工资，工人已全部领到"}),
    R("hotline/<int:pk>/extend/", "POST", "/hotline/{t_progress}/extend/", {"department_leader"},
      data={"working_days": "3", "reason": "需协调外地企业"}, also_ok=(400,)),
    R("hotline/<int:pk>/rate/", "POST", "/hotline/{t_replied}/rate/", {"hotline_operator"}, data={"level": "5"},
      also_ok=(400,)),
    R("hotline/<int:pk>/supervise/", "POST", "/hotline/{t_progress}/supervise/", {"supervisor"},
      data={"note": "请加快办理，今日内答复"}, also_ok=(400,)),
    R("hotline/<int:pk>/review/", "POST", "/hotline/{t_reopen}/review/", {"supervisor"},
      data={"decision": "reopen", "reason": "回访仍未解决，重办"}, also_ok=(400,)),
    # 办不成事 is assigned by supervisors; 县人社局 co-handles t_co (led by 县住建局); its leader appeals a bad rating;
    # the caller's full number is for operators and the handling departments' staff, audited
    R("hotline/<int:pk>/assign/", "POST", "/hotline/{t_failure}/assign/", {"supervisor"},
      data={"department_code": "rsj", "note": "群众跑了三趟未办成，请今日内联系办结"}),
    R("hotline/<int:pk>/co-handle/", "POST", "/hotline/{t_co}/co-handle/", {"department_officer", "department_leader"},
      data={"opinion": "已核查该企业社保缴费记录，欠缴三个月", "done": "on"}),
    R("hotline/<int:pk>/co-handle/waive/", "POST", "/hotline/{t_co}/co-handle/waive/", {"supervisor"},
      data={"co_handling": "{t_co_part}", "reason": "经核实无需人社局参与"}),
    R("hotline/<int:pk>/rating-appeal/", "POST", "/hotline/{t_reopen}/rating-appeal/", {"department_leader"},
      data={"rating": "{t_reopen_rating}", "reason": "评价内容为辱骂工作人员，与诉求无关，有录音为证"}),
    R("hotline/<int:pk>/rating-appeal/decide/", "POST", "/hotline/{t_appealed}/rating-appeal/decide/", {"supervisor"},
      data={"rating": "{t_appealed_rating}", "decision": "uphold", "reason": "评价反映实际情况，有效"}),
    R("hotline/<int:pk>/caller-mobile/", "POST", "/hotline/{t_dispatched}/caller-mobile/",
      {"hotline_operator", "department_officer", "department_leader"}, data={"purpose": "电话回访办理结果"}),
    R("hotline/<int:pk>/photos/<int:photo_id>/", "GET", "/hotline/{t_photo}/photos/{photo}/",
      HOTLINE_VIEWERS | {"resident"}),
    R("hotline/department/", "GET", "/hotline/department/", {"department_officer", "department_leader"}),
    R("hotline/overdue/", "GET", "/hotline/overdue/", {"supervisor"}),
    R("hotline/new/", "GET", "/hotline/new/", PEOPLE),
    R("hotline/mine/", "GET", "/hotline/mine/", PEOPLE),
    R("hotline/mine/<str:number>/", "GET", "/hotline/mine/{t_replied_number}/", {"resident"}),
    R("hotline/mine/<str:number>/rate/", "POST", "/hotline/mine/{t_replied_number}/rate/", {"resident"},
      data={"level": "5"}),
    # Open311 GeoReport v2: the service list is public; requests need an app's api_key (tested in tests/hotline)
    R(r"open311/v2/^services\.(?P<fmt>json|xml)", "GET", "/open311/v2/services.json", EVERYONE),
    R(r"open311/v2/^requests\.(?P<fmt>json|xml)", "GET", "/open311/v2/requests.json", set(), without_key=403),
    R(r"open311/v2/^requests/(?P<number>RX\d+)\.(?P<fmt>json|xml)", "GET", "/open311/v2/requests/RX2026113000001.json",
      set(), without_key=403),
    # 电子证照: verification and the offline verifiers' documents are public; the resident's 就业创业证 (issued by
    # 县人社局) is hers and her helper's (mandate for everything); 县人社局's staff see it, its leader changes its status.
    R("certificates/verify/", "GET", "/certificates/verify/?q={cert_identifier}", EVERYONE),
    R("certificates/status/<str:purpose>.json", "GET", "/certificates/status/revocation.json", EVERYONE),
    R("certificates/keys.json", "GET", "/certificates/keys.json", EVERYONE),
    R("me/certificates/", "GET", "/me/certificates/", PEOPLE),
    R("me/certificates/<int:pk>/", "GET", "/me/certificates/{cert}/", {"resident", "helper"}),
    R("me/certificates/<int:pk>.pdf", "GET", "/me/certificates/{cert}.pdf", {"resident", "helper"}),
    R("certificates/issued/", "GET", "/certificates/issued/", {"department_officer", "department_leader"}),
    R("certificates/issued/<int:pk>/", "GET", "/certificates/issued/{cert}/", {"department_officer", "department_leader"}),
    R("certificates/issued/<int:pk>/suspend/", "POST", "/certificates/issued/{cert}/suspend/", {"department_leader"},
      data={"suspend-reason": "核查就业状态，暂停使用"}),
    R("certificates/issued/<int:pk>/reinstate/", "POST", "/certificates/issued/{cert_suspended}/reinstate/",
      {"department_leader"}, data={"reinstate-reason": "核查完毕，恢复有效"}),
    R("certificates/issued/<int:pk>/revoke/", "POST", "/certificates/issued/{cert}/revoke/", {"department_leader"},
      data={"revoke-reason": "以欺骗手段取得就业创业证"}),
    R("/api/v1/certificates/verify", "POST", "/api/v1/certificates/verify", EVERYONE, api=True,
      data={"text": "{cert_identifier}"}),
    R("/api/v1/certificates/mine", "GET", "/api/v1/certificates/mine", PEOPLE, api=True),
    # 一人一档 / 一企一档: 县人社局's staff read under its sharing-catalogue entries and see its own feeds; everyone
    # with a person sees their own file and who read it
    R("profiles/lookup/", "GET", "/profiles/lookup/", PROFILE_STAFF),
    R("profiles/lookup/", "POST", "/profiles/lookup/", PROFILE_STAFF,
      data={"subject": RESIDENT_ID, "entry": "{sharing_entry}"}),
    R("profiles/feeds/", "GET", "/profiles/feeds/", PROFILE_STAFF),
    R("profiles/feeds/", "POST", "/profiles/feeds/", PROFILE_STAFF, data={"department": "{rsj}"}, also_ok=(400,)),
    R("profiles/feeds/<int:pk>/", "GET", "/profiles/feeds/{feed_run}/", PROFILE_STAFF),
    R("profiles/feeds/<int:pk>/status/", "GET", "/profiles/feeds/{feed_run}/status/", PROFILE_STAFF),
    R("profiles/feeds/<int:pk>/errors.csv", "GET", "/profiles/feeds/{feed_run}/errors.csv", PROFILE_STAFF),
    R("me/profile/", "GET", "/me/profile/", PEOPLE),
    R("me/data-access/", "GET", "/me/data-access/", PEOPLE),
    R("/api/v1/profiles/read", "POST", "/api/v1/profiles/read", PROFILE_STAFF, api=True,
      data={"subject": RESIDENT_ID, "purpose": "就业困难人员认定", "elements": ["person.hukou_address"]}),
    R("/api/v1/profiles/sharing-entries", "GET", "/api/v1/profiles/sharing-entries", PROFILE_STAFF, api=True),
    # 政务服务大厅: the kiosk, the call screen and a ticket's page (its token is the right) are public; the county
    # hall's clerk works its windows, the helper its 帮办代办 window and help requests; supervisors the figures.
    R("hall/", "GET", "/hall/", EVERYONE),
    R("hall/<slug:point>/take/", "GET", "/hall/county-hall/take/", EVERYONE),
    R("hall/<slug:point>/take/", "POST", "/hall/county-hall/take/", EVERYONE, data={"category": "general"}),
    R("hall/<slug:point>/screen/", "GET", "/hall/county-hall/screen/", EVERYONE),
    R("hall/tickets/<str:token>/", "GET", "/hall/tickets/{hall_wait_token}/", EVERYONE),
    R("hall/tickets/<str:token>/cancel/", "POST", "/hall/tickets/{hall_wait_token}/cancel/", EVERYONE),
    R("hall/rate/<str:token>/", "GET", "/hall/rate/{hall_done_token}/", EVERYONE),
    R("hall/rate/<str:token>/", "POST", "/hall/rate/{hall_done_token}/", EVERYONE, data={"level": "5"}),
    R("hall/windows/", "GET", "/hall/windows/", {"window_clerk", "helper"}),
    R("hall/windows/<int:pk>/", "GET", "/hall/windows/{hall_a01}/", {"window_clerk"}),
    R("hall/windows/<int:pk>/", "GET", "/hall/windows/{hall_h01}/", {"window_clerk", "helper"}),
    R("hall/windows/<int:pk>/call/", "POST", "/hall/windows/{hall_a01}/call/", {"window_clerk"}),
    R("hall/windows/<int:pk>/call/", "POST", "/hall/windows/{hall_h01}/call/", {"window_clerk", "helper"}),
    R("hall/windows/<int:pk>/no-show/", "POST", "/hall/windows/{hall_a02}/no-show/", {"window_clerk"},
      data={"ticket": "{hall_called}"}),
    R("hall/windows/<int:pk>/start/", "POST", "/hall/windows/{hall_a02}/start/", {"window_clerk"},
      data={"ticket": "{hall_called}"}),
    R("hall/windows/<int:pk>/finish/", "POST", "/hall/windows/{hall_a03}/finish/", {"window_clerk"},
      data={"ticket": "{hall_serving}", "case_number": ""}),
    R("hall/windows/<int:pk>/transfer/", "POST", "/hall/windows/{hall_a03}/transfer/", {"window_clerk"},
      data={"ticket": "{hall_serving}", "category": "social", "reason": "办理社保"}),
    R("hall/windows/<int:pk>/pad/", "GET", "/hall/windows/{hall_a01}/pad/", {"window_clerk"}),
    R("hall/queue/<int:pk>/priority/", "POST", "/hall/queue/{hall_wait}/priority/", {"window_clerk", "helper"},
      data={"reason": "disabled"}),
    R("hall/help/", "GET", "/hall/help/", {"helper"}),
    R("hall/help/<int:pk>/accompany/", "POST", "/hall/help/{hall_help}/accompany/", {"helper"}),
    R("hall/help/<int:pk>/record/", "POST", "/hall/help/{hall_help}/record/", {"helper"},
      data={"note": "指导填写参保登记表"}),
    R("hall/supervision/", "GET", "/hall/supervision/", {"supervisor"}),
    # Hall API: taking and following a number are public (the token is the right); the windows are the clerk's
    # of that service point (the helper only at its 帮办代办 window).
    R("/api/v1/hall/service-points/{point}/categories", "GET", "/api/v1/hall/service-points/county-hall/categories",
      EVERYONE, api=True),
    R("/api/v1/hall/service-points/{point}/tickets", "POST", "/api/v1/hall/service-points/county-hall/tickets",
      EVERYONE, api=True, data={"category": "general", "mobile": "13800000099"}),
    R("/api/v1/hall/tickets/{token}", "GET", "/api/v1/hall/tickets/{hall_wait_token}", EVERYONE, api=True),
    R("/api/v1/hall/windows/{window_id}/call-next", "POST", "/api/v1/hall/windows/{hall_a01}/call-next",
      {"window_clerk"}, api=True),
    R("/api/v1/hall/windows/{window_id}/call-next", "POST", "/api/v1/hall/windows/{hall_h01}/call-next",
      {"window_clerk", "helper"}, api=True),
    R("/api/v1/hall/windows/{window_id}/start", "POST", "/api/v1/hall/windows/{hall_a02}/start", {"window_clerk"},
      api=True, data={"ticket_id": "{hall_called}"}),
    R("/api/v1/hall/windows/{window_id}/end", "POST", "/api/v1/hall/windows/{hall_a03}/end", {"window_clerk"},
      api=True, data={"ticket_id": "{hall_serving}"}),
    # 评价申诉: 县人社局's leader appeals the review behind its rectification; a supervisor decides
    R("tasks/rectifications/<int:pk>/appeal/", "POST", "/tasks/rectifications/{window_rectification}/appeal/",
      {"department_leader"}, data={"reason": "评价内容与办件无关，且含有辱骂"}),
    R("supervision/rating-appeals/", "GET", "/supervision/rating-appeals/", {"supervisor"}),
    R("supervision/rating-appeals/<int:pk>/decide/", "POST", "/supervision/rating-appeals/{appealed_rating}/decide/",
      {"supervisor"}, data={"decision": "exclude", "reason": "含辱骂，不计入"}),
    # 免申即享 / 即申即享: everyone with a person sees their own matches and the explained check; the resident decides
    # hers (others get 404); 县人社局's staff work its payment queue; the catalog administrator edits policies.
    R("me/policies/", "GET", "/me/policies/", PEOPLE),
    R("me/policies/matching/", "POST", "/me/policies/matching/", PEOPLE, data={"opted_out": "0"}),
    R("me/policies/<int:pk>/", "GET", "/me/policies/{policy_match}/", {"resident"}),
    R("me/policies/<int:pk>/confirm/", "POST", "/me/policies/{policy_match}/confirm/", {"resident"}),
    R("me/policies/<int:pk>/decline/", "POST", "/me/policies/{policy_match}/decline/", {"resident"}),
    R("me/policies/<int:pk>/reconsider/", "POST", "/me/policies/{policy_match}/reconsider/", {"resident"},
      also_ok=(409,)),
    R("me/policies/<int:pk>/apply/", "POST", "/me/policies/{policy_match}/apply/", {"resident"}, also_ok=(409,)),
    R("policies/grants/", "GET", "/policies/grants/", {"department_officer", "department_leader"}),
    R("policies/grants/<int:pk>/<slug:action>/", "POST", "/policies/grants/{policy_grant}/pay/",
      {"department_officer", "department_leader"}),
    R("policies/editor/", "GET", "/policies/editor/", {"catalog_admin"}),
    R("policies/editor/edit/", "GET", "/policies/editor/edit/", {"catalog_admin"}),
    R("policies/editor/edit/", "POST", "/policies/editor/edit/", {"catalog_admin"}, data={"content": "code: x"},
      also_ok=(400,)),
    R("policies/editor/preview/", "POST", "/policies/editor/preview/", {"catalog_admin"}, data={"content": "code: x"},
      also_ok=(400,)),
    R("policies/editor/versions/<int:pk>/publish/", "POST", "/policies/editor/versions/{policy_draft}/publish/",
      {"catalog_admin"}),
    R("/api/v1/policies/matches", "GET", "/api/v1/policies/matches", PEOPLE, api=True),
    R("/api/v1/policies/matches/{match_id}/confirm", "POST", "/api/v1/policies/matches/{policy_match}/confirm",
      {"resident"}, api=True),
    R("/api/v1/policies/matches/{match_id}/decline", "POST", "/api/v1/policies/matches/{policy_match}/decline",
      {"resident"}, api=True),
    R("/api/v1/policies/grants", "GET", "/api/v1/policies/grants", {"department_officer", "department_leader"},
      api=True),
    R("/api/v1/policies/{code}/explain", "GET", "/api/v1/policies/elderly-allowance-80/explain", PEOPLE, api=True),
    # The Django admin: catalog and system administrators only
    R("admin/", "GET", "/admin/", {"catalog_admin", "system_admin"}),
]
NOT_IN_MATRIX = {"static/", "media/"}


def _build_world(upload_root):
    """Everyone and everything the matrix calls on, made once per module through the services."""
    from tests.cases.factories import key, submission_for
    from yijianshi.accounts.services import GrantSpec, acting_context, staff_account_create, system_admin_bootstrap
    from yijianshi.accounts.system_accounts import system_account_create
    from yijianshi.cases import services as cases
    from yijianshi.cases.models import Rating, RectificationTask, Task
    from yijianshi.organizations.models import Department, ServicePoint

    admin = system_admin_bootstrap(username="sysadmin", name="王建国", id_number="610830198001010019",
                                   mobile="13990000001", password=PASSWORD)
    actors = {"system_admin": admin}
    serial = iter(range(100, 999))

    def staff(username, role, department=None, service_point=None):
        n = next(serial)
        from tests.conftest import make_id_number

        grant = GrantSpec(role, Department.objects.get(code=department).pk if department else None,
                          ServicePoint.objects.get(code=service_point).pk if service_point else None)
        return staff_account_create(user=admin, username=username, name="工作人员", password=PASSWORD,
                                    id_number=make_id_number("19900101", n), mobile=f"1399000{n:04d}", grants=[grant])

    for role, scope in STAFF_ROLES.items():
        actors[role] = staff(role.replace("_", "-"), role, **scope)
    resident = actors["resident"] = services.resident_sign_up(name="张桂兰", id_number=RESIDENT_ID,
                                                              mobile="13800000001", password=PASSWORD)
    actors["stranger"] = services.resident_sign_up(name="张小军", id_number=RELATIVE_ID, mobile="13800000002",
                                                   password=PASSWORD)
    actors["representative"] = rep = services.resident_sign_up(
        name="马丽", id_number="610830196003030110", mobile="13800000003", password=PASSWORD)
    enterprise = services.enterprise_register(user=rep, name="清涧县红枣食品有限公司", credit_code="91610830MA7QJ0001J",
                                              representative_name="马丽", representative_id_number="610830196003030110")
    helper = actors["helper"].person
    mandate = services.mandate_grant(user=resident, principal=resident.person, agent_name=helper.name,
                                     agent_id_number=helper.id_number, all_services=True,
                                     valid_until=timezone.now() + timedelta(days=90))
    hall_system = system_account_create(user=admin, username="hall-queue", name="大厅排队叫号系统")
    token, _ = services.api_token_issue(user=admin, owner=hall_system, name="叫号对接")

    # Cases of the resident in the states the routes need.
    clerk, officer = actors["window_clerk"], actors["department_officer"]
    officers = {"rsj": officer}

    def apply(bundle="newborn", **kwargs):
        return cases.case_submit(context=acting_context(resident), submission=submission_for(bundle, owner=resident, **kwargs),
                                 idempotency_key=key())[0]

    def finish(case):
        cases.case_accept(user=clerk, case=case)
        while ready := list(case.tasks.filter(status=Task.Status.READY).select_related("department")):
            for task in ready:
                code = task.department.code
                officers.setdefault(code, None) or officers.update({code: staff(f"o-{code}", "department_officer",
                                                                                 department=code)})
                cases.task_claim(user=officers[code], task=task)
                cases.task_approve(user=officers[code], task=task, opinion="同意")

    case_new = apply()
    case_notice = apply()
    cases.case_request_correction(user=clerk, case=case_notice, problems=[{"target": "", "message": "照片不清晰"}])
    case_done = apply()
    finish(case_done)
    case_pickup = apply(delivery_method="pickup", pickup_point_id=ServicePoint.objects.get(code="county-hall").pk)
    finish(case_pickup)
    case_deferred = apply(defer=["household-register"], commitment_signed=True)
    case_rsj = apply("flexible-employment")
    cases.case_accept(user=clerk, case=case_rsj)
    task_ready, task_claimed = case_rsj.tasks.filter(status=Task.Status.READY).order_by("pk")[:2]
    cases.task_claim(user=officer, task=task_claimed)
    bad = Rating.objects.create(case=case_pickup, level=1, comment="等了很久", rated_by=resident)
    rectification = RectificationTask.objects.create(rating=bad, department=officer.role_grants.get().department,
                                                     due_date=timezone.localdate() + timedelta(days=21))
    from yijianshi.hotline import services as hotline

    operator = actors["hotline_operator"]

    def ticket(**kwargs):
        return hotline.ticket_intake(user=operator, channel="phone", kind="complaint", caller=resident.person,
                                     content="宽州镇一家饭店拖欠我三个月工资，老板一直不给", caller_mobile="13800000001",
                                     **kwargs)

    t_new = ticket()
    t_dispatched = hotline.ticket_dispatch(user=operator, ticket=ticket(), department_code="rsj")
    t_progress = hotline.ticket_accept(user=officer, ticket=hotline.ticket_dispatch(
        user=operator, ticket=ticket(), department_code="rsj"))
    t_replied = hotline.ticket_reply(user=officer, ticket=hotline.ticket_accept(user=officer, ticket=hotline.ticket_dispatch(
        user=operator, ticket=ticket(), department_code="rsj")), reply="已督促企业发放拖欠工资，工人已全部领到")
    t_reopen = hotline.ticket_reply(user=officer, ticket=hotline.ticket_accept(user=officer, ticket=hotline.ticket_dispatch(
        user=operator, ticket=ticket(), department_code="rsj")), reply="已督促企业发放拖欠工资，工人已全部领到")
    hotline.ticket_rate(user=resident, ticket=t_reopen, level=1, comment="根本没拿到钱")
    t_appealed = hotline.ticket_reply(user=officer, reply="已督促企业发放拖欠工资，工人已全部领到",
                                      ticket=hotline.ticket_accept(user=officer, ticket=hotline.ticket_dispatch(
                                          user=operator, ticket=ticket(), department_code="rsj")))
    hotline.ticket_rate(user=resident, ticket=t_appealed, level=1, comment="一群废物")
    hotline.ticket_rating_appeal(user=actors["department_leader"], rating=t_appealed.ratings.get(),
                                 reason="评价内容为辱骂工作人员，与诉求无关")
    t_failure = hotline.ticket_intake(user=operator, channel="phone", kind="service_failure", caller=resident.person,
                                      content="在大厅办失业登记跑了三趟都说系统不通，办不成", caller_mobile="13800000001")
    t_co = hotline.ticket_dispatch(user=operator, ticket=ticket(), department_code="zjj", co_department_codes=["rsj"])
    from yijianshi.cases import storage

    photo_file = storage.store(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, owner=operator)
    t_photo = hotline.ticket_dispatch(user=operator, ticket=ticket(photo_ids=[photo_file.pk]), department_code="rsj")
    from django.core.management import call_command

    from yijianshi.certificates import services as certificates

    call_command("load_certificate_types", stdout=open("/dev/null", "w"))
    card = {"name": "张桂兰", "id_number": RESIDENT_ID, "education": "高中", "address": "清涧县宽州镇秀延东路18号"}
    cert = certificates.certificate_issue(type_code="employment-card", holder=resident.person, data=card)
    cert_suspended = certificates.certificate_suspend(
        user=actors["department_leader"], reason="核查就业状态，暂停使用",
        certificate=certificates.certificate_issue(type_code="employment-card", holder=resident.person, data=card))
    # The county hall: numbers waiting, called at A02, in service at A03, done at G01, a help request, and a window
    # service of 县人社局's C01 rated badly and appealed by its leader.
    from django.core.management import call_command

    from yijianshi.hall import services as hall
    from yijianshi.hall.models import Window

    call_command("load_hall", stdout=open("/dev/null", "w"))
    county = ServicePoint.objects.get(code="county-hall")
    windows = {w.number: w for w in Window.objects.filter(service_point=county)}

    def take(category="general", **kwargs):
        return hall.ticket_take(service_point=county, category_code=category, **kwargs)

    def serve(number, category, *, finish=True):
        ticket = take(category)
        hall.call_next(user=clerk, window=windows[number])
        hall.ticket_start(user=clerk, window=windows[number], ticket_id=ticket.pk)
        if finish:
            hall.ticket_finish(user=clerk, window=windows[number], ticket_id=ticket.pk)
        return ticket

    hall_called = take()
    hall.call_next(user=clerk, window=windows["A02"])
    hall_serving = serve("A03", "general", finish=False)
    hall_wait = take()
    hall_help = take("social", needs_help=True)
    hall_done = serve("G01", "pickup")
    window_bad = serve("C01", "social")
    bad_window_rating = hall.ticket_rate(token=hall.ticket_token(window_bad), level=1, comment="态度恶劣")
    cases.rating_appeal(user=actors["department_leader"], rating=bad_window_rating,
                        reason="评价人当天并未到本窗口办事，评价不实")
    window_rectification = hall.ticket_rate(token=hall.ticket_token(serve("C02", "social")), level=2,
                                            comment="排队太久").rectifications.get()
    values = {"resident_party": resident.person.pk, "cert": cert.pk, "cert_suspended": cert_suspended.pk,
              "cert_identifier": cert.identifier,
              "hall_wait": hall_wait.pk, "hall_wait_token": hall.ticket_token(hall_wait),
              "hall_done_token": hall.ticket_token(hall_done), "hall_called": hall_called.pk,
              "hall_serving": hall_serving.pk, "hall_help": hall_help.pk, "hall_a01": windows["A01"].pk,
              "hall_a02": windows["A02"].pk, "hall_a03": windows["A03"].pk, "hall_h01": windows["H01"].pk,
              "appealed_rating": bad_window_rating.pk, "window_rectification": window_rectification.pk,
              "t_new": t_new.pk, "t_dispatched": t_dispatched.pk, "t_dispatched_number": t_dispatched.number,
              "t_progress": t_progress.pk, "t_replied": t_replied.pk, "t_replied_number": t_replied.number,
              "t_reopen": t_reopen.pk, "t_reopen_rating": t_reopen.ratings.get().pk, "t_appealed": t_appealed.pk,
              "t_appealed_rating": t_appealed.ratings.get().pk, "t_failure": t_failure.pk, "t_co": t_co.pk,
              "t_co_part": t_co.co_handlings.get().pk,
              "t_photo": t_photo.pk, "photo": t_photo.photos.get().pk, "enterprise": enterprise.pk, "mandate": mandate.pk,
              "clerk_user": clerk.pk, "system_user": hall_system.pk, "token": token.pk,
              "next_month": (timezone.localdate() + timedelta(days=30)).isoformat(),
              "case_new": case_new.number, "case_notice": case_notice.number, "case_done": case_done.number,
              "case_pickup": case_pickup.number, "case_deferred": case_deferred.number,
              "notice": case_notice.notices.get().pk, "deficiency": case_deferred.commitments.get().pk,
              "material": case_new.materials.first().pk, "task_ready": task_ready.pk,
              "task_claimed": task_claimed.pk, "rectification": rectification.pk, "token_hex": "0" * 32}
    values["token"] = token.pk
    from django.core.management import call_command

    from yijianshi.profiles.models import SharingEntry
    from yijianshi.profiles.services import feed_apply

    call_command("load_sharing_catalogue", stdout=open("/dev/null", "w"))
    feed = feed_apply(user=officer, department="rsj", file_name="rsj.csv", content=(
        "subject,name,element,value,effective_date\n"
        f"{RESIDENT_ID},张桂兰,rsj.employment_status,失业登记,2026-03-01\n"
        f"{RESIDENT_ID},张桂兰,rsj.employment_status,待业,2026-03-02\n").encode())
    values.update(sharing_entry=SharingEntry.objects.get(code="rsj-employment-difficulty", current=True).pk,
                  feed_run=feed.pk, rsj=Department.objects.get(code="rsj").pk)
    # 免申即享: 张桂兰 matched to 高龄补贴 (县民政局); 张小军's 即申即享 application in 县人社局's payment queue; a draft
    # policy for the editor to publish.
    from yijianshi.policies import services as policies
    from yijianshi.policies.models import Match
    from yijianshi.profiles.services import profile_record_many

    call_command("load_policies", stdout=open("/dev/null", "w"))
    profile_record_many(party=resident.person, values={"person.hukou_town": "宽州镇"}, source_department="gaj",
                        source="feed")
    stranger = actors["stranger"]
    profile_record_many(party=stranger.person, source_department="rsj", source="feed",
                        values={"person.employment_status": "灵活就业", "person.hard_to_employ": True})
    policies.match_run()
    applied = Match.objects.get(party=stranger.person, policy__code="hard-to-employ-flexible-insurance-subsidy")
    policies.application_submit(user=stranger, acting=acting_context(stranger), match=applied, answers={})
    draft = policies.draft_save(user=actors["catalog_admin"], text=(
        "{code: matrix-test, title: 测试政策, issuer: 清涧县人民政府, level: county, legal_basis: [{title: 测试}],"
        " target: person, benefit: {text: 测试}, mode: no_application, effective: {from: 2026-01-01},"
        " department: mzj, rule: {all: [{element: person.low_income, op: is_true, met: 是, not_met: 否}]}}"))
    values.update(policy_match=Match.objects.get(party=resident.person, policy__code="elderly-allowance-80").pk,
                  policy_grant=applied.grant.pk, policy_draft=draft.pk)
    return actors, values


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once for the whole matrix inside a transaction that is rolled back at the end; each test runs in a
    savepoint of it (pytest-django's db fixture), so what one test changes the next never sees."""
    from django.db import transaction
    from django.test import override_settings

    with django_db_blocker.unblock(), override_settings(UPLOAD_ROOT=tmp_path_factory.mktemp("uploads")):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield _build_world(None)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


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
def test_each_actor_gets_exactly_the_access_the_matrix_grants(world, db, route, actor):
    actors, values = world
    client = Client()
    if actor != "anonymous":
        client.force_login(actors[actor])
    events_before = AuditEvent.objects.count()
    response = _call(client, route, values)
    status = response.status_code

    if actor in route.allowed:
        assert status < 400 or status in route.also_ok, (status, response.content[:300])
        return
    if route.without_key is not None:
        assert status == route.without_key, (status, response.content[:300])
    elif actor == "anonymous" and not route.url.startswith("/oidc/"):
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
