"""12345 工单: what a caller asked, who handles it, every step of the closed loop, and how the caller rated it.
State changes happen only in services.py through TICKET_TRANSITIONS."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from yijianshi.privacy import masking
from yijianshi.privacy.fields import EncryptedTextField


class Ticket(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", "已受理"
        TO_SUPERVISOR = "to_supervisor", "待监督员交办"  # 办不成事: a supervisor assigns it, not an operator
        DISPATCHED = "dispatched", "已分拨"
        RETURNED = "returned", "已退单"
        IN_PROGRESS = "in_progress", "办理中"
        REPLIED = "replied", "已答复"
        REOPEN_REQUESTED = "reopen_requested", "不满意待复核"
        CLOSED = "closed", "已办结"
        MERGED = "merged", "已并单"

    class Channel(models.TextChoices):
        PHONE = "phone", "电话"
        WEB = "web", "网上留言"
        OPEN311 = "open311", "对接系统（Open311）"

    class Kind(models.TextChoices):
        COMPLAINT = "complaint", "投诉"
        REQUEST = "request", "求助"
        CONSULTATION = "consultation", "咨询"
        SUGGESTION = "suggestion", "建议"
        PRAISE = "praise", "表扬"
        SERVICE_FAILURE = "service_failure", "办不成事"

    class Urgency(models.TextChoices):
        NORMAL = "normal", "一般"
        URGENT = "urgent", "紧急"

    number = models.CharField("工单编号", max_length=20, unique=True)
    channel = models.CharField("来源渠道", max_length=10, choices=Channel.choices)
    kind = models.CharField("诉求类型", max_length=16, choices=Kind.choices)
    urgency = models.CharField("紧急程度", max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    category = models.CharField("诉求分类", max_length=60, blank=True)
    content = models.TextField("诉求内容")
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    # The caller: a registered person when known; a name and number typed by the operator otherwise.
    caller = models.ForeignKey("accounts.Party", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="tickets", verbose_name="诉求人")
    caller_name = models.CharField("诉求人称呼", max_length=30, blank=True)
    caller_mobile = EncryptedTextField("联系电话", blank=True)
    caller_mobile_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    wants_reply = models.BooleanField("需要答复", default=True)
    town = models.ForeignKey("organizations.Town", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+", verbose_name="所在镇")
    address = models.CharField("具体位置", max_length=200, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    lead_department = models.ForeignKey("organizations.Department", null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="lead_tickets", verbose_name="主办单位")
    co_departments = models.ManyToManyField("organizations.Department", blank=True, related_name="co_tickets",
                                            verbose_name="协办单位")
    service_point = models.ForeignKey("organizations.ServicePoint", null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+", verbose_name="属地便民服务中心")
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="merged_tickets", verbose_name="并入工单")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name="受理人")
    created_at = models.DateTimeField("受理时间", default=timezone.now, db_index=True)
    dispatched_at = models.DateTimeField("分拨时间", null=True, blank=True)
    due_at = models.DateTimeField("办理时限", null=True, blank=True, db_index=True)
    # The rule the due date was set by (e.g. “投诉·一般 5 个工作日”), as it read then: a later edit of
    # data/hotline/time_limits.yaml does not change an existing ticket's limit. Blank on tickets from before.
    time_limit_rule = models.CharField("时限依据", max_length=60, blank=True)
    extended = models.BooleanField("已延期", default=False)
    alert_level = models.CharField("预警", max_length=8, blank=True)
    reply = models.TextField("答复内容", blank=True)
    replied_at = models.DateTimeField("答复时间", null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField("重办次数", default=0)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    close_reason = models.CharField("办结说明", max_length=300, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "12345 工单"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["lead_department", "status", "due_at"])]

    def __str__(self) -> str:
        return self.number

    @property
    def masked_caller(self) -> str:
        return masking.mask_name(self.caller_name) or "匿名"


class TicketEvent(models.Model):
    """The ticket's timeline: every step of the loop, appended, never edited."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    kind = models.CharField(max_length=30)
    message = models.TextField()
    internal = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "pk"]


class DispatchDecision(models.Model):
    """What the classifier suggested and where the operator sent the ticket: the next retrain's training data."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="dispatch_decisions")
    text = models.TextField()
    suggested = models.JSONField(default=list)  # [[department code, score], ...]
    department = models.ForeignKey("organizations.Department", on_delete=models.PROTECT, related_name="+")
    accepted_suggestion = models.BooleanField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)
    # A department's 退单 marks the decision wrong, so it does not teach the model the mistake.
    returned = models.BooleanField(default=False)


class TicketPhoto(models.Model):
    """A photo the caller attached (a broken road, a leaking pipe), stored like any material, never public."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="photos")
    file = models.ForeignKey("cases.StoredFile", on_delete=models.PROTECT, related_name="+")


class TicketRating(models.Model):
    """The caller's rating after the reply (five national levels); every rating is kept, reopenings included."""

    class AppealDecision(models.TextChoices):
        EXCLUDED = "excluded", "申诉成立，不计入评价"
        UPHELD = "upheld", "申诉不成立"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="ratings")
    level = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    rated_at = models.DateTimeField(default=timezone.now)
    # The lead department's leader may appeal an abusive review; a supervisor decides. An excluded review stays
    # on record but no longer counts in the department's satisfaction (as cases.Rating does for cases).
    appeal_reason = models.TextField("申诉理由", blank=True)
    appealed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    appealed_at = models.DateTimeField(null=True, blank=True)
    appeal_decision = models.CharField("申诉结果", max_length=10, blank=True, choices=AppealDecision.choices)
    appeal_decision_reason = models.TextField("复核意见", blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["rated_at", "pk"]

    @property
    def label(self) -> str:
        return RATING_LABELS.get(self.level, "")

    @property
    def counts(self) -> bool:
        return self.appeal_decision != self.AppealDecision.EXCLUDED

    @property
    def appeal_pending(self) -> bool:
        return self.appealed_at is not None and not self.appeal_decision


RATING_LABELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}


class CoHandling(models.Model):
    """A co-handling department's part of a ticket (协办): its opinions go on the timeline; the lead department
    replies only when every part is done or a supervisor waived it."""

    class Status(models.TextChoices):
        PENDING = "pending", "协办中"
        DONE = "done", "已完成"
        WAIVED = "waived", "监督员免于协办"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="co_handlings")
    department = models.ForeignKey("organizations.Department", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    opinion = models.TextField("协办意见", blank=True)  # the latest; every one is also on the timeline
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    done_at = models.DateTimeField(null=True, blank=True)
    waive_reason = models.CharField("免于协办理由", max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "department"], name="one_co_handling_per_department")]
        ordering = ["pk"]


class TicketNumberCounter(models.Model):
    """Per-day counter for 工单编号 (RX + date + serial); locked while a number is taken."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)
