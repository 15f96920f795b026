"""免申即享 / 即申即享 API (mounted at /api/v1/policies): the subject's matches with the reasons, confirm / decline,
the explained check of any published policy (我符合吗？), and a department's payment queue for its own systems.
A subject is the logged-in resident, or the enterprise they act for as its representative or mandate
administrator; a department system reads its queue through a bearer token and its role grant."""

from datetime import date
from decimal import Decimal

from django.http import Http404
from ninja import Field, Router, Schema

from yijianshi.accounts.auth import API_AUTH
from yijianshi.accounts.permissions import NotAllowed, has_permission
from yijianshi.policies import selectors, services

router = Router(tags=["免申即享与即申即享"], auth=API_AUTH)


class StepOut(Schema):
    depth: int
    kind: str = Field(..., description="all / any / not / condition")
    result: bool | None = Field(..., description="true 符合，false 不符合，null 待核实")
    text: str


class MatchOut(Schema):
    id: int
    policy: str
    title: str
    version: int = Field(..., description="匹配所用的政策版本")
    benefit: str
    amount: Decimal | None
    mode: str = Field(..., description="no_application（免申即享）或 prefilled_application（即申即享）")
    status: str = Field(..., description="matched / confirmed / declined / applied")
    department: str
    needs_confirmation: bool
    trace: list[StepOut]
    questions: list[str]
    grant_status: str | None = Field(None, description="queued / paying / paid / refused")


class ExplainOut(Schema):
    policy: str
    title: str
    version: int
    on: date
    in_force: bool
    result: bool | None = Field(..., description="true 符合，false 不符合，null 需回答 questions")
    trace: list[StepOut]
    questions: list[str]


class GrantOut(Schema):
    id: int
    policy: str
    title: str
    version: int
    subject: str = Field(..., description="对象（已脱敏）")
    benefit: str
    amount: Decimal | None
    mode: str
    status: str
    due_date: date
    reason: str


def _subject(request):
    subject = selectors.subject_of(request.user, getattr(request, "acting", None))
    if subject is None:
        raise NotAllowed("只有群众和企业账号可以查看政策匹配")
    return subject


def _match_out(item: dict) -> dict:
    return {"id": item["pk"], "policy": item["code"], "title": item["title"], "version": item["version"],
            "benefit": item["benefit"], "amount": item["amount"], "mode": item["mode"], "status": item["status"],
            "department": item["department"], "needs_confirmation": item["needs_confirmation"],
            "trace": item["trace"], "questions": item["questions"],
            "grant_status": item["grant"].status if item["grant"] else None}


@router.get("/matches", response=list[MatchOut], summary="本人（本企业）匹配到的政策及理由")
def matches(request):
    return [_match_out(item) for item in selectors.matches_for(_subject(request))]


def _own_match(request, match_id: int):
    match = selectors.match_of(_subject(request), match_id)
    if match is None:
        raise Http404
    return match


@router.post("/matches/{match_id}/confirm", response=MatchOut, summary="确认享受（免申即享），转入部门发放队列")
def confirm(request, match_id: int):
    match = services.match_confirm(user=request.user, acting=request.acting, match=_own_match(request, match_id))
    return _match_out(selectors.describe(selectors.match_of(match.party_id, match.pk)))


@router.post("/matches/{match_id}/decline", response=MatchOut, summary="放弃享受")
def decline(request, match_id: int):
    match = services.match_decline(user=request.user, acting=request.acting, match=_own_match(request, match_id))
    return _match_out(selectors.describe(selectors.match_of(match.party_id, match.pk)))


@router.get("/grants", response=list[GrantOut], summary="本部门的发放队列")
def grants(request, status: str | None = None):
    if not has_permission(request.user, "task.process"):
        raise NotAllowed("只有部门经办人员（或部门对接系统）可以读取发放队列")
    rows = selectors.grants_for(request.user)
    if status:
        rows = rows.filter(status=status)
    return [{"id": g.pk, "policy": g.match.policy.code, "title": g.match.version.title,
             "version": g.match.version.version, "subject": g.match.party.masked_display_name,
             "benefit": g.match.benefit_text, "amount": g.amount, "mode": g.match.version.mode, "status": g.status,
             "due_date": g.due_date, "reason": g.reason} for g in rows[:1000]]


@router.get("/{code}/explain", response=ExplainOut, summary="我符合吗？按当前档案逐条说明，并列出需要回答的问题")
def explain(request, code: str):
    result = selectors.explain_for(_subject(request), code)
    if result is None:
        raise Http404
    return {"policy": code, "title": result["version"].title, "version": result["version"].version,
            "on": result["on"], "in_force": result["in_force"], "result": result["result"],
            "trace": result["trace"], "questions": result["questions"]}
