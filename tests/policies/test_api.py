"""The API: the subject's matches and the explained check, confirm (409 when repeated), and the department's queue."""

import pytest
from django.test import Client

from yijianshi.policies import services
from yijianshi.policies.models import Match


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def matched(eligible_resident):
    services.match_run()
    return eligible_resident


def test_the_subject_reads_her_matches_confirms_once_and_the_department_reads_its_queue(matched, mzj_officer,
                                                                                         rsj_officer):
    client = client_for(matched)
    rows = client.get("/api/v1/policies/matches").json()
    row = next(r for r in rows if r["policy"] == "elderly-allowance-80")
    assert row["version"] == 1 and row["status"] == "matched" and row["trace"][0]["result"] is True
    assert client.post(f"/api/v1/policies/matches/{row['id']}/confirm").json()["grant_status"] == "queued"
    again = client.post(f"/api/v1/policies/matches/{row['id']}/confirm")
    assert again.status_code == 409 and "不能确认享受" in again.json()["message"]
    queue = client_for(mzj_officer).get("/api/v1/policies/grants").json()
    assert [g["policy"] for g in queue] == ["elderly-allowance-80"] and queue[0]["subject"] == "张**"
    assert client_for(rsj_officer).get("/api/v1/policies/grants").json() == []
    assert client.get("/api/v1/policies/grants").status_code == 403


def test_explain_says_why_not_and_asks_what_is_missing(resident, policies):
    response = client_for(resident).get("/api/v1/policies/elderly-allowance-80/explain").json()
    assert response["result"] is None and response["questions"] == ["您的户籍是否在清涧县？在哪个镇？"]
    assert client_for(resident).get("/api/v1/policies/job-retention-refund-sme/explain").status_code == 404


def test_nobody_confirms_someone_elses_match(matched, relative):
    match = Match.objects.filter(party=matched.person).first()
    assert client_for(relative).post(f"/api/v1/policies/matches/{match.pk}/confirm").status_code == 404
    assert Client().get("/api/v1/policies/matches").status_code == 401
