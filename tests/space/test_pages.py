"""专属服务空间: one page with what waits for the resident or enterprise, then their cases, certificates, 12345
requests, mandates and messages — each shown only to whom the page behind it would show it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.cases.factories import key, submission_for
from tests.certificates.conftest import BUSINESS_LICENCE, EMPLOYMENT_CARD, load_types
from tests.conftest import PASSWORD
from yijianshi.accounts import services as accounts
from yijianshi.cases import services as cases
from yijianshi.certificates.services import certificate_issue
from yijianshi.hotline import services as hotline

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def certificate_library(settings, tmp_path):
    settings.SEAL_KEY_DIR = tmp_path / "seal-keys"
    settings.HOTLINE_MODEL_PATH = tmp_path / "dispatch-model.joblib"
    load_types()


def _client(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def her_things(resident, make_staff):
    """张桂兰: a case sent back for correction, an employment card expiring in ten days, a 12345 request answered,
    and a mandate to 张小军 that ends in three days."""
    clerk = make_staff("clerk", "window_clerk", service_point="county-hall")
    context = accounts.acting_context(resident)
    case, _ = cases.case_submit(context=context, submission=submission_for("newborn", owner=resident),
                                idempotency_key=key())
    cases.case_request_correction(user=clerk, case=case, problems=[{"target": "", "message": "照片不清晰"}])
    card = certificate_issue(type_code="employment-card", holder=resident.person, data=EMPLOYMENT_CARD)
    type(card).objects.filter(pk=card.pk).update(valid_until=timezone.localdate() + timedelta(days=10))

    operator = make_staff("operator", "hotline_operator")
    officer = make_staff("zjj-officer", "department_officer", department="zjj")
    ticket = hotline.ticket_intake(user=resident, channel="web", kind="complaint", caller=resident.person,
                                   content="宽州镇秀延路小区连续三天停暖，家里老人受冻，请尽快处理")
    ticket = hotline.ticket_dispatch(user=operator, ticket=ticket, department_code="zjj")
    hotline.ticket_accept(user=officer, ticket=ticket)
    hotline.ticket_reply(user=officer, ticket=ticket, reply="已联系供热公司更换循环泵，当晚恢复供暖")
    return case, card, ticket


def test_the_resident_sees_what_waits_for_her_first_and_everything_she_has(resident, relative, her_things):
    case, card, ticket = her_things
    accounts.mandate_grant(user=resident, principal=resident.person, agent_name=relative.person.name,
                           agent_id_number=relative.person.id_number, all_services=True,
                           valid_until=timezone.now() + timedelta(days=3))
    page = _client(resident).get("/me/space/").content.decode()
    todo = page.split('id="todo-heading"')[1].split("</section>")[0]
    assert f"/cases/{case.number}/" in todo and "需要补正材料" in todo
    assert f"/me/certificates/{card.pk}/" in todo and "就业创业证将于" in todo
    assert f"/hotline/mine/{ticket.number}/" in todo and "请您评价" in todo
    assert "/me/mandates/" in todo and "到期" in todo
    for section in ("space-cases", "space-certificates", "space-tickets", "space-mandates", "space-messages",
                    "space-policies"):
        assert f'id="{section}"' in page
    assert case.number in page.split('id="space-cases"')[1] and "新生儿出生" in page


def test_an_agent_sees_her_cases_and_certificates_but_not_her_requests_or_policies(resident, helper_with_mandate,
                                                                                   her_things):
    case, card, ticket = her_things
    client = _client(helper_with_mandate)
    client.post("/me/acting/", {"principal_id": resident.person.pk})
    page = client.get("/me/space/").content.decode()
    assert "正在代" in page and case.number in page and f"/me/certificates/{card.pk}/" in page
    assert ticket.number not in page and 'id="space-tickets"' not in page
    assert 'id="space-policies"' not in page and "政策和档案只有本人可以查看" in page


def test_a_stranger_sees_nothing_of_hers(relative, her_things):
    case, card, ticket = her_things
    page = _client(relative).get("/me/space/").content.decode()
    assert case.number not in page and ticket.number not in page and f"/me/certificates/{card.pk}/" not in page
    assert "没有需要您处理的事项" in page


def test_the_legal_representative_sees_the_enterprise_space(representative):
    licence = certificate_issue(type_code="business-licence", holder=representative.enterprise,
                                data=BUSINESS_LICENCE)
    client = _client(representative)
    client.post("/me/acting/", {"principal_id": representative.enterprise.pk})
    page = client.get("/me/space/").content.decode()
    assert f"/me/certificates/{licence.pk}/" in page and 'id="space-policies"' in page
    assert 'id="space-tickets"' not in page  # the requests are his own, not the company's


@pytest.fixture
def helper_with_mandate(resident, make_staff):
    from tests.conftest import make_id_number

    helper = accounts.resident_sign_up(name="李帮办", id_number=make_id_number("19880808", 7), mobile="13800000009",
                                       password=PASSWORD)
    accounts.mandate_grant(user=resident, principal=resident.person, agent_name="李帮办",
                           agent_id_number=helper.person.id_number, all_services=True,
                           valid_until=timezone.now() + timedelta(days=90))
    return helper


def test_matched_policies_wait_in_her_space_with_their_reasons_but_not_in_an_agents(
        eligible_resident, helper_with_mandate):
    from yijianshi.policies import services as policies
    from yijianshi.policies.models import Match

    policies.match_run()
    waiting = Match.objects.filter(party=eligible_resident.person, status=Match.Status.MATCHED).select_related(
        "policy")
    assert waiting.exists()
    page = _client(eligible_resident).get("/me/space/").content.decode()
    todo = page.split('id="todo-heading"')[1].split("</section>")[0]
    for match in waiting:
        assert f"/me/policies/{match.pk}/" in todo
    assert "待您确认" in page.split('id="space-policies"')[1]

    client = _client(helper_with_mandate)
    client.post("/me/acting/", {"principal_id": eligible_resident.person.pk})
    page = client.get("/me/space/").content.decode()
    assert all(f"/me/policies/{match.pk}/" not in page for match in waiting)
