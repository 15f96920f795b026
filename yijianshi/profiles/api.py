"""Profile sharing API (mounted at /api/v1/profiles): a department's staff or its system reads a profile under the
sharing catalogue, with the same rules and the same audit as the 档案查询 page.

System accounts (对接系统) read through a bearer token; they belong to a department by their role grant, so a
machine-to-machine read is checked and recorded exactly like a person's."""

from datetime import date, datetime

from django.http import Http404
from ninja import Field, Router, Schema

from yijianshi.accounts.auth import API_AUTH
from yijianshi.accounts.permissions import NotAllowed, has_permission
from yijianshi.profiles import selectors, services

router = Router(tags=["一人一档与数据共享"], auth=API_AUTH)


class MessageOut(Schema):
    message: str


class ElementOut(Schema):
    code: str
    name: str


class EntryOut(Schema):
    code: str
    version: int
    department: str = Field(..., description="使用部门编码")
    department_name: str
    purpose: str = Field(..., description="调用 /read 时作为 purpose 传入")
    subject_kind: str = Field(..., description="person（自然人）或 enterprise（法人）")
    elements: list[ElementOut]
    legal_basis: str
    needs_confirmation: bool


class ReadIn(Schema):
    subject: str = Field(..., min_length=1, max_length=30, description="身份证号码或统一社会信用代码")
    purpose: str = Field(..., min_length=1, max_length=100, description="本部门共享责任清单条目的用途")
    elements: list[str] = Field(..., min_length=1, max_length=50, description="要读取的数据元编码")


class DepartmentOut(Schema):
    code: str
    name: str


class ValueOut(Schema):
    element: str
    name: str
    value: str | int | bool | None = Field(..., description="当前值；档案中没有该项时为 null")
    source_department: DepartmentOut | None = None
    source: str | None = Field(None, description="feed / case / certificate / registration")
    effective_on: date | None = None
    recorded_at: datetime | None = None
    evidence: str | None = Field(None, description="凭证：证照标识或办件编号")


class SubjectOut(Schema):
    kind: str
    name: str = Field(..., description="自然人姓名已脱敏")


class ReadOut(Schema):
    subject: SubjectOut
    purpose: str
    values: list[ValueOut]


@router.get("/sharing-entries", response={200: list[EntryOut], 401: MessageOut, 403: MessageOut},
            summary="本部门的共享责任清单")
def sharing_entries(request):
    """调用方所在部门（持有“档案查阅”权限的部门）现行的共享责任清单条目：可读取的数据元、用途和依据。"""
    if not has_permission(request.user, "profile.read"):
        raise NotAllowed("您的角色不能查阅档案数据")
    entries = list(selectors.entries_for(request.user))
    names = selectors.element_names({c for e in entries for c in e.element_codes})
    return [{"code": e.code, "version": e.version, "department": e.department.code,
             "department_name": e.department.name, "purpose": e.purpose, "subject_kind": e.party_kind,
             "elements": [{"code": c, "name": names.get(c, c)} for c in e.element_codes],
             "legal_basis": e.legal_basis, "needs_confirmation": e.needs_confirmation} for e in entries]


@router.post("/read", response={200: ReadOut, 400: MessageOut, 401: MessageOut, 403: MessageOut, 404: MessageOut},
             summary="按共享责任清单读取档案")
def read(request, payload: ReadIn):
    """读取一个自然人或企业档案中若干数据元的当前值。须本部门现行共享责任清单中有条目以该用途授权全部所列数据元，
    否则 403 并说明被拒绝的数据元，且不读取任何数据。每次读取都记入审计日志，信息主体可在“数据使用记录”中看到。
    返回完整值（对接系统需要原值比对），请按用途使用，不得留存或转用。"""
    if not has_permission(request.user, "profile.read"):
        raise NotAllowed("您的角色不能查阅档案数据")
    party = selectors.party_by_identifier(payload.subject)
    if party is None:
        raise Http404("平台上没有该人员或企业")
    facts = services.profile_read(user=request.user, party=party, element_codes=payload.elements,
                                  purpose=payload.purpose)
    names = selectors.element_names(facts.keys())
    values = []
    for code, fact in facts.items():
        row = {"element": code, "name": names.get(code, code), "value": None}
        if fact is not None:
            row.update(value=fact.data, source=fact.source, effective_on=fact.effective_on,
                       recorded_at=fact.recorded_at, evidence=fact.evidence,
                       source_department={"code": fact.source_department.code, "name": fact.source_department.name})
        values.append(row)
    return {"subject": {"kind": party.party_kind, "name": party.masked_display_name}, "purpose": payload.purpose,
            "values": values}
