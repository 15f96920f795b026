"""Departments' bulk feeds: checked row by row, all-or-nothing unless the officer chooses otherwise, safe to replay,
restricted to what the department is the authoritative source of (一数一源), new people created through the accounts
service, large files queued for the job consumer."""

import io
import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import RELATIVE_ID, RESIDENT_ID, make_id_number
from tests.profiles.conftest import csv_bytes
from yijianshi.accounts.permissions import NotAllowed
from yijianshi.accounts.services import person_find
from yijianshi.audit.models import AuditEvent
from yijianshi.profiles import selectors, services
from yijianshi.profiles.models import FeedRun, Fact
from yijianshi.profiles.services import feed_apply, feed_import

pytestmark = pytest.mark.django_db
NEWCOMER = make_id_number("19920315", 77)


def _feed(officer, content, *, dept="rsj", name="rsj-2026-11.csv", **kwargs):
    return feed_apply(user=officer, department=dept, file_name=name, content=content, **kwargs)


GOOD = (f"{RESIDENT_ID},张桂兰,rsj.employment_status,失业登记,2026-03-01",
        f"{RELATIVE_ID},张小军,rsj.employment_status,就业登记,2025-07-15",
        f"{RELATIVE_ID},张小军,person.social_security_number,{RELATIVE_ID},2019-07-01")


def test_a_clean_feed_is_applied_with_its_counts_and_one_audit_event(resident, relative, officers):
    run = _feed(officers["rsj"], csv_bytes(*GOOD))
    assert run.status == FeedRun.Status.APPLIED and (run.rows_total, run.rows_invalid, run.facts_created) == (3, 0, 3)
    fact = selectors.profile_current(relative.person)["rsj.employment_status"]
    assert (fact.data, fact.effective_on, fact.source, fact.feed_run_id) == ("就业登记", date(2025, 7, 15), "feed", run.pk)
    assert fact.recorded_by == officers["rsj"] and fact.source_department.code == "rsj"
    event = AuditEvent.objects.get(action="profile.feed_applied")
    assert event.object_id == str(run.pk) and event.after["sha256"] == run.sha256 and event.after["facts_created"] == 3
    assert run.content == ""  # nothing of the file is kept once processed


def test_a_feed_with_a_bad_row_applies_nothing_and_reports_each_bad_row_with_its_line_and_reason(
        resident, relative, officers):
    content = csv_bytes(
        GOOD[0],
        f"{RELATIVE_ID},张小军,rsj.employment_status,待业,2025-07-15",                 # line 3: not a choice
        "610830198307070103,张小军,rsj.employment_status,就业登记,2025-07-15",         # line 4: check digit
        f"{RELATIVE_ID},张晓军,rsj.employment_status,就业登记,2025-07-15",             # line 5: wrong name
        f"{RELATIVE_ID},张小军,rsj.employment_status,就业登记,2025/07/15",             # line 6: date format
        f"{RELATIVE_ID},张小军,cl.disability_level,二级,2025-07-15",                   # line 7: not rsj's
        f"{RELATIVE_ID},,rsj.employment_status,就业登记,2025-07-15",                   # line 8: no name
        f"{RELATIVE_ID},张小军,rsj.employment_status,就业登记,2099-01-01",             # line 9: future
        f"{RESIDENT_ID},张桂兰,rsj.employment_status,就业登记,2026-03-01",             # line 10: contradicts line 2
    )
    run = _feed(officers["rsj"], content)
    assert run.status == FeedRun.Status.REJECTED and run.rows_total == 9 and run.rows_invalid == 8
    assert not Fact.objects.exists()
    report = {e["line"]: e["message"] for e in run.errors}
    assert "就业失业登记状态：请从给定选项中选择（就业登记、失业登记、注销失业登记）" in report[3]
    assert "身份证号码：校验位不正确" in report[4]
    assert "姓名：与平台登记的该身份证号码的姓名不一致" in report[5]
    assert "生效日期：应为 YYYY-MM-DD" in report[6]
    assert "权威来源是县残联，县人社局不能提供（一数一源）" in report[7]
    assert "姓名：必填" in report[8]
    assert "生效日期：不能晚于导入当天" in report[9]
    assert "与第 2 行矛盾" in report[10]
    assert all(e["subject"] == "610830********0102" for e in run.errors if e["line"] in (3, 5, 6, 7, 8, 9))
    assert AuditEvent.objects.filter(action="profile.feed_rejected", object_id=str(run.pk)).exists()


def test_apply_valid_rows_only_applies_the_good_rows_and_reports_the_bad(resident, relative, officers):
    content = csv_bytes(GOOD[0], f"{RELATIVE_ID},张小军,rsj.employment_status,待业,2025-07-15", GOOD[2])
    run = _feed(officers["rsj"], content, apply_valid_only=True)
    assert run.status == FeedRun.Status.PARTIAL and (run.rows_invalid, run.facts_created) == (1, 2)
    assert [e["line"] for e in run.errors] == [3]
    assert set(selectors.profile_current(relative.person)) == {"person.social_security_number"}


def test_replaying_a_feed_adds_nothing_and_says_it_was_already_applied(resident, relative, officers):
    first = _feed(officers["rsj"], csv_bytes(*GOOD))
    again = _feed(officers["rsj_leader"], csv_bytes(*GOOD), name="same-content-other-name.csv")
    assert again.status == FeedRun.Status.DUPLICATE and again.replay_of == first
    assert Fact.objects.count() == 3 and again.facts_created == 0
    # Different content repeating known values: applied, but every row is unchanged.
    reordered = _feed(officers["rsj"], csv_bytes(*reversed(GOOD)))
    assert reordered.status == FeedRun.Status.APPLIED and (reordered.facts_created, reordered.facts_unchanged) == (0, 3)
    assert Fact.objects.count() == 3


def test_a_rejected_feed_can_be_sent_again_with_apply_valid_only(resident, relative, officers):
    content = csv_bytes(GOOD[0], f"{RELATIVE_ID},张小军,rsj.employment_status,待业,2025-07-15")
    assert _feed(officers["rsj"], content).status == FeedRun.Status.REJECTED
    assert _feed(officers["rsj"], content, apply_valid_only=True).status == FeedRun.Status.PARTIAL


def test_a_department_cannot_feed_in_another_departments_name_or_feed_what_it_is_not_the_source_of(
        resident, officers):
    with pytest.raises(NotAllowed, match="不是县残联的工作人员"):
        _feed(officers["rsj"], csv_bytes(f"{RESIDENT_ID},张桂兰,cl.disability_level,二级,2024-01-01"), dept="cl")
    run = _feed(officers["rsj"], csv_bytes(f"{RESIDENT_ID},张桂兰,cl.disability_level,二级,2024-01-01"))
    assert run.status == FeedRun.Status.REJECTED and "一数一源" in run.errors[0]["message"]
    applicant_stated = _feed(officers["rsj"], csv_bytes(f"{RESIDENT_ID},张桂兰,person.residence_address,宽州镇,2024-01-01"))
    assert "由申请人填报，不能由部门批量提供" in applicant_stated.errors[0]["message"]
    assert not Fact.objects.exists() and not FeedRun.objects.filter(department__code="cl").exists()


def test_people_the_platform_does_not_know_are_created_through_the_accounts_service(officers):
    run = _feed(officers["cl"], csv_bytes(f"{NEWCOMER},王秀英,cl.disability_category,肢体残疾,2024-05-20",
                                          f"{NEWCOMER},王秀英,cl.disability_level,二级,2024-05-20"), dept="cl")
    assert run.status == FeedRun.Status.APPLIED and run.persons_created == 1 and run.facts_created == 2
    person = person_find(NEWCOMER)
    assert person.name == "王秀英" and person.user is None
    assert AuditEvent.objects.filter(action="person.create", subject_party_id=person.pk,
                                     actor_user_id=officers["cl"].pk).exists()
    conflicting = _feed(officers["cl"], csv_bytes(f"{make_id_number('19920315', 78)},王秀英,cl.disability_level,二级,2024-05-20",
                                                  f"{make_id_number('19920315', 78)},王秀兰,cl.disability_level,二级,2024-05-20"),
                        dept="cl")
    assert "姓名：与第 2 行同一身份证号码的姓名不一致" in conflicting.errors[0]["message"]
    assert conflicting.status == FeedRun.Status.REJECTED
    assert person_find(make_id_number("19920315", 78)) is None  # a rejected feed registers nobody


def test_enterprise_rows_need_a_registered_enterprise(representative, officers):
    unknown = "91610830MA7QJ0002M"  # valid, but nobody registered it
    run = _feed(officers["spj"], csv_bytes("91610830MA7QJ0001J,,enterprise.registered_capital,500,2023-06-15",
                                           f"{unknown},,enterprise.registered_capital,100,2023-06-15",
                                           f"{RESIDENT_ID},,enterprise.registered_capital,100,2023-06-15"),
                dept="spj", apply_valid_only=True)
    report = {e["line"]: e["message"] for e in run.errors}
    assert "统一社会信用代码：平台上尚无该企业" in report[3]
    assert "属于法人档案，主体应为统一社会信用代码" in report[4]
    assert selectors.profile_current(representative.enterprise)["enterprise.registered_capital"].data == "500"


def test_json_feeds_and_excel_gbk_csv_are_read_too(resident, relative, officers):
    rows = [{"subject": RESIDENT_ID, "name": "张桂兰", "element": "rsj.employment_status", "value": "失业登记",
             "effective_date": "2026-03-01"},
            {"subject": RELATIVE_ID, "name": "张小军", "element": "rsj.employment_status", "value": "离职",
             "effective_date": "2026-03-01"}]
    run = _feed(officers["rsj"], json.dumps({"rows": rows}, ensure_ascii=False).encode(), name="feed.json")
    assert run.format == "json" and run.status == FeedRun.Status.REJECTED and run.errors[0]["line"] == 2
    gbk = csv_bytes(GOOD[0], header="主体标识,姓名,数据元,值,生效日期", encoding="gb18030")
    assert _feed(officers["rsj"], gbk, name="导出.csv").status == FeedRun.Status.APPLIED


@pytest.mark.parametrize("content, message", [
    (b"subject,element,value\n1,2,3\n", "表头：缺少列 生效日期（effective_date）"),
    (b"subject,name,element,value,effective_date\n", "文件中没有数据行"),
    (b"\xff\xfe\x00\x00bad", "文件编码无法识别"),
])
def test_a_file_that_cannot_be_read_is_rejected_as_a_whole(officers, content, message):
    run = _feed(officers["rsj"], content)
    assert run.status == FeedRun.Status.REJECTED and message in run.problem


def test_a_large_feed_is_queued_and_processed_by_the_job_consumer(resident, relative, officers, monkeypatch,
                                                                 django_capture_on_commit_callbacks):
    monkeypatch.setattr(services, "FEED_INLINE_MAX_BYTES", 10)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = _feed(officers["rsj"], csv_bytes(*GOOD))
    assert run.status == FeedRun.Status.QUEUED and FeedRun.objects.get(pk=run.pk).content  # kept, encrypted
    assert not Fact.objects.exists()
    callbacks[0]()  # the commit happens: Huey (immediate in tests) runs the job
    run.refresh_from_db()
    assert run.status == FeedRun.Status.APPLIED and run.facts_created == 3 and run.content == ""
    assert services.feed_process(run.pk).status == FeedRun.Status.APPLIED  # a second delivery changes nothing
    assert Fact.objects.count() == 3


def test_a_run_left_processing_by_a_dead_consumer_is_marked_failed(officers):
    from datetime import timedelta

    from django.utils import timezone

    run = FeedRun.objects.create(department=officers["rsj"].role_grants.get().department, file_name="x.csv",
                                 format="csv", sha256="0" * 64, size_bytes=10, status=FeedRun.Status.RUNNING,
                                 started_at=timezone.now() - timedelta(hours=7))
    assert services.feed_stale_sweep() == 1
    run.refresh_from_db()
    assert run.status == FeedRun.Status.FAILED and "重新提交" in run.problem


def test_the_import_command_feeds_from_the_server(resident, relative, sharing, tmp_path):
    path = tmp_path / "rsj.csv"
    path.write_bytes(csv_bytes(*GOOD))
    out = io.StringIO()
    call_command("import_feed", "--department", "rsj", "--file", str(path), stdout=out)
    assert "已导入" in out.getvalue() and "新增记录 3" in out.getvalue()
    run = FeedRun.objects.get()
    assert run.submitted_by is None and AuditEvent.objects.get(action="profile.feed_applied").actor_label == "系统"
    call_command("import_feed", "--department", "rsj", "--file", str(path), stdout=out)
    assert "重复提交" in out.getvalue() and Fact.objects.count() == 3
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(f"{RESIDENT_ID},张桂兰,rsj.employment_status,待业,2026-03-01"))
    with pytest.raises(CommandError, match="未导入任何数据"):
        call_command("import_feed", "--department", "rsj", "--file", str(bad), stdout=out)
    assert "第 2 行" in out.getvalue()


def test_feed_import_checks_the_department_exists(sharing):
    from yijianshi.accounts.services import InvalidInput

    with pytest.raises(InvalidInput, match="不存在的部门"):
        feed_import(department="nope", file_name="x.csv", content=b"x")
