"""The pages: a resident's and an enterprise's matched policies with reasons, deciding them (409/400 on illegal or
bad input, never 500), opting out, the department's queue and the editor; and one role never seeing another's."""

import pytest
from django.test import Client

from tests.policies.conftest import record
from yijianshi.policies import services
from yijianshi.policies.models import Grant, Match, MatchingPreference, PolicyVersion


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def match_of(party, code):
    return Match.objects.get(party=party, policy__code=code)


@pytest.fixture
def matched(eligible_resident, eligible_enterprise):
    services.match_run()
    return eligible_resident, eligible_enterprise


def test_the_resident_sees_her_matches_with_the_reasons_and_what_awaits_the_department(matched):
    resident, _ = matched
    page = client_for(resident).get("/me/policies/").content.decode()
    assert "高龄老人生活补贴（80—89周岁）" in page and "每人每月50元" in page
    assert "年龄在80—89周岁之间（现86周岁）" in page and "户籍在清涧县" in page
    assert "待部门确认" in page and "免申即享" in page
    assert "失业保险稳岗返还" not in page  # the enterprise's


def test_the_representative_sees_the_enterprises_matches_only_when_acting_for_it(matched):
    _, representative = matched
    client = client_for(representative)
    assert "稳岗返还" not in client.get("/me/policies/").content.decode()
    client.post("/me/acting/", {"principal_id": representative.enterprise.pk})
    page = client.get("/me/policies/").content.decode()
    assert "稳岗返还" in page and "清涧县红枣食品有限公司" in page


def test_confirming_twice_is_a_conflict_and_declining_a_confirmed_one_too(matched):
    resident, _ = matched
    match = match_of(resident.person, "elderly-allowance-80")
    client = client_for(resident)
    response = client.post(f"/me/policies/{match.pk}/confirm/")
    assert response.status_code == 302 and Grant.objects.filter(match=match).count() == 1
    again = client.post(f"/me/policies/{match.pk}/confirm/")
    assert again.status_code == 409 and "不能确认享受" in again.content.decode()
    assert client.post(f"/me/policies/{match.pk}/decline/").status_code == 409
    assert Grant.objects.filter(match=match).count() == 1
    assert "进入部门发放队列" in client.get(f"/me/policies/{match.pk}/").content.decode()


def test_another_person_gets_404_for_a_match_that_is_not_theirs(matched, relative):
    resident, _ = matched
    match = match_of(resident.person, "elderly-allowance-80")
    client = client_for(relative)
    assert client.get(f"/me/policies/{match.pk}/").status_code == 404
    assert client.post(f"/me/policies/{match.pk}/confirm/").status_code == 404
    assert match_of(resident.person, "elderly-allowance-80").status == Match.Status.MATCHED


def test_opting_out_and_back_in(matched):
    resident, _ = matched
    client = client_for(resident)
    client.post("/me/policies/matching/", {"opted_out": "1"})
    assert MatchingPreference.objects.get(party=resident.person).opted_out
    assert "开启主动匹配" in client.get("/me/policies/").content.decode()
    client.post("/me/policies/matching/", {"opted_out": "0"})
    assert not MatchingPreference.objects.get(party=resident.person).opted_out


def test_a_bad_answer_in_a_prefilled_application_names_the_field_and_saves_nothing(relative, policies):
    # 张小军 (女, 43) qualifies by age; whether she is 就业困难人员 is unknown and hers to answer.
    record(relative.person, [("rsj", {"person.employment_status": "灵活就业"})])
    services.match_run()
    match = match_of(relative.person, "hard-to-employ-flexible-insurance-subsidy")
    client = client_for(relative)
    page = client.get(f"/me/policies/{match.pk}/").content.decode()
    assert "灵活就业" in page and "（来自档案）" in page and "申请表（已按档案预填）" in page
    response = client.post(f"/me/policies/{match.pk}/apply/", {"person.hard_to_employ": "maybe"})
    assert response.status_code == 400 and "是否认定的就业困难人员：请选择“是”或“否”" in response.content.decode()
    assert match_of(relative.person, "hard-to-employ-flexible-insurance-subsidy").status == Match.Status.MATCHED
    response = client.post(f"/me/policies/{match.pk}/apply/", {"person.hard_to_employ": "false"})
    assert response.status_code == 302
    match.refresh_from_db()
    assert match.status == Match.Status.APPLIED and match.application["person.hard_to_employ"] is False
    assert match.application["person.employment_status"] == "灵活就业"


def test_the_departments_queue_shows_its_grants_only_and_the_officer_pays_them(matched, mzj_officer, rsj_officer):
    resident, _ = matched
    match = match_of(resident.person, "elderly-allowance-80")
    client_for(resident).post(f"/me/policies/{match.pk}/confirm/")
    grant = Grant.objects.get(match=match)
    officer = client_for(mzj_officer)
    page = officer.get("/policies/grants/").content.decode()
    assert "高龄老人生活补贴" in page and "张**" in page and "剩余" in page
    assert "高龄老人生活补贴" not in client_for(rsj_officer).get("/policies/grants/").content.decode()
    assert client_for(rsj_officer).post(f"/policies/grants/{grant.pk}/pay/").status_code == 404
    assert officer.post(f"/policies/grants/{grant.pk}/paid/").status_code == 409
    assert officer.post(f"/policies/grants/{grant.pk}/refuse/", {"reason": ""}).status_code == 400
    assert officer.post(f"/policies/grants/{grant.pk}/pay/").status_code == 302
    assert officer.post(f"/policies/grants/{grant.pk}/paid/").status_code == 302
    grant.refresh_from_db()
    assert grant.status == Grant.Status.PAID


EDITED = """
code: county-test-allowance
title: 测试补贴
issuer: 清涧县人民政府
level: county
legal_basis: [{title: 测试文件}]
target: person
benefit: {text: "每人{amount}元", amount: {param: amount}}
mode: no_application
effective: {from: 2026-01-01}
department: mzj
parameters:
  amount: [{from: 2026-01-01, value: 100}]
rule:
  all:
    - {element: person.low_income, op: is_true, met: 是低保对象, not_met: 不是低保对象}
"""


def test_the_editor_rejects_a_bad_rule_naming_the_field_and_previews_a_good_one(eligible_resident, make_staff):
    admin = client_for(make_staff("catalog-admin", "catalog_admin"))
    response = admin.post("/policies/editor/edit/", {"content": EDITED.replace("op: is_true", "op: is_ture")})
    assert response.status_code == 400 and "$.all[0].op" in response.content.decode()
    preview = admin.post("/policies/editor/preview/", {"content": EDITED})
    assert preview.status_code == 200 and 'data-count="1"' in preview.content.decode()
    bad = admin.post("/policies/editor/preview/", {"content": EDITED.replace("person.low_income", "person.nope")})
    assert bad.status_code == 400 and "person.nope" in bad.content.decode()
    assert admin.post("/policies/editor/edit/", {"content": EDITED}).status_code == 302
    page = admin.get("/policies/editor/").content.decode()
    assert "county-test-allowance" in page and "草稿" in page
    published = PolicyVersion.objects.get(policy__code="elderly-allowance-80")
    form = admin.get(f"/policies/editor/edit/?from={published.pk}").content.decode()
    assert "code: elderly-allowance-80" in form and "min_age" in form
