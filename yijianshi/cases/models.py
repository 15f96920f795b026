"""办件: one application for a bundle, its department tasks, materials, clock pauses, notices, commitments,
timeline and rating. State changes happen only in services.py, through the transition tables there."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from yijianshi.privacy.fields import EncryptedTextField


class Case(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", "待预审"
        CORRECTION_REQUESTED = "correction_requested", "待补正"
        ACCEPTED = "accepted", "办理中"
        COMPLETED = "completed", "已办结"
        DELIVERED = "delivered", "已出件"
        REFUSED = "refused", "不予受理"
        WITHDRAWN = "withdrawn", "已撤回"

    class Channel(models.TextChoices):
        ONLINE = "online", "网上申请"
        WINDOW = "window", "综合窗口"
        AGENT = "agent", "代办"

    class Delivery(models.TextChoices):
        DOWNLOAD = "download", "在个人空间下载电子结果"
        PICKUP = "pickup", "窗口领取"
        POST = "post", "邮寄送达"

    number = models.CharField("办件编号", max_length=20, unique=True)
    bundle = models.ForeignKey("catalog.Bundle", on_delete=models.PROTECT, related_name="cases", verbose_name="一件事")
    applicant = models.ForeignKey("accounts.Party", on_delete=models.PROTECT, related_name="cases",
                                  verbose_name="申请人")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name="提交人")
    mandate = models.ForeignKey("accounts.Mandate", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+", verbose_name="代办依据")
    channel = models.CharField("申请渠道", max_length=10, choices=Channel.choices)
    status = models.CharField("状态", max_length=24, choices=Status.choices, default=Status.SUBMITTED,
                              db_index=True)
    answers = models.JSONField("情形引导答案", default=dict)
    situation = models.JSONField("适用事项及理由", default=dict)
    # The merged form holds other people's ID numbers (a child's, a buyer's): encrypted as a whole.
    form_data = EncryptedTextField("申请表（加密）", default="{}")
    idempotency_key = models.CharField(max_length=80)
    delivery_method = models.CharField("出件方式", max_length=10, choices=Delivery.choices,
                                       default=Delivery.DOWNLOAD)
    delivery_address = EncryptedTextField("邮寄地址", blank=True)
    pickup_point = models.ForeignKey("organizations.ServicePoint", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name="领取网点")
    promised_days = models.PositiveSmallIntegerField("承诺时限（工作日）", default=0)
    legal_days = models.PositiveSmallIntegerField("法定时限（工作日）", default=0)
    submitted_at = models.DateTimeField("提交时间", default=timezone.now, db_index=True)
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    accepted_on = models.DateField("受理日", null=True, blank=True)
    due_date = models.DateField("承诺办结日", null=True, blank=True, db_index=True)
    legal_due_date = models.DateField("法定办结日", null=True, blank=True)
    alert_level = models.CharField("预警", max_length=8, default="", blank=True)
    completed_at = models.DateTimeField("办结时间", null=True, blank=True)
    delivered_at = models.DateTimeField("出件时间", null=True, blank=True)
    # 企业开办: the enterprise registered when the bundle's establishing item was approved.
    established_enterprise = models.ForeignKey("accounts.Enterprise", null=True, blank=True, on_delete=models.PROTECT,
                                               related_name="+", verbose_name="设立的企业")
    # 免提交: materials taken from the certificate library instead of being asked for (a figure the plan counts).
    materials_exempted = models.PositiveSmallIntegerField("免提交材料数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "办件"
        ordering = ["-submitted_at"]
        constraints = [models.UniqueConstraint(fields=["submitted_by", "idempotency_key"],
                                               name="case_idempotency_key_unique")]
        indexes = [models.Index(fields=["applicant", "-submitted_at"])]

    def __str__(self) -> str:
        return f"{self.number} {self.bundle.name}"


class CaseNumberCounter(models.Model):
    """Per-day counter for 办件编号 (QJ + date + serial); locked while a number is taken."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)


class Task(models.Model):
    """One sub-item of the case, worked by its department."""

    class Status(models.TextChoices):
        WAITING = "waiting", "等待前置事项"
        READY = "ready", "待办理"
        CLAIMED = "claimed", "办理中"
        RETURNED = "returned", "退回补正"
        APPROVED = "approved", "已办结"
        REFUSED = "refused", "不予许可"
        CANCELLED = "cancelled", "已取消"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    bundle_item = models.ForeignKey("catalog.BundleItem", on_delete=models.PROTECT, related_name="+")
    item_version = models.ForeignKey("catalog.ServiceItemVersion", on_delete=models.PROTECT, related_name="+",
                                     verbose_name="事项版本")
    department = models.ForeignKey("organizations.Department", on_delete=models.PROTECT, related_name="tasks",
                                   verbose_name="承办部门")
    prerequisites = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="dependants")
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.WAITING, db_index=True)
    claimed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name="经办人")
    started_on = models.DateField("开始日", null=True, blank=True)
    promised_days = models.PositiveSmallIntegerField("承诺时限（工作日）", default=0)
    extension_days = models.PositiveSmallIntegerField("延长（工作日）", default=0)
    due_date = models.DateField("承诺办结日", null=True, blank=True, db_index=True)
    alert_level = models.CharField("预警", max_length=8, default="", blank=True)
    opinion = models.TextField("办理意见", blank=True)
    result = models.JSONField("办理结果", default=dict, blank=True)
    output_data = models.JSONField("传递给后续事项的数据", default=dict, blank=True)
    result_revoked = models.BooleanField("结果已撤销", default=False)
    completed_at = models.DateTimeField("办结时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "部门任务"
        ordering = ["case", "bundle_item__position"]
        # The department queue: its tasks in a status, soonest deadline first (flat at a million cases).
        indexes = [models.Index(fields=["department", "status", "due_date", "id"])]

    def __str__(self) -> str:
        return f"{self.case.number} {self.item_version.name}"


class StoredFile(models.Model):
    """An uploaded file, stored once by its SHA-256 outside the web root; one file serves every item needing it."""

    sha256 = models.CharField(max_length=64, unique=True)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=60)
    uploaded_at = models.DateTimeField(default=timezone.now)


class FileUpload(models.Model):
    """Who uploaded which stored file. The bytes are shared, the right to use them is not: an application may
    only attach files its submitter uploaded, so a guessed file id never exposes someone else's document."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    file = models.ForeignKey(StoredFile, on_delete=models.CASCADE, related_name="uploads")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "file"], name="file_upload_unique")]


class CaseMaterial(models.Model):
    class Status(models.TextChoices):
        PROVIDED = "provided", "已提交"
        DEFERRED = "deferred", "容缺后补"
        REJECTED = "rejected", "需补正"
        EXEMPTED = "exempted", "免提交（电子证照）"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials")
    material = models.ForeignKey("catalog.Material", on_delete=models.PROTECT, related_name="+")
    file = models.ForeignKey(StoredFile, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField("文件名", max_length=200, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PROVIDED)
    note = models.CharField("说明", max_length=300, blank=True)
    # The valid e-certificate on file that stands in for the material (免提交), read from the certificate library.
    certificate = models.ForeignKey("certificates.Certificate", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name="电子证照")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "material"], name="case_material_unique")]


class ClockPause(models.Model):
    """The deadline clock stops while the case waits for the applicant (一次告知, a task returned)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="pauses")
    paused_on = models.DateField()
    resumed_on = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=200)


class CorrectionNotice(models.Model):
    """一次性告知书: everything missing or wrong, at once."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notices")
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    problems = models.JSONField("问题清单")  # [{"target": "material:<code>" | "field:<element>", "message": ...}]
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)


class Commitment(models.Model):
    """告知承诺 or 容缺受理: what the applicant promised, by when, and whether it was kept."""

    class Kind(models.TextChoices):
        DEFICIENCY = "deficiency", "容缺受理"
        COMMITMENT = "commitment", "告知承诺"

    class Status(models.TextChoices):
        PENDING = "pending", "待履行"
        FULFILLED = "fulfilled", "已履行"
        BREACHED = "breached", "未履行"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="commitments")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    materials = models.JSONField("后补材料", default=list)
    items = models.JSONField("承诺事项", default=list)
    letter = models.TextField("承诺书")
    signed_at = models.DateTimeField()
    due_date = models.DateField("履行期限")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_note = models.TextField(blank=True)


class CreditRecord(models.Model):
    """A breached commitment, recorded against the applicant (信用记录)."""

    party = models.ForeignKey("accounts.Party", on_delete=models.PROTECT, related_name="credit_records")
    commitment = models.OneToOneField(Commitment, on_delete=models.PROTECT, related_name="credit_record")
    recorded_at = models.DateTimeField(default=timezone.now)
    description = models.TextField()


class CaseEvent(models.Model):
    """The case's timeline, appended to and never edited. Internal notes are for staff only."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    kind = models.CharField(max_length=40)
    message = models.TextField()
    internal = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "pk"]


class Rating(models.Model):
    """好差评 with the national five levels, of a completed case or of a service at a hall window (hall.QueueTicket);
    exactly one of the two. Appeals and rectifications work the same for both."""

    class Level(models.IntegerChoices):
        VERY_SATISFIED = 5, "非常满意"
        SATISFIED = 4, "满意"
        BASICALLY_SATISFIED = 3, "基本满意"
        DISSATISFIED = 2, "不满意"
        VERY_DISSATISFIED = 1, "非常不满意"

    case = models.OneToOneField(Case, null=True, blank=True, on_delete=models.CASCADE, related_name="rating")
    hall_ticket = models.OneToOneField("hall.QueueTicket", null=True, blank=True, on_delete=models.CASCADE,
                                       related_name="rating", verbose_name="窗口服务")
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    comment = models.TextField(blank=True)
    # A walk-in rates a window service through the link on their ticket, without an account.
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    rated_at = models.DateTimeField(default=timezone.now)
    # A department may appeal an abusive review; a supervisor decides. Excluded reviews stay on record but do
    # not count in the department's figures and close its rectification.
    appeal_reason = models.TextField("申诉理由", blank=True)
    appealed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    appealed_at = models.DateTimeField(null=True, blank=True)
    appeal_decision = models.CharField("申诉结果", max_length=10, blank=True,
                                       choices=[("excluded", "申诉成立，不计入评价"), ("upheld", "申诉不成立")])
    appeal_decision_reason = models.TextField("复核意见", blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        constraints = [models.CheckConstraint(
            name="rating_of_a_case_or_a_window_service",
            condition=(models.Q(case__isnull=False, hall_ticket__isnull=True)
                       | models.Q(case__isnull=True, hall_ticket__isnull=False)))]


class RectificationTask(models.Model):
    """差评整改: a bad rating becomes work for the responsible department, with a deadline."""

    class Status(models.TextChoices):
        OPEN = "open", "待整改"
        DONE = "done", "已整改"

    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="rectifications")
    department = models.ForeignKey("organizations.Department", on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    response = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
