"""Time limits by ticket kind and urgency from data/hotline/time_limits.yaml, counted on the working-day calendar:
a consultation and a complaint taken on the same day before the National Day holiday get different due dates,
urgent ones stay two hours of clock time; the file is checked field by field; an edit applies to new tickets only."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from yijianshi.accounts.services import InvalidInput
from yijianshi.hotline import services, time_limits
from yijianshi.hotline.apps import time_limits_check
from yijianshi.hotline.forms import ExtendForm

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
BEFORE_NATIONAL_DAY = datetime(2026, 9, 30, 10, tzinfo=SHANGHAI)  # 2026: Oct 1–7 off, Saturday Oct 10 worked


def _call(operator, **overrides):
    data = dict(channel="phone", kind="complaint", content="宽州镇秀延路小区连续三天停暖，家里老人受冻，请尽快处理",
                caller_name="张桂兰", caller_mobile="13800000001")
    return services.ticket_intake(user=operator, **(data | overrides))


def _day(ticket):
    return timezone.localtime(ticket.due_at).date().isoformat()


def test_a_consultation_and_a_complaint_get_different_working_day_limits_across_the_holiday(staff):
    with time_machine.travel(BEFORE_NATIONAL_DAY, tick=False):
        complaint = _call(staff["operator"])
        consultation = _call(staff["operator"], kind="consultation", content="想问问城乡居民医保今年的缴费标准是多少")
        urgent_complaint = _call(staff["operator"], urgency="urgent", content="路边燃气管道漏气，闻到很大的气味")
        urgent_consultation = _call(staff["operator"], kind="consultation", urgency="urgent",
                                    content="孩子高烧，想问县医院今晚哪个科室有人值班")
    # complaint: 5 working days (Sep 30 counts nothing; Oct 8, 9, 10 (调休), 12, 13)
    assert _day(complaint) == "2026-10-13" and timezone.localtime(complaint.due_at).hour == 18
    # consultation: 3 working days (Oct 8, 9, 10 调休)
    assert _day(consultation) == "2026-10-10"
    assert complaint.time_limit_rule == "投诉·一般 5 个工作日"
    assert consultation.time_limit_rule == "咨询·一般 3 个工作日"
    # urgent stays in clock hours, whatever the kind and the holiday
    for urgent in (urgent_complaint, urgent_consultation):
        assert urgent.due_at == datetime(2026, 9, 30, 12, tzinfo=SHANGHAI)
    assert urgent_consultation.time_limit_rule == "咨询·紧急 2 小时"


def test_the_ticket_page_shows_the_limit_that_applies(client, staff):
    ticket = _call(staff["operator"], kind="suggestion", content="建议在秀延河边多安几个路灯，晚上散步太黑")
    client.force_login(staff["operator"])
    page = client.get(reverse("hotline:ticket", args=[ticket.pk])).content.decode()
    assert "时限依据：建议·一般 10 个工作日" in page


def test_an_edit_of_the_file_applies_to_new_tickets_and_existing_ones_keep_their_due_dates(staff, settings, tmp_path):
    with time_machine.travel(BEFORE_NATIONAL_DAY, tick=False):
        before = _call(staff["operator"])
    raw = yaml.safe_load(time_limits.path().read_text(encoding="utf-8"))
    raw["kinds"]["complaint"]["normal"] = {"working_days": 2}
    raw["extension"]["max_working_days"] = 3
    edited = tmp_path / "time_limits.yaml"
    edited.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    settings.HOTLINE_TIME_LIMITS_FILE = edited
    with time_machine.travel(BEFORE_NATIONAL_DAY, tick=False):
        after = _call(staff["operator"])
    assert _day(after) == "2026-10-09" and after.time_limit_rule == "投诉·一般 2 个工作日"
    before.refresh_from_db()
    assert _day(before) == "2026-10-13" and before.time_limit_rule == "投诉·一般 5 个工作日"
    # the extension's maximum comes from the same file, and the leader's form says so
    ticket = services.ticket_dispatch(user=staff["operator"], ticket=after, department_code="zjj")
    assert "最多 3 个工作日" in ExtendForm().fields["working_days"].help_text
    with pytest.raises(InvalidInput, match="延期天数：应在 1 到 3 个工作日之间"):
        services.ticket_extend(user=staff["zjj_leader"], ticket=ticket, working_days=4, reason="需协调供热公司")


def test_reopening_restarts_the_kinds_limit(staff, replied):
    with time_machine.travel(BEFORE_NATIONAL_DAY, tick=False):
        ticket = replied(kind="consultation", content="想问问城乡居民医保今年的缴费标准和截止时间")
        services.ticket_rate(user=staff["operator"], ticket=ticket, level=1, comment="答非所问")
        services.ticket_review(user=staff["supervisor"], ticket=ticket, reopen=True, reason="未答复截止时间，重办")
    ticket.refresh_from_db()
    assert _day(ticket) == "2026-10-10" and ticket.time_limit_rule == "咨询·一般 3 个工作日"


def test_a_broken_file_is_refused_naming_the_kind_urgency_and_field(settings, tmp_path):
    raw = {
        "default": {"urgent": {"hours": 2}},
        "kinds": {"report": {"normal": {"working_days": 5}},
                  "complaint": {"normal": {"working_days": 5, "hours": 4}, "soon": {"hours": 1}},
                  "consultation": {"normal": {"working_days": 0}}},
        "extension": {"max_working_days": "十"},
    }
    with pytest.raises(time_limits.TimeLimitError) as caught:
        time_limits.check_time_limits(raw)
    errors = "\n".join(caught.value.errors)
    assert "default：缺少 normal（一般）的时限" in errors
    assert "kinds.report：诉求类型不存在" in errors
    assert "kinds.complaint（投诉）.normal（一般）：应写成 {hours: N}" in errors
    assert "kinds.complaint（投诉）.soon：紧急程度不存在" in errors
    assert "kinds.consultation（咨询）.normal（一般）.working_days：应为 1 到 60 之间的整数" in errors
    assert "extension.max_working_days" in errors
    assert len(caught.value.errors) == 6

    broken = tmp_path / "time_limits.yaml"
    broken.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    settings.HOTLINE_TIME_LIMITS_FILE = broken
    assert [e.id for e in time_limits_check()] == ["hotline.E001"] * 6  # `manage.py check` and start-up refuse it
    with pytest.raises(CommandError, match="工单时限配置有 6 处错误"):
        call_command("check_hotline_time_limits")


def test_the_reviewed_file_is_valid_and_covers_every_kind(capsys):
    assert time_limits_check() == []
    call_command("check_hotline_time_limits")
    out = capsys.readouterr().out
    assert "办不成事\t一般\t3 个工作日" in out and "校验通过" in out
