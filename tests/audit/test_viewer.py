"""审计日志 for supervisors: who may see it, filtering by person and by actor, and the chain status after tampering."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from tests.accounts import factories as f
from yijianshi.accounts.services import mandate_grant, person_reveal
from yijianshi.audit.db import install_append_only_triggers, remove_append_only_triggers
from yijianshi.audit.models import AuditEvent
from yijianshi.audit.services import audit_record, checkpoint_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _forget_last_verification():
    cache.clear()  # the last verification result lives in the cache; one test's result must not leak
    yield
    cache.clear()


@pytest.fixture
def admin():
    return f.system_admin()


@pytest.fixture
def supervisor(admin):
    return f.supervisor(admin)


@pytest.fixture
def viewer(supervisor):
    return f.client_for(supervisor)


@pytest.fixture
def story(admin):
    """Two residents; a clerk reads the first one's ID number; the first grants the second a mandate."""
    guilan = f.resident("张桂兰", "610830194001010096", "13800000001")
    xiaojun = f.resident("张小军", "610830198307070102", "13800000002")
    clerk = f.window_clerk(admin)
    person_reveal(user=clerk, person=guilan.person, field="id_number", purpose="核对办件申请人身份")
    mandate_grant(user=guilan, principal=guilan.person, agent_name="张小军", agent_id_number="610830198307070102",
                  all_services=True, valid_until=timezone.now() + timedelta(days=90))
    return {"guilan": guilan, "xiaojun": xiaojun, "clerk": clerk}


def _seqs(response):
    return [row["event"].seq for row in response.context["rows"]]


@pytest.mark.parametrize("method, url", [("get", "/supervision/audit/"), ("post", "/supervision/audit/verify/")])
def test_anonymous_visitors_are_sent_to_log_in(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("method, url", [("get", "/supervision/audit/"), ("post", "/supervision/audit/verify/")])
def test_a_window_clerk_may_not_read_the_audit_log(admin, method, url):
    response = getattr(f.client_for(f.window_clerk(admin)), method)(url)
    assert response.status_code == 403
    assert cache.get("audit:last-verification") is None


def test_supervisors_and_system_administrators_may_read_it(admin, viewer):
    assert viewer.get("/supervision/audit/").status_code == 200
    assert f.client_for(admin).get("/supervision/audit/").status_code == 200


def test_the_viewer_filters_by_person_without_putting_the_id_number_in_the_url(viewer, story):
    guilan = story["guilan"].person
    response = viewer.post("/supervision/audit/", {"id_number": "610830194001010096", "actor": ""})

    assert response.status_code == 302
    assert "610830194001010096" not in response["Location"] and f"subject={guilan.pk}" in response["Location"]
    page = viewer.get(response["Location"])
    about_her = [e.seq for e in AuditEvent.objects.order_by("-seq")
                 if guilan.pk in (e.subject_party_id, e.principal_party_id)]
    assert _seqs(page) == about_her
    actions = {row["event"].action for row in page.context["rows"]}
    assert {"account.sign_up", "personal_data.read", "mandate.grant"} <= actions and "staff.create" not in actions
    html = page.content.decode()
    assert "查看完整个人信息" in html and "授权代办" in html and "核对办件申请人身份" in html
    assert "610830********0096" in html and "610830194001010096" not in html


def test_an_unknown_or_mistyped_id_number_is_named_in_the_filter(viewer, story):
    unknown = viewer.post("/supervision/audit/", {"id_number": f.id_number()})
    assert unknown.status_code == 400 and "人员（身份证号码）：平台上没有这个身份证号码的人员" in unknown.content.decode()
    typo = viewer.post("/supervision/audit/", {"id_number": "610830194001010097"})
    assert typo.status_code == 400 and "身份证号码：校验位不正确" in typo.content.decode()


def test_the_viewer_filters_by_actor(viewer, story):
    clerk = story["clerk"]
    page = viewer.get("/supervision/audit/", {"actor": "clerk"})
    events = [row["event"] for row in page.context["rows"]]
    assert events and all(e.actor_user_id == clerk.pk for e in events)
    assert [e.action for e in events] == ["personal_data.read"]
    assert "核对办件申请人身份" in page.content.decode()


def test_system_events_are_found_by_the_system_label(viewer, story):
    page = viewer.get("/supervision/audit/", {"actor": "系统"})
    assert {row["event"].action for row in page.context["rows"]} >= {"staff.bootstrap", "person.create"}


def test_actions_show_a_chinese_label_and_unknown_ones_their_code(viewer, story):
    audit_record(action="test.something_new", object_type="test.thing", object_id="7")
    html = viewer.get("/supervision/audit/").content.decode()
    assert "授权代办" in html and "<code>test.something_new</code>" in html


def test_the_log_is_paginated_fifty_events_a_page(viewer):
    for n in range(70):
        audit_record(action="test.write", object_type="test.thing", object_id=n)
    total = AuditEvent.objects.filter(action="test.write").count()
    first = viewer.get("/supervision/audit/", {"action": "test."})
    second = viewer.get("/supervision/audit/", {"action": "test.", "page": 2})
    assert len(_seqs(first)) == 50 and len(_seqs(second)) == total - 50
    assert "page=2" in first.content.decode() and "action=test." in first.content.decode()


def test_the_banner_shows_the_tampering_after_someone_presses_verify(viewer, story):
    assert "审计链尚未校验" in viewer.get("/supervision/audit/").content.decode()
    verified = viewer.post("/supervision/audit/verify/", follow=True).content.decode()
    assert "审计链完整" in verified

    target = AuditEvent.objects.get(action="personal_data.read")
    remove_append_only_triggers(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditevent SET reason = %s WHERE seq = %s", ["随便看看", target.seq])
    finally:
        install_append_only_triggers(connection)

    # The page shows the last verification until someone runs it again.
    assert "审计链完整" in viewer.get("/supervision/audit/").content.decode()
    after = viewer.post("/supervision/audit/verify/", follow=True).content.decode()
    assert f"审计链断裂于第 {target.seq} 号事件" in after and "内容与其哈希不符，事件被修改" in after
    assert "操作人 supervisor" in after


def test_events_appended_since_the_last_verification_are_counted_as_unverified(viewer, story):
    viewer.post("/supervision/audit/verify/")
    audit_record(action="test.write", object_type="test.thing", object_id="1")
    audit_record(action="test.write", object_type="test.thing", object_id="2")
    assert "此后新增的 2 条事件尚未校验" in viewer.get("/supervision/audit/").content.decode()


def test_verify_keeps_the_filters(viewer, story):
    response = viewer.post("/supervision/audit/verify/", {"actor": "clerk", "action": "personal_data."})
    assert response["Location"] == "/supervision/audit/?actor=clerk&action=personal_data."


def test_the_latest_signed_checkpoints_are_listed(viewer, story):
    checkpoint = checkpoint_create()
    html = viewer.get("/supervision/audit/").content.decode()
    assert "已签名的检查点" in html and checkpoint.head_hash[:24] in html
