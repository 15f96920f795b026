"""Policy versions, the matching batch, the subject's decisions and the department's payment queue, through the
services."""

import shutil
from datetime import date

import pytest
import yaml
from django.core.management import call_command
from django.utils import timezone

from tests.policies.conftest import record
from yijianshi.accounts.permissions import NotAllowed
from yijianshi.accounts.services import InvalidInput, acting_context
from yijianshi.cases.services import Conflict
from yijianshi.notifications.models import Notification
from yijianshi.policies import selectors, services
from yijianshi.policies.models import FrozenVersionError, Grant, Match, Policy, PolicyVersion
from yijianshi.workdays.selectors import add_working_days


def match_of(party, code):
    return Match.objects.get(party=party, policy__code=code)


def test_a_published_version_is_frozen_and_a_changed_rule_becomes_a_new_version_old_matches_keep_theirs(
        eligible_resident, policies, tmp_path):
    services.match_run()
    match = match_of(eligible_resident.person, "elderly-allowance-80")
    v1 = match.version
    assert v1.status == PolicyVersion.Status.PUBLISHED and v1.version == 1
    v1.content = {**v1.content, "title": "改过的名称"}
    with pytest.raises(FrozenVersionError):
        v1.save()

    changed = tmp_path / "policies"
    shutil.copytree(policies, changed)
    data = yaml.safe_load((changed / "elderly.yaml").read_text("utf-8"))
    data["policies"][0]["parameters"]["amount"].append({"from": "2026-07-01", "value": 60})
    (changed / "elderly.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    report = services.policies_load(changed)
    assert report.new_versions == ["elderly-allowance-80 v2"] and report.unchanged == 28
    assert services.policies_load(changed).unchanged == 29  # idempotent
    v1.refresh_from_db()
    assert v1.status == PolicyVersion.Status.WITHDRAWN
    assert Policy.objects.get(code="elderly-allowance-80").versions.get(status="published").version == 2
    match.refresh_from_db()
    assert match.version_id == v1.pk and match.benefit_text == "每人每月50元"


def test_the_batch_records_matches_with_reasons_notifies_once_and_a_rerun_adds_nothing(
        eligible_resident, eligible_enterprise, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.match_run()
    assert first.created == first.found >= 3
    match = match_of(eligible_resident.person, "disability-living-allowance")
    assert match.version.version == 1 and match.status == Match.Status.MATCHED
    texts = [step["text"] for step in match.trace]
    assert "是城乡最低生活保障对象" in texts and "未享受特困人员救助供养" in texts
    assert match.trace[0]["result"] is True and {"element": "person.extremely_poor", "result": False} in [
        {"element": s["element"], "result": s["result"]} for s in match.trace]
    assert match_of(eligible_enterprise.enterprise, "job-retention-refund-sme").trace[0]["result"] is True
    site = Notification.objects.filter(channel="site")
    assert site.filter(recipient=eligible_resident, subject__contains="困难残疾人生活补贴").count() == 1
    # the enterprise's representative hears about the enterprise's matches
    assert site.filter(recipient=eligible_enterprise, link=f"/me/policies/"
                       f"{match_of(eligible_enterprise.enterprise, 'job-retention-refund-sme').pk}/").count() == 1
    before = (Match.objects.count(), Notification.objects.count())
    with django_capture_on_commit_callbacks(execute=True):
        again = services.match_run()
    assert again.found == again.created == 0
    assert (Match.objects.count(), Notification.objects.count()) == before


def test_the_match_command_shows_progress_and_is_idempotent(eligible_resident, capsys):
    call_command("match_policies")
    out = capsys.readouterr().out
    assert "#" in out and "新匹配" in out
    call_command("match_policies", "--no-progress")
    assert "新匹配 0 条" in capsys.readouterr().out


def test_opted_out_subjects_are_skipped_until_they_opt_back_in(eligible_resident):
    context = acting_context(eligible_resident)
    services.opt_out_set(user=eligible_resident, acting=context, opted_out=True)
    assert services.match_run().created == 0
    assert not Match.objects.filter(party=eligible_resident.person).exists()
    services.opt_out_set(user=eligible_resident, acting=context, opted_out=False)
    assert services.match_run().created >= 2


def test_confirming_queues_the_grant_for_the_department_with_a_working_day_due_date(eligible_resident, mzj_officer,
                                                                                    rsj_officer):
    services.match_run()
    match = match_of(eligible_resident.person, "elderly-allowance-80")
    context = acting_context(eligible_resident)
    services.match_confirm(user=eligible_resident, acting=context, match=match)
    grant = Grant.objects.get(match=match)
    assert grant.department.code == "mzj" and grant.status == Grant.Status.QUEUED and grant.amount == 50
    created = timezone.localtime(grant.created_at).date()
    assert grant.due_date == add_working_days(created, services.PAYMENT_WORKING_DAYS)
    assert list(selectors.grants_for(mzj_officer)) == [grant]
    assert list(selectors.grants_for(rsj_officer)) == []
    with pytest.raises(NotAllowed):
        services.grant_start_payment(user=rsj_officer, grant=grant)
    with pytest.raises(Conflict):
        services.grant_mark_paid(user=mzj_officer, grant=grant)  # not yet being paid
    services.grant_start_payment(user=mzj_officer, grant=grant)
    services.grant_mark_paid(user=mzj_officer, grant=grant)
    grant.refresh_from_db()
    assert grant.status == Grant.Status.PAID
    assert [e.to_status for e in grant.events.all()] == ["queued", "paying", "paid"]
    with pytest.raises(Conflict):
        services.grant_refuse(user=mzj_officer, grant=grant, reason="重复")


def test_illegal_decisions_are_conflicts_and_change_nothing(eligible_resident, mzj_officer):
    services.match_run()
    context = acting_context(eligible_resident)
    match = match_of(eligible_resident.person, "elderly-allowance-80")
    services.match_decline(user=eligible_resident, acting=context, match=match)
    with pytest.raises(Conflict):
        services.match_confirm(user=eligible_resident, acting=context, match=match)
    assert not Grant.objects.exists()
    services.match_reconsider(user=eligible_resident, acting=context, match=match)
    services.match_confirm(user=eligible_resident, acting=context, match=match)
    with pytest.raises(Conflict):
        services.match_decline(user=eligible_resident, acting=context, match=match)
    grant = Grant.objects.get()
    with pytest.raises(InvalidInput) as error:
        services.grant_refuse(user=mzj_officer, grant=grant, reason=" ")
    assert error.value.field == "reason" and "理由" in error.value.message
    assert [e.to_status for e in match.events.all()] == ["matched", "declined", "matched", "confirmed"]


def test_one_subject_never_decides_anothers_match(eligible_resident, relative, eligible_enterprise):
    services.match_run()
    match = match_of(eligible_resident.person, "elderly-allowance-80")
    with pytest.raises(NotAllowed):
        services.match_confirm(user=relative, acting=acting_context(relative), match=match)
    enterprise_match = match_of(eligible_enterprise.enterprise, "job-retention-refund-sme")
    with pytest.raises(NotAllowed):  # the representative acting for herself, not for the enterprise
        services.match_confirm(user=eligible_enterprise, acting=acting_context(eligible_enterprise),
                               match=enterprise_match)
    as_enterprise = acting_context(eligible_enterprise, eligible_enterprise.enterprise.pk)
    services.match_confirm(user=eligible_enterprise, acting=as_enterprise, match=enterprise_match)
    assert Grant.objects.get().department.code == "jysy"
    assert selectors.matches_for(relative.person) == []


def test_a_prefilled_application_takes_what_the_profile_knows_and_asks_the_rest(relative, policies, rsj_officer):
    record(relative.person, [("rsj", {"person.employment_status": "灵活就业", "person.hard_to_employ": True})])
    services.match_run()
    match = match_of(relative.person, "hard-to-employ-flexible-insurance-subsidy")
    assert match.version.mode == PolicyVersion.Mode.PREFILLED_APPLICATION
    fields = {f["code"]: f for f in selectors.application_draft(match)}
    assert fields["person.employment_status"]["value"] == "灵活就业" and fields["person.employment_status"]["known"]
    assert fields["person.gender"]["value"] == "女" and fields["person.birth_date"]["known"]
    context = acting_context(relative)
    with pytest.raises(Conflict):
        services.match_confirm(user=relative, acting=context, match=match)
    services.application_submit(user=relative, acting=context, match=match, answers={})
    match.refresh_from_db()
    assert match.status == Match.Status.APPLIED and match.application["person.hard_to_employ"] is True
    assert list(selectors.grants_for(rsj_officer)) == [match.grant]


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


def test_the_editor_names_each_bad_field_and_saves_nothing(catalog_admin):
    bad = EDITED.replace("person.low_income", "person.low_incme").replace("department: mzj", "department: nosuch")
    with pytest.raises(services.PolicyInvalid) as error:
        services.draft_save(user=catalog_admin, text=bad)
    assert any("department：" in e for e in error.value.errors)
    assert any("rule $.all[0].element" in e and "person.low_incme" in e for e in error.value.errors)
    with pytest.raises(services.PolicyInvalid) as error:
        services.draft_save(user=catalog_admin, text="code: [unclosed")
    assert error.value.errors[0].startswith("content：")
    assert not Policy.objects.filter(code="county-test-allowance").exists()


def test_the_editor_previews_the_count_and_publishes_a_checked_draft(catalog_admin, eligible_resident, relative,
                                                                    mzj_officer, django_capture_on_commit_callbacks):
    assert services.preview_count(user=catalog_admin, text=EDITED) == 1
    record(relative.person, [("mzj", {"person.low_income": True})])
    assert services.preview_count(user=catalog_admin, text=EDITED) == 2
    with pytest.raises(NotAllowed):
        services.preview_count(user=mzj_officer, text=EDITED)
    draft = services.draft_save(user=catalog_admin, text=EDITED)
    assert draft.status == PolicyVersion.Status.DRAFT
    draft = services.draft_save(user=catalog_admin, text=EDITED.replace("测试补贴", "测试补贴（修订）"))
    assert draft.version == 1 and draft.title == "测试补贴（修订）"
    with django_capture_on_commit_callbacks(execute=True):  # publishing runs the batch on commit
        published = services.version_publish(user=catalog_admin, version=draft)
    assert published.status == PolicyVersion.Status.PUBLISHED
    assert Match.objects.filter(policy__code="county-test-allowance").count() == 2
    with pytest.raises(Conflict):
        services.version_publish(user=catalog_admin, version=published)
    assert services.match_run(on=date(2026, 12, 1)).created == 0


@pytest.fixture
def catalog_admin(make_staff):
    return make_staff("catalog-admin", "catalog_admin")


def test_a_withdrawn_policy_can_no_longer_be_confirmed(eligible_resident, catalog_admin):
    services.match_run()
    match = match_of(eligible_resident.person, "elderly-allowance-80")
    services.version_withdraw(user=catalog_admin, version=match.version)
    with pytest.raises(Conflict) as error:
        services.match_confirm(user=eligible_resident, acting=acting_context(eligible_resident), match=match)
    assert "已撤回" in error.value.message and not Grant.objects.exists()
    assert services.match_run().created == 0  # nothing in force to match
