"""Identity and mandates for the signed-in caller (`/api/v1/me…`). Thin: parse, call a service, shape."""

from __future__ import annotations

from datetime import date, datetime, time

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema

from yijianshi.accounts import selectors, services
from yijianshi.accounts.auth import API_AUTH
from yijianshi.accounts.models import Mandate, Party
from yijianshi.accounts.permissions import NotAllowed, roles_of

router = Router(tags=["身份与授权"], auth=API_AUTH)


class PartyOut(Schema):
    id: int
    kind: str = Field(description="person 自然人 / enterprise 法人")
    name: str = Field(description="姓名脱敏；企业名称为公开信息不脱敏")


class MeOut(Schema):
    username: str
    account_kind: str
    person: dict | None = Field(None, description="本人信息（证件号、手机号脱敏）")
    roles: list[str]
    may_act_for: list[PartyOut]


class MandateOut(Schema):
    id: int
    principal: PartyOut
    agent: PartyOut
    all_services: bool
    bundles: list[str]
    valid_from: datetime
    valid_until: datetime
    status: str
    status_label: str


class MandatesOut(Schema):
    granted: list[MandateOut]
    held: list[MandateOut]


class MandateIn(Schema):
    principal_id: int | None = Field(None, description="委托人：默认本人；或本人为法定代表人/授权管理员的企业")
    agent_name: str = Field("", max_length=30, description="受托人姓名（自然人）")
    agent_id_number: str = Field("", max_length=30, description="受托人身份证号码（自然人）")
    agent_credit_code: str = Field("", max_length=30, description="受托机构统一社会信用代码（代理机构）")
    all_services: bool = False
    bundle_codes: list[str] = Field(default_factory=list, max_length=30, description="限定的一件事编码")
    valid_until: date = Field(description="到期日期（当日 24 时止）")
    note: str = Field("", max_length=200)


class RevokeIn(Schema):
    reason: str = Field("", max_length=200)


class MessageOut(Schema):
    message: str


def party_out(party: Party) -> dict:
    return {"id": party.pk, "kind": party.party_kind, "name": party.masked_display_name}


def mandate_out(mandate: Mandate) -> dict:
    return {
        "id": mandate.pk, "principal": party_out(mandate.principal), "agent": party_out(mandate.agent),
        "all_services": mandate.all_services, "bundles": sorted(b.code for b in mandate.bundles.all()),
        "valid_from": mandate.valid_from, "valid_until": mandate.valid_until, "status": mandate.status,
        "status_label": mandate.display_status,
    }


def _person(request):
    person = getattr(request.user, "person", None)
    if person is None:
        raise NotAllowed("该账号不是实名账号，没有个人授权信息")
    return person


@router.get("/me", response=MeOut, summary="当前账号")
def me(request):
    person = getattr(request.user, "person", None)
    return {
        "username": request.user.get_username(),
        "account_kind": request.user.kind,
        "person": None if person is None else {
            "name": person.masked_name, "id_number": person.masked_id_number, "mobile": person.masked_mobile},
        "roles": sorted(roles_of(request.user)),
        "may_act_for": [party_out(p) for p in selectors.principals_for(request.user)],
    }


@router.get("/me/mandates", response=MandatesOut, summary="我授予的和我持有的授权")
def my_mandates(request):
    person = _person(request)
    principals = [person, *selectors.enterprises_managed(person)]
    granted = [m for p in principals for m in selectors.mandates_granted(p)]
    return {"granted": [mandate_out(m) for m in granted],
            "held": [mandate_out(m) for m in selectors.mandates_held(person)]}


@router.post("/me/mandates", response={201: MandateOut}, summary="授权他人代办")
def grant_mandate(request, payload: MandateIn):
    person = _person(request)
    principal = person
    if payload.principal_id not in (None, person.pk):
        principal = get_object_or_404(selectors.enterprises_managed(person), pk=payload.principal_id)
    valid_until = timezone.make_aware(datetime.combine(payload.valid_until, time.max))
    mandate = services.mandate_grant(
        user=request.user, principal=principal, agent_name=payload.agent_name,
        agent_id_number=payload.agent_id_number, agent_credit_code=payload.agent_credit_code,
        all_services=payload.all_services, bundle_codes=payload.bundle_codes, valid_until=valid_until,
        note=payload.note)
    return 201, mandate_out(mandate)


@router.post("/me/mandates/{mandate_id}/revoke", response=MandateOut, summary="撤销（或受托人放弃）授权")
def revoke_mandate(request, mandate_id: int, payload: RevokeIn):
    person = _person(request)
    own = Mandate.objects.filter(pk=mandate_id)
    visible = [p.pk for p in (person, *selectors.enterprises_managed(person))]
    mandate = get_object_or_404(own.filter(principal_id__in=visible) | own.filter(agent=person))
    return mandate_out(services.mandate_revoke(user=request.user, mandate=mandate, reason=payload.reason))
