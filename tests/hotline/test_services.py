"""The 12345 closed loop through its services: phone intake, dispatch, 退单 and re-dispatch, handling, 督办,
reply, a bad rating, 差评重办 and the final close; plus merging, time limits and sweeps."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from yijianshi.accounts.permissions import NotAllowed
from yijianshi.accounts.services import InvalidInput
from yijianshi.audit.models import AuditEvent
from yijianshi.hotline import services
from yijianshi.hotline.models import DispatchDecision, Ticket
from yijianshi.hotline.services import Conflict
from yijianshi.notifications.models import Notification

pytestmark = pytest.mark.django_db
S = Ticket.Status
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _call(operator, **overrides):
    data = dict(channel="phone", kind="complaint", content="宽州镇秀延路小区连续三天停暖，家里老人受冻，请尽快处理",
                caller_name="张桂兰", caller_mobile="13800000001", town_code="610830100", address="秀延路小区 3 号楼")
    return services.ticket_intake(user=operator, **(data | overrides))


def test_a_phone_call_goes_round_the_whole_loop_including_a_bad_rating_and_a_reopening(
        staff, resident, django_capture_on_commit_callbacks):
    operator, supervisor = staff["operator"], staff["supervisor"]
    ticket = services.ticket_intake(user=operator, channel="phone", kind="complaint", caller=resident.person,
                                    content="宽州镇秀延路小区连续三天停暖，家里老人受冻，请尽快处理",
                                    caller_mobile="13800000001", town_code="610830100")
    assert ticket.number.startswith("RX") and ticket.status == S.RECEIVED and ticket.due_at > timezone.now()

    # 分拨 to the wrong unit first (the classifier said heating is 住建; the operator chose the power company)
    ticket = services.ticket_dispatch(user=operator, ticket=ticket, department_code="gdgs",
                                      suggestions=[("zjj", 0.81), ("gdgs", 0.1)])
    decision = DispatchDecision.objects.get(ticket=ticket)
    assert not decision.accepted_suggestion
    with pytest.raises(NotAllowed):
        services.ticket_return(user=staff["zjj"], ticket=ticket, reason="不是我们的")
    services.ticket_return(user=staff["gdgs"], ticket=ticket, reason="供暖属县住建局职责，非供电问题")
    assert DispatchDecision.objects.get(ticket=ticket).returned  # the mistake does not train the model

    ticket = services.ticket_dispatch(user=operator, ticket=Ticket.objects.get(pk=ticket.pk), department_code="zjj",
                                      service_point_code="town-610830100", suggestions=[("zjj", 0.81)])
    assert ticket.lead_department.code == "zjj" and ticket.service_point.code == "town-610830100"
    services.ticket_accept(user=staff["zjj"], ticket=ticket)
    services.ticket_supervise(user=supervisor, ticket=ticket, note="老人受冻，请今日内上门", escalate=True)
    services.ticket_reply(user=staff["zjj"], ticket=ticket, reply="已联系供热公司更换循环泵，当晚恢复供暖")

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_rate(user=resident, ticket=ticket, level=2, comment="第二天又不热了")
    assert Ticket.objects.get(pk=ticket.pk).status == S.REOPEN_REQUESTED
    assert Notification.objects.filter(recipient=supervisor, subject="工单不满意待复核").exists()

    services.ticket_review(user=supervisor, ticket=ticket, reopen=True, reason="回访仍不热，差评重办")
    ticket.refresh_from_db()
    assert ticket.status == S.IN_PROGRESS and ticket.reopen_count == 1
    services.ticket_reply(user=staff["zjj"], ticket=ticket, reply="已更换小区主管网阀门，连续三日回访室温 20 度以上")
    services.ticket_rate(user=resident, ticket=ticket, level=5)
    ticket.refresh_from_db()
    assert ticket.status == S.CLOSED and ticket.closed_at is not None
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds == ["received", "dispatched", "returned", "dispatched", "in_progress", "supervised", "replied",
                     "reopen_requested", "reopened", "replied", "closed"]
    audited = AuditEvent.objects.filter(object_type="hotline.ticket", object_id=ticket.number)
    assert audited.filter(principal_party_id=resident.person.pk).count() >= 10


def test_a_return_is_refused_after_two_working_days(staff):
    with time_machine.travel(datetime(2026, 11, 2, 9, tzinfo=SHANGHAI), tick=False):  # a Monday
        ticket = services.ticket_dispatch(user=staff["operator"], ticket=_call(staff["operator"]),
                                          department_code="zjj")
    with time_machine.travel(datetime(2026, 11, 5, 9, tzinfo=SHANGHAI), tick=False):  # Thursday: 3 working days on
        with pytest.raises(Conflict, match="已超过退单时限"):
            services.ticket_return(user=staff["zjj"], ticket=ticket, reason="不属于本单位")


def test_an_urgent_ticket_has_two_hours_and_a_normal_one_five_working_days(staff):
    with time_machine.travel(datetime(2026, 9, 30, 10, tzinfo=SHANGHAI), tick=False):
        urgent = _call(staff["operator"], urgency="urgent", content="路边燃气管道漏气，闻到很大的气味")
        normal = _call(staff["operator"])
    assert urgent.due_at == datetime(2026, 9, 30, 12, tzinfo=SHANGHAI)
    # 2026: Oct 1–7 off, Saturday Oct 10 is a 调休 working day; five working days from Sep 30 end on Oct 13.
    assert timezone.localtime(normal.due_at).date().isoformat() == "2026-10-13"


def test_one_extension_approved_by_the_leader(staff):
    ticket = services.ticket_dispatch(user=staff["operator"], ticket=_call(staff["operator"]), department_code="zjj")
    with pytest.raises(NotAllowed):
        services.ticket_extend(user=staff["zjj"], ticket=ticket, working_days=5, reason="需协调供热公司")
    with pytest.raises(InvalidInput, match="延期天数"):
        services.ticket_extend(user=staff["zjj_leader"], ticket=ticket, working_days=11, reason="需协调供热公司")
    extended = services.ticket_extend(user=staff["zjj_leader"], ticket=ticket, working_days=5, reason="需协调供热公司")
    assert extended.due_at > ticket.due_at
    with pytest.raises(Conflict, match="延期过一次"):
        services.ticket_extend(user=staff["zjj_leader"], ticket=extended, working_days=2, reason="仍需协调")


def test_duplicates_are_merged_and_answered_together(staff):
    first = services.ticket_dispatch(user=staff["operator"], ticket=_call(staff["operator"]), department_code="zjj")
    second = _call(staff["operator"], caller_name="李秀兰", caller_mobile="13800000005")
    services.ticket_merge(user=staff["operator"], ticket=second, into=first)
    services.ticket_accept(user=staff["zjj"], ticket=first)
    services.ticket_reply(user=staff["zjj"], ticket=first, reply="已联系供热公司恢复供暖，今晚 20 点前恢复")
    assert Ticket.objects.get(pk=second.pk).status == S.MERGED
    assert second.events.filter(kind="replied").exists()


@pytest.mark.parametrize("change, field", [
    (dict(content="停暖"), "content"),
    (dict(caller_mobile="12345"), "caller_mobile"),
    (dict(caller_mobile=""), "caller_mobile"),
    (dict(kind="rumour"), "kind"),
    (dict(town_code="610830999"), "town_code"),
])
def test_bad_intake_names_the_field_and_saves_nothing(staff, change, field):
    with pytest.raises(InvalidInput) as error:
        _call(staff["operator"], **change)
    assert error.value.field == field and not Ticket.objects.exists()


def test_only_operators_take_calls_and_dispatch(staff, resident):
    with pytest.raises(NotAllowed):
        _call(staff["zjj"])
    ticket = _call(staff["operator"])
    with pytest.raises(NotAllowed):
        services.ticket_dispatch(user=resident, ticket=ticket, department_code="zjj")


def test_a_consultation_answered_on_the_phone_is_closed_at_once(staff):
    ticket = _call(staff["operator"], kind="consultation", content="新生儿上户口需要带什么材料？")
    services.ticket_close_at_intake(user=staff["operator"], ticket=ticket, answer="出生医学证明、父母户口簿和身份证")
    assert Ticket.objects.get(pk=ticket.pk).status == S.CLOSED


def test_the_deadline_sweep_flags_once_and_tells_supervisors_when_red(staff):
    ticket = services.ticket_dispatch(user=staff["operator"], ticket=_call(staff["operator"]), department_code="zjj")
    later = ticket.due_at + timedelta(minutes=1)
    assert services.ticket_deadline_sweep(now=later) == 1
    assert services.ticket_deadline_sweep(now=later) == 0
    assert Ticket.objects.get(pk=ticket.pk).alert_level == "red"
    assert Notification.objects.filter(recipient=staff["supervisor"], channel="site",
                                       subject="12345 工单已超时").count() == 1


def test_the_caller_number_is_stored_encrypted_and_shown_masked(staff):
    from django.db import connection

    ticket = _call(staff["operator"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT caller_mobile FROM hotline_ticket WHERE id = %s", [ticket.pk])
        assert "13800000001" not in cursor.fetchone()[0]
    assert Ticket.objects.get(pk=ticket.pk).caller_mobile == "13800000001"
    assert ticket.masked_caller == "张**"


def test_a_caller_without_an_account_is_told_by_sms(staff, django_capture_on_commit_callbacks):
    ticket = services.ticket_dispatch(user=staff["operator"], ticket=_call(staff["operator"]), department_code="zjj")
    services.ticket_accept(user=staff["zjj"], ticket=ticket)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(user=staff["zjj"], ticket=ticket, reply="已联系供热公司恢复供暖，今晚 20 点前恢复")
    sms = Notification.objects.get(recipient__isnull=True)
    assert sms.mobile == "13800000001" and sms.status == "sent" and ticket.number in sms.body
