"""The profile pages through the test client: the officers' look-up and feed pages, the run's polled status and
error report, and the residents' own file and read log (nobody sees another's)."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.conftest import RELATIVE_ID, RESIDENT_ID, make_id_number
from tests.profiles.conftest import csv_bytes
from yijianshi.accounts.services import mandate_grant
from yijianshi.audit.models import AuditEvent
from yijianshi.profiles import services
from yijianshi.profiles.models import FeedRun, SharingEntry
from yijianshi.profiles.services import profile_read, profile_record, relation_record

pytestmark = pytest.mark.django_db
EMPLOYMENT = "就业困难人员认定"


def _entry(code):
    return SharingEntry.objects.get(code=code, current=True)


@pytest.fixture
def profile(resident, officers):
    person = resident.person
    profile_record(party=person, element_code="person.hukou_address", value="陕西省榆林市清涧县宽州镇秀延路 12 号",
                   source_department="gaj", source="registration", effective_on=date(2001, 3, 1))
    profile_record(party=person, element_code="person.hukou_address", value="陕西省榆林市清涧县宽州镇东关街 8 号",
                   source_department="gaj", source="registration", actor=officers["gaj"], effective_on=date(2024, 3, 1))
    profile_record(party=person, element_code="cl.disability_level", value="二级", source_department="cl",
                   source="certificate", evidence="61083019400101009642")
    profile_record(party=person, element_code="cl.disability_certificate_number", value="61083019400101009642",
                   source_department="cl", source="certificate")
    profile_record(party=person, element_code="person.social_security_number", value=RESIDENT_ID,
                   source_department="rsj", source="registration")
    return person


# --- 档案查询 ----------------------------------------------------------------------------------------------------

def test_the_lookup_offers_only_the_purposes_of_the_officers_department(client, officers):
    client.force_login(officers["rsj"])
    page = client.get(reverse("profiles:lookup")).content.decode()
    assert EMPLOYMENT in page and "单位社会保险登记" in page
    assert "最低生活保障审核确认" not in page and "困难残疾人生活补贴" not in page


def test_the_officer_sees_only_the_entrys_elements_masked_and_the_read_is_audited(client, officers, profile):
    client.force_login(officers["mzj"])
    entry = _entry("mzj-disability-subsidies")
    response = client.post(reverse("profiles:lookup"), {"subject": RESIDENT_ID, "entry": entry.pk})
    page = response.content.decode()
    assert response.status_code == 200 and "东关街 8 号" in page and "二级" in page
    assert "610830**********9642" in page and "61083019400101009642" not in page  # 残疾人证号 embeds the ID number
    assert "秀延路" not in page and "社会保障号码" not in page  # history and ungranted elements are not shown
    assert "国发〔2015〕52号" in page and "张**" in page and "张桂兰" not in page
    event = AuditEvent.objects.filter(action="personal_data.read").latest("seq")
    assert event.actor_user_id == officers["mzj"].pk and event.object_id == str(entry.pk)


def test_a_lookup_with_a_bad_number_or_an_unknown_person_reads_nothing(client, officers, profile):
    client.force_login(officers["rsj"])
    entry = _entry("rsj-employment-difficulty")
    events = AuditEvent.objects.count()
    bad = client.post(reverse("profiles:lookup"), {"subject": "610830194001010097", "entry": entry.pk})
    assert bad.status_code == 400 and "身份证号码：校验位不正确" in bad.content.decode()
    missing = client.post(reverse("profiles:lookup"), {"subject": make_id_number("20000101", 1), "entry": entry.pk})
    assert missing.status_code == 200 and "平台上没有该人员或企业的档案" in missing.content.decode()
    no_purpose = client.post(reverse("profiles:lookup"), {"subject": RESIDENT_ID, "entry": ""})
    assert no_purpose.status_code == 400 and "用途：必填" in no_purpose.content.decode()
    foreign = client.post(reverse("profiles:lookup"), {"subject": RESIDENT_ID, "entry": _entry("mzj-subsistence-allowance").pk})
    assert foreign.status_code == 400 and "用途：请从本部门共享责任清单中选择" in foreign.content.decode()
    wrong_kind = client.post(reverse("profiles:lookup"), {"subject": RESIDENT_ID,
                                                         "entry": _entry("rsj-unit-insurance-registration").pk})
    assert wrong_kind.status_code == 403 and "适用于法人档案" in wrong_kind.content.decode()
    assert AuditEvent.objects.count() == events


def test_staff_without_the_read_permission_get_the_staff_403_page(client, make_staff, sharing):
    client.force_login(make_staff("clerk", "window_clerk", service_point="county-hall"))
    response = client.get(reverse("profiles:lookup"))
    assert response.status_code == 403 and "您的角色没有使用本页面的权限" in response.content.decode()


# --- 数据共享导入 ---------------------------------------------------------------------------------------------------

def _upload(client, content, **extra):
    data = {"department": extra.pop("department", None), "file": SimpleUploadedFile("rsj.csv", content, "text/csv"),
            **extra}
    return client.post(reverse("profiles:feeds"), {k: v for k, v in data.items() if v is not None})


def test_the_feed_page_documents_the_format_and_what_the_department_may_feed(client, officers):
    client.force_login(officers["rsj"])
    page = client.get(reverse("profiles:feeds")).content.decode()
    assert "effective_date" in page and "生效日期" in page and "全部成功或全部不导入" in page
    assert "rsj.employment_status" in page and "person.social_security_number" in page
    assert "cl.disability_level" not in page


def test_a_bad_feed_uploaded_on_the_page_shows_each_bad_row_and_the_report_downloads(client, officers, resident):
    client.force_login(officers["rsj"])
    dept = officers["rsj"].role_grants.get().department_id
    response = _upload(client, csv_bytes(f"{RESIDENT_ID},张桂兰,rsj.employment_status,失业登记,2026-03-01",
                                         f"{RESIDENT_ID},张桂兰,rsj.employment_status,=待业,2026-03-02"),
                       department=dept)
    run = FeedRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("profiles:feed", args=[run.pk])
    page = client.get(response["Location"]).content.decode()
    assert "未导入（存在错误行）" in page and "请从给定选项中选择" in page and "hx-trigger" not in page
    report = client.get(reverse("profiles:feed-errors", args=[run.pk]))
    text = report.content.decode("utf-8")
    assert text.startswith("\ufeff行号") and "2026" not in text and "\n3,610830********0096" in text
    assert report["Content-Disposition"].startswith("attachment")


def test_an_upload_without_a_file_or_in_another_departments_name_is_refused(client, officers):
    client.force_login(officers["rsj"])
    no_file = client.post(reverse("profiles:feeds"), {"department": officers["rsj"].role_grants.get().department_id})
    assert no_file.status_code == 400 and "数据文件：请选择要上传的 CSV 或 JSON 文件" in no_file.content.decode()
    foreign = _upload(client, csv_bytes(f"{RESIDENT_ID},张桂兰,cl.disability_level,二级,2026-03-01"),
                      department=officers["cl"].role_grants.get().department_id)
    assert foreign.status_code == 400 and "提供部门：只能以本人所在部门的名义提供" in foreign.content.decode()
    assert not FeedRun.objects.exists()


def test_a_queued_feed_is_polled_until_it_is_done(client, officers, resident, monkeypatch,
                                                 django_capture_on_commit_callbacks):
    monkeypatch.setattr(services, "FEED_INLINE_MAX_BYTES", 10)
    client.force_login(officers["rsj"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _upload(client, csv_bytes(f"{RESIDENT_ID},张桂兰,rsj.employment_status,失业登记,2026-03-01"),
                           department=officers["rsj"].role_grants.get().department_id)
    run = FeedRun.objects.get()
    assert response.status_code == 302
    status_url = reverse("profiles:feed-status", args=[run.pk])
    waiting = client.get(status_url).content.decode()
    assert "排队中" in waiting and 'hx-trigger="every 2s"' in waiting and f'hx-get="{status_url}"' in waiting
    callbacks[0]()
    done = client.get(status_url).content.decode()
    assert "已导入" in done and "hx-trigger" not in done and "新增档案记录 1 条" in done


def test_another_departments_officer_cannot_see_a_run(client, officers, resident):
    run = services.feed_apply(user=officers["rsj"], department="rsj", file_name="a.csv",
                              content=csv_bytes(f"{RESIDENT_ID},张桂兰,rsj.employment_status,失业登记,2026-03-01"))
    client.force_login(officers["cl"])
    for name in ("profiles:feed", "profiles:feed-status", "profiles:feed-errors"):
        assert client.get(reverse(name, args=[run.pk])).status_code == 404
    assert "a.csv" not in client.get(reverse("profiles:feeds")).content.decode()


# --- 我的档案, 数据使用记录 ------------------------------------------------------------------------------------------

def test_the_resident_sees_her_file_with_sources_and_history_and_reading_it_is_not_audited(client, resident, relative,
                                                                                          profile):
    relation_record(person=resident.person, relative=relative.person, kind="child", source_department="gaj",
                    source="registration", evidence="户口簿")
    client.force_login(resident)
    events = AuditEvent.objects.count()
    page = client.get(reverse("profiles:me-profile")).content.decode()
    assert "东关街 8 号" in page and "县公安局（登记信息）" in page and "2024-03-01" in page
    assert "<details>" in page and "秀延路 12 号" in page and "由县公安局登记的新值" in page
    assert "610830********0096" in page and RESIDENT_ID not in page  # her 社会保障号码, masked
    assert "子女" in page and "张**" in page
    assert AuditEvent.objects.count() == events


def test_the_data_access_log_shows_reads_by_others_and_a_stranger_sees_only_their_own(client, resident, relative,
                                                                                     officers, profile):
    profile_read(user=officers["rsj"], party=profile, purpose=EMPLOYMENT, element_codes=["cl.disability_level"])
    client.force_login(resident)
    page = client.get(reverse("profiles:me-data-access")).content.decode()
    assert "县人社局" in page and "工***" in page and "残疾等级" in page and EMPLOYMENT in page
    assert "就业促进法" in page
    client.force_login(relative)
    stranger = client.get(reverse("profiles:me-data-access")).content.decode()
    assert "还没有他人查阅过您的信息" in stranger and "残疾等级" not in stranger
    assert "东关街" not in client.get(reverse("profiles:me-profile")).content.decode()
    # Choosing to act for her without a mandate is refused.
    assert client.post(reverse("accounts:acting"), {"principal_id": resident.person.pk}).status_code == 403


def test_an_agent_acting_under_a_mandate_cannot_open_the_principals_file_or_read_log(client, resident, relative,
                                                                                    profile):
    mandate_grant(user=resident, principal=resident.person, agent_name="张小军", agent_id_number=RELATIVE_ID,
                  all_services=True, valid_until=timezone.now() + timedelta(days=30))
    client.force_login(relative)
    client.post(reverse("accounts:acting"), {"principal_id": resident.person.pk})
    for name in ("profiles:me-profile", "profiles:me-data-access"):
        response = client.get(reverse(name))
        assert response.status_code == 403 and "只能由本人" in response.content.decode()


def test_the_legal_representative_acting_for_the_enterprise_sees_its_file_and_reads(client, representative,
                                                                                   officers):
    enterprise = representative.enterprise
    profile_record(party=enterprise, element_code="enterprise.registered_capital", value="500",
                   source_department="spj", source="registration", evidence="营业执照")
    profile_read(user=officers["rsj"], party=enterprise, purpose="单位社会保险登记",
                 element_codes=["enterprise.type", "enterprise.registered_address"])
    client.force_login(representative)
    own = client.get(reverse("profiles:me-data-access")).content.decode()
    assert "单位社会保险登记" not in own  # her own log: the enterprise was read, not she
    client.post(reverse("accounts:acting"), {"principal_id": enterprise.pk})
    assert "注册资本（万元）" in client.get(reverse("profiles:me-profile")).content.decode()
    page = client.get(reverse("profiles:me-data-access")).content.decode()
    assert "单位社会保险登记" in page and "企业类型" in page and "社会保险法" in page


def test_staff_accounts_without_a_person_get_the_no_person_page(client, sharing):
    from yijianshi.accounts.models import User  # a system account has no person

    system = User.objects.create(username="queue", kind=User.Kind.SYSTEM, first_name="叫号系统")
    client.force_login(system)
    assert client.get(reverse("profiles:me-profile")).status_code == 403
