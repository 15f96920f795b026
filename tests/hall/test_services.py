"""The hall through its services: numbers, the green channel, calling, 过号, transfers, 帮办代办, and the rating of a
window service with its rectification and appeal, exactly as for cases."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.conftest import RESIDENT_ID, make_id_number
from yijianshi.accounts.permissions import NotAllowed
from yijianshi.accounts.services import InvalidInput
from yijianshi.audit.models import AuditEvent
from yijianshi.cases import services as cases
from yijianshi.cases.models import Rating, RectificationTask
from yijianshi.cases.services import Conflict
from yijianshi.hall import selectors, services
from yijianshi.hall.models import QueueTicket, TicketEvent, WindowService
from yijianshi.notifications.models import Notification
from yijianshi.workdays import selectors as workdays

pytestmark = pytest.mark.django_db
S = QueueTicket.Status
SHANGHAI = ZoneInfo("Asia/Shanghai")
YOUNG_ID = make_id_number("19900315", 21)


def take(point, category="general", **kwargs):
    return services.ticket_take(service_point=point, category_code=category, **kwargs)


def serve(clerk, window, *, case_number="", help_note=""):
    """Call the next number at the window, start and finish it; returns the ticket."""
    ticket = services.call_next(user=clerk, window=window)
    services.ticket_start(user=clerk, window=window, ticket_id=ticket.pk)
    return services.ticket_finish(user=clerk, window=window, ticket_id=ticket.pk, case_number=case_number,
                                  help_note=help_note)


# --- numbers ----------------------------------------------------------------------------------------------------

def test_numbers_run_per_category_per_service_point_per_day(hall):
    from yijianshi.organizations.models import ServicePoint

    assert [take(hall).number for _ in range(3)] == ["A001", "A002", "A003"]
    assert take(hall, "social").number == "C001"
    town = ServicePoint.objects.get(code="town-610830100")
    assert take(town).number == "A001"                      # the town's own count
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        assert take(hall).number == "A001"                  # a new day starts again
    assert QueueTicket.objects.filter(service_point=hall, number="A001").count() == 2


def test_one_cannot_take_a_number_for_a_category_nobody_serves(hall):
    with pytest.raises(InvalidInput) as refused:
        take(hall, "nosuch")
    assert refused.value.field == "category" and "业务类别" in refused.value.message
    with pytest.raises(InvalidInput) as refused:
        take(hall, mobile="1234")
    assert refused.value.field == "mobile" and refused.value.message.startswith("短信提醒手机号")


def test_one_person_holds_at_most_three_numbers_at_a_point(hall, resident):
    for _ in range(3):
        take(hall, user=resident)
    with pytest.raises(Conflict, match="已有 3 个号码"):
        take(hall, "social", user=resident)
    for _ in range(3):
        take(hall, mobile="13700000009")
    with pytest.raises(Conflict):
        take(hall, mobile="13700000009")


# --- green channel and order ------------------------------------------------------------------------------------

def test_a_resident_over_seventy_is_called_before_earlier_ordinary_numbers(hall, window, clerk, resident):
    first = take(hall, id_number=YOUNG_ID)
    second = take(hall)
    aged = take(hall, user=resident)                        # 张桂兰, born 1940: from her account's ID number
    assert aged.priority == QueueTicket.Priority.AGED and aged.priority_rank == 0
    assert selectors.position(aged)["ahead"] == 0 and selectors.position(second)["ahead"] == 2
    a01 = window("A01")
    assert services.call_next(user=clerk, window=a01).pk == aged.pk
    services.ticket_start(user=clerk, window=a01, ticket_id=aged.pk)
    services.ticket_finish(user=clerk, window=a01, ticket_id=aged.pk)
    assert services.call_next(user=clerk, window=a01).pk == first.pk


def test_the_id_number_given_at_the_kiosk_decides_the_age_and_is_not_kept(hall):
    aged = take(hall, id_number=RESIDENT_ID)
    assert aged.priority == QueueTicket.Priority.AGED
    stored = QueueTicket.objects.filter(pk=aged.pk).values().get()
    assert RESIDENT_ID not in str(stored)
    assert not AuditEvent.objects.filter(after__icontains=RESIDENT_ID).exists()
    with pytest.raises(InvalidInput) as refused:
        take(hall, id_number="610830194001010097")
    assert refused.value.field == "id_number" and "校验位" in refused.value.message


def test_the_green_channel_window_calls_green_numbers_of_every_category_first(hall, window, clerk):
    ordinary = take(hall)
    pregnant = take(hall, "social", declared_priority="pregnant")
    veteran = take(hall, "police", declared_priority="veteran")
    green_window = window("A04")
    assert services.call_next(user=clerk, window=green_window).pk == pregnant.pk
    # At a professional window the green number of its own category comes first too.
    assert services.call_next(user=clerk, window=window("D01")).pk == veteran.pk
    services.ticket_start(user=clerk, window=green_window, ticket_id=pregnant.pk)
    services.ticket_finish(user=clerk, window=green_window, ticket_id=pregnant.pk)
    assert services.call_next(user=clerk, window=green_window).pk == ordinary.pk


def test_disability_is_ticked_by_staff_who_saw_the_certificate(hall, window, clerk, town_clerk):
    with pytest.raises(InvalidInput) as refused:
        take(hall, declared_priority="disabled")
    assert refused.value.field == "priority" and "残疾人证" in refused.value.message
    first, disabled = take(hall), take(hall)
    with pytest.raises(NotAllowed):
        services.ticket_mark_priority(user=town_clerk, ticket=disabled, reason="disabled")
    marked = services.ticket_mark_priority(user=clerk, ticket=disabled, reason="disabled")
    assert marked.priority == "disabled" and marked.priority_marked_by == clerk
    assert services.call_next(user=clerk, window=window("A02")).pk == disabled.pk
    assert first.pk != disabled.pk


# --- calling, 过号, transfer ---------------------------------------------------------------------------------------

def test_a_number_not_answering_is_called_once_more_then_skipped(
        hall, window, clerk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        absent, present = take(hall, mobile="13700000001"), take(hall)
        a01 = window("A01")
        assert services.call_next(user=clerk, window=a01).pk == absent.pk
        with pytest.raises(Conflict, match="请先办结、转办或过号当前号码 A001"):
            services.call_next(user=clerk, window=a01)
        recalled = services.ticket_no_show(user=clerk, window=a01, ticket_id=absent.pk)
        assert recalled.status == S.CALLED and recalled.recalls == 1
        assert selectors.screen(hall)["latest"].pk == absent.pk
        skipped = services.ticket_no_show(user=clerk, window=a01, ticket_id=absent.pk)
    assert skipped.status == S.SKIPPED
    assert WindowService.objects.get(ticket=absent).outcome == WindowService.Outcome.NO_SHOW
    assert [e.kind for e in TicketEvent.objects.filter(ticket=absent)] == ["taken", "called", "recalled", "skipped"]
    assert services.call_next(user=clerk, window=a01).pk == present.pk
    # The walk-in heard every step by SMS on the mobile they left: taken, called, recalled, skipped.
    sms = [n for n in Notification.objects.filter(channel="sms", recipient__isnull=True).order_by("pk")
           if n.mobile == "13700000001"]
    assert [n.subject for n in sms] == ["取号成功", "叫号提醒", "重呼提醒", "号码已过号"]
    assert "请 A001 号到 A01 窗口" in sms[1].body


def test_a_transferred_number_keeps_its_place_from_when_it_was_taken(hall, window, clerk):
    wrong = take(hall)                                        # should have been 社保
    social = [take(hall, "social") for _ in range(3)]
    a01, c01 = window("A01"), window("C01")
    services.call_next(user=clerk, window=a01)
    services.ticket_start(user=clerk, window=a01, ticket_id=wrong.pk)
    moved = services.ticket_transfer(user=clerk, window=a01, ticket_id=wrong.pk, category_code="social",
                                     reason="办理失业登记")
    assert moved.status == S.WAITING and moved.number == "A001" and moved.queued_at == wrong.queued_at
    assert selectors.position(moved)["ahead"] == 0
    assert selectors.position(QueueTicket.objects.get(pk=social[0].pk))["ahead"] == 1
    assert services.call_next(user=clerk, window=c01).pk == wrong.pk
    assert list(WindowService.objects.filter(ticket=wrong).values_list("outcome", flat=True)) == [
        WindowService.Outcome.TRANSFERRED, ""]


def test_a_transfer_to_a_named_window_is_called_only_there(hall, window, clerk):
    ticket = take(hall, "social")
    c01 = window("C01")
    services.call_next(user=clerk, window=c01)
    services.ticket_start(user=clerk, window=c01, ticket_id=ticket.pk)
    with pytest.raises(InvalidInput) as refused:
        services.ticket_transfer(user=clerk, window=c01, ticket_id=ticket.pk)
    assert refused.value.field == "category"
    services.ticket_transfer(user=clerk, window=c01, ticket_id=ticket.pk, to_window_id=window("C03").pk)
    assert services.call_next(user=clerk, window=window("C02")) is None
    assert services.call_next(user=clerk, window=window("C03")).pk == ticket.pk


def test_a_clerk_of_another_service_point_cannot_operate_the_county_windows(hall, window, town_clerk, clerk):
    take(hall)
    with pytest.raises(NotAllowed, match="清涧县政务服务中心的窗口工作人员"):
        services.call_next(user=town_clerk, window=window("A01"))
    assert QueueTicket.objects.get().status == S.WAITING
    ticket = services.call_next(user=clerk, window=window("A01"))
    with pytest.raises(NotAllowed):
        services.ticket_start(user=town_clerk, window=window("A01"), ticket_id=ticket.pk)


def test_a_stale_page_cannot_act_on_a_number_that_moved_on(hall, window, clerk):
    ticket = take(hall)
    services.call_next(user=clerk, window=window("A01"))
    with pytest.raises(Conflict, match="刷新"):
        services.ticket_start(user=clerk, window=window("A02"), ticket_id=ticket.pk)
    services.ticket_cancel(token=services.ticket_token(ticket))
    with pytest.raises(Conflict):
        services.ticket_start(user=clerk, window=window("A01"), ticket_id=ticket.pk)


def test_the_resident_can_cancel_while_waiting_but_not_after_the_service(hall, window, clerk):
    waiting = take(hall)
    with pytest.raises(NotAllowed):
        services.ticket_cancel(token=f"{waiting.pk}-{'0' * 24}")
    assert services.ticket_cancel(token=services.ticket_token(waiting)).status == S.CANCELLED
    done = take(hall)
    serve(clerk, window("A01"))
    with pytest.raises(Conflict, match="不能取消"):
        services.ticket_cancel(token=services.ticket_token(done))


def test_the_wait_estimate_comes_from_todays_measured_service_times(hall, window, clerk, settings):
    settings.HALL_DEFAULT_SERVICE_MINUTES = 8
    start = datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)
    with time_machine.travel(start, tick=False) as clock:
        tickets = [take(hall, "police") for _ in range(5)]
        assert selectors.position(tickets[4]) == {"ahead": 4, "minutes": 16}   # 2 windows, 8 minutes assumed
        d01 = window("D01")
        for _ in range(2):                                     # two services of 3 minutes each at D01
            ticket = services.call_next(user=clerk, window=d01)
            services.ticket_start(user=clerk, window=d01, ticket_id=ticket.pk)
            clock.shift(timedelta(minutes=3))
            services.ticket_finish(user=clerk, window=d01, ticket_id=ticket.pk)
        # 2 ahead x 3 minutes, one window staffed today.
        assert selectors.position(QueueTicket.objects.get(pk=tickets[4].pk)) == {"ahead": 2, "minutes": 6}


# --- 帮办代办 -------------------------------------------------------------------------------------------------------

def test_a_help_request_waits_for_the_assisted_window_or_a_helper(
        hall, window, clerk, helper, make_staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        needs = take(hall, needs_help=True, user=None, id_number=RESIDENT_ID)
    other = take(hall)
    assert needs.help_pending and needs.priority == QueueTicket.Priority.AGED
    assert Notification.objects.filter(recipient=helper, subject="新的帮办代办请求").exists()
    assert services.call_next(user=clerk, window=window("A01")).pk == other.pk   # not called by ordinary windows
    with pytest.raises(NotAllowed):
        services.call_next(user=helper, window=window("A02"))                 # helpers only at 帮办代办
    h01 = window("H01")
    assert services.call_next(user=helper, window=h01).pk == needs.pk
    services.ticket_start(user=helper, window=h01, ticket_id=needs.pk)
    with pytest.raises(InvalidInput) as refused:
        services.ticket_finish(user=helper, window=h01, ticket_id=needs.pk)
    assert refused.value.field == "help_note"
    done = services.ticket_finish(user=helper, window=h01, ticket_id=needs.pk, help_note="指导填写申请表并代为网上申报")
    assert done.help_note == "指导填写申请表并代为网上申报"
    assert list(selectors.help_requests(helper)) == [done]
    town_helper = make_staff("town-helper", "helper", service_point="town-610830100")
    assert list(selectors.help_requests(town_helper)) == []


def test_a_helper_accompanies_the_resident_through_the_ordinary_queue(hall, window, clerk, helper):
    needs = take(hall, "social", needs_help=True)
    assert services.call_next(user=clerk, window=window("C01")) is None
    accompanied = services.help_accompany(user=helper, ticket=needs)
    assert accompanied.helper == helper and not accompanied.help_pending
    services.help_record(user=helper, ticket=needs, note="陪同到社保窗口，协助核对参保信息")
    with pytest.raises(NotAllowed):
        services.help_record(user=clerk, ticket=needs, note="窗口人员不是帮办员")
    assert services.call_next(user=clerk, window=window("C01")).pk == needs.pk


# --- rating ------------------------------------------------------------------------------------------------------

def test_a_window_service_is_rated_once_with_its_token(hall, window, clerk):
    ticket = take(hall, "pickup")
    token = services.ticket_token(ticket)
    with pytest.raises(Conflict, match="办结后"):
        services.ticket_rate(token=token, level=5)
    serve(clerk, window("G01"))
    with pytest.raises(NotAllowed):
        services.ticket_rate(token=token[:-1] + ("0" if token[-1] != "0" else "1"), level=5)
    rating = services.ticket_rate(token=token, level=5, comment="很快")
    assert rating.hall_ticket_id == ticket.pk and rating.case is None and rating.rated_by is None
    with pytest.raises(Conflict, match="已经评价过"):
        services.ticket_rate(token=token, level=1, comment="改成差评")
    assert Rating.objects.get(hall_ticket=ticket).level == 5
    assert not RectificationTask.objects.exists()


def test_the_rating_link_expires_three_days_after_the_service(hall, window, clerk):
    ticket = take(hall, "pickup")
    serve(clerk, window("G01"))
    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
        with pytest.raises(Conflict, match="已过期"):
            services.ticket_rate(token=services.ticket_token(ticket), level=4)


def test_a_bad_window_rating_opens_a_rectification_for_the_window_department_and_an_appeal_can_exclude_it(
        hall, window, clerk, make_staff, supervisor, django_capture_on_commit_callbacks):
    zrzyj_leader = make_staff("zrzyj-leader", "department_leader", department="zrzyj")
    zrzyj_officer = make_staff("zrzyj-officer", "department_officer", department="zrzyj")
    spj_leader = make_staff("spj-leader", "department_leader", department="spj")
    ticket = take(hall, "property")
    serve(clerk, window("B01"))
    with pytest.raises(InvalidInput) as refused:
        services.ticket_rate(token=services.ticket_token(ticket), level=1)
    assert refused.value.field == "comment"
    with django_capture_on_commit_callbacks(execute=True):
        rating = services.ticket_rate(token=services.ticket_token(ticket), level=1, comment="一群废物")
    rectification = RectificationTask.objects.get(rating=rating)
    assert rectification.department.code == "zrzyj" and rectification.status == RectificationTask.Status.OPEN
    assert rectification.due_date == workdays.add_working_days(timezone.localdate(), 15)
    told = Notification.objects.get(recipient=zrzyj_leader, channel="site", subject="差评整改")
    assert "B01 窗口（B001）" in told.body
    # The rectification shows on the department's task list, like a case's.
    from yijianshi.cases.selectors import rectifications_for

    assert list(rectifications_for(zrzyj_officer)) == [rectification]
    assert list(rectifications_for(spj_leader)) == []

    with pytest.raises(NotAllowed):
        cases.rating_appeal(user=spj_leader, rating=rating, reason="评价含辱骂内容，与窗口服务无关")
    with pytest.raises(NotAllowed):
        cases.rating_appeal(user=zrzyj_officer, rating=rating, reason="评价含辱骂内容，与窗口服务无关")
    cases.rating_appeal(user=zrzyj_leader, rating=rating, reason="评价含辱骂内容，与窗口服务无关，当场已办结")
    assert selectors.figures(start=ticket.day, end=ticket.day)["windows"][0]["rated"] == 1
    decided = cases.rating_appeal_decide(user=supervisor, rating=rating, exclude=True, reason="含辱骂，不计入")
    assert decided.appeal_decision == "excluded"
    assert RectificationTask.objects.get(pk=rectification.pk).status == RectificationTask.Status.DONE
    figures = selectors.figures(start=ticket.day, end=ticket.day)
    b01 = next(row for row in figures["windows"] if row["window"].number == "B01")
    assert b01["rated"] == 0 and b01["excluded"] == 1 and figures["satisfaction"] is None
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds[-2:] == ["rating_appealed", "rating_appeal_decided"]
    assert AuditEvent.objects.filter(action="hall.rating_appeal_decide").count() == 1


def test_the_department_closes_a_window_rectification_with_its_call_back(hall, window, clerk, make_staff):
    officer = make_staff("swj-officer", "department_officer", department="swj")
    ticket = take(hall, "property")
    b03 = window("B03")
    services.call_next(user=clerk, window=b03)
    services.ticket_start(user=clerk, window=b03, ticket_id=ticket.pk)
    services.ticket_finish(user=clerk, window=b03, ticket_id=ticket.pk)
    rating = services.ticket_rate(token=services.ticket_token(ticket), level=2, comment="让我跑了两趟")
    rectification = rating.rectifications.get()
    assert rectification.department.code == "swj"
    cases.rectification_close(user=officer, rectification=rectification,
                              response="已将契税材料清单张贴在窗口，次日电话回访，群众表示认可")
    assert TicketEvent.objects.filter(ticket=ticket, kind="rectified").exists()
    assert AuditEvent.objects.filter(action="hall.rectification_close").exists()


def test_a_rating_belongs_to_exactly_one_case_or_window_service(hall, resident):
    for kwargs in ({}, {"case_id": 1, "hall_ticket_id": 1}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Rating.objects.create(level=5, rated_by=resident, **kwargs)


def test_the_case_served_at_the_window_is_linked(hall, window, clerk, resident, settings, tmp_path):
    from tests.cases.factories import key, submission_for
    from yijianshi.accounts.services import acting_context

    settings.UPLOAD_ROOT = tmp_path
    case, _ = cases.case_submit(context=acting_context(resident), idempotency_key=key(),
                                submission=submission_for("newborn", owner=resident))
    ticket = take(hall)
    a01 = window("A01")
    services.call_next(user=clerk, window=a01)
    services.ticket_start(user=clerk, window=a01, ticket_id=ticket.pk)
    with pytest.raises(InvalidInput) as refused:
        services.ticket_finish(user=clerk, window=a01, ticket_id=ticket.pk, case_number="QJ20000101000001")
    assert refused.value.field == "case_number"
    done = services.ticket_finish(user=clerk, window=a01, ticket_id=ticket.pk, case_number=case.number.lower())
    assert done.case == case


# --- figures and end of day ---------------------------------------------------------------------------------------

def test_the_supervisors_figures(hall, window, clerk):
    start = datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)
    with time_machine.travel(start, tick=False) as clock:
        a, b, c = take(hall), take(hall, declared_priority="veteran"), take(hall)
        clock.shift(timedelta(minutes=10))
        a01 = window("A01")
        first = services.call_next(user=clerk, window=a01)           # b, the veteran, after 10 minutes
        services.ticket_start(user=clerk, window=a01, ticket_id=first.pk)
        clock.shift(timedelta(minutes=4))
        services.ticket_finish(user=clerk, window=a01, ticket_id=first.pk)
        services.ticket_rate(token=services.ticket_token(first), level=4)
        clock.shift(timedelta(minutes=6))
        second = services.call_next(user=clerk, window=a01)          # a, after 20 minutes
        services.ticket_no_show(user=clerk, window=a01, ticket_id=second.pk)
        services.ticket_no_show(user=clerk, window=a01, ticket_id=second.pk)
        figures = selectors.figures(start=start.date(), end=start.date())
    assert (first.pk, second.pk) == (b.pk, a.pk)
    assert figures["taken"] == 3 and figures["served"] == 1 and figures["no_shows"] == 1 and figures["waiting"] == 1
    assert figures["mean_wait"] == 15.0 and figures["max_wait"] == 20.0
    assert figures["green"] == 1 and figures["green_share"] == 33.3
    row = figures["windows"][0]
    assert row["window"].number == "A01" and row["served"] == 1 and row["no_show"] == 1 and row["mean_minutes"] == 4.0
    assert row["satisfaction"] == 100.0 and row["levels"] == [0, 1, 0, 0, 0]
    assert c.status == S.WAITING


def test_numbers_left_open_at_night_are_ended(hall, window, clerk):
    serving, waiting = take(hall), take(hall)
    a01 = window("A01")
    services.call_next(user=clerk, window=a01)
    services.ticket_start(user=clerk, window=a01, ticket_id=serving.pk)
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        assert services.day_close() == {"cancelled": 1, "done": 1}
        assert services.day_close() == {"cancelled": 0, "done": 0}
    assert QueueTicket.objects.get(pk=serving.pk).status == S.DONE
    assert QueueTicket.objects.get(pk=waiting.pk).status == S.CANCELLED
    assert services.call_next(user=clerk, window=a01) is None
