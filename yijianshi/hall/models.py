"""政务服务大厅: the windows of each service point, the business categories a resident takes a number for, the
queue tickets (取号) with their timeline, and one record per turn at a window (叫号 to 办结, 转办 or 过号).

Windows and categories are reviewable data (data/hall/windows.yaml, `manage.py load_hall`). Ticket states change
only in services.py, through TICKET_TRANSITIONS. A finished ticket is rated with cases.Rating (好差评), which
points back here through Rating.hall_ticket.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from yijianshi.privacy.fields import EncryptedTextField


class Category(models.Model):
    """A business category residents take a number for (综合受理, 不动产登记 ...); its letter starts the number."""

    service_point = models.ForeignKey("organizations.ServicePoint", on_delete=models.PROTECT,
                                      related_name="hall_categories", verbose_name="服务网点")
    code = models.SlugField("编码", max_length=32)
    prefix = models.CharField("号码字头", max_length=1)
    name = models.CharField("名称", max_length=40)
    description = models.CharField("说明", max_length=200, blank=True)
    bundles = models.ManyToManyField("catalog.Bundle", blank=True, related_name="+", verbose_name="对应的一件事")
    position = models.PositiveSmallIntegerField("排序", default=0)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "取号业务类别"
        ordering = ["service_point", "position", "prefix"]
        constraints = [
            models.UniqueConstraint(fields=["service_point", "code"], name="hall_category_code_unique"),
            models.UniqueConstraint(fields=["service_point", "prefix"], name="hall_category_prefix_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix} {self.name}"


class Window(models.Model):
    """A window of a hall. `department` answers for its service (ratings, 差评整改); `departments` are the units
    whose business it takes in (进驻部门)."""

    class Kind(models.TextChoices):
        INTAKE = "intake", "综合受理窗口"
        SPECIALIST = "specialist", "专业窗口"
        DELIVERY = "delivery", "综合出件窗口"
        ASSISTED = "assisted", "帮办代办窗口"
        GREEN = "green", "绿色通道窗口"

    service_point = models.ForeignKey("organizations.ServicePoint", on_delete=models.PROTECT,
                                      related_name="hall_windows", verbose_name="服务网点")
    number = models.CharField("窗口号", max_length=8)
    name = models.CharField("名称", max_length=40)
    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    department = models.ForeignKey("organizations.Department", on_delete=models.PROTECT, related_name="+",
                                   verbose_name="责任部门")
    departments = models.ManyToManyField("organizations.Department", blank=True, related_name="hall_windows",
                                         verbose_name="进驻部门")
    categories = models.ManyToManyField(Category, blank=True, related_name="windows", verbose_name="办理的业务类别")
    position = models.PositiveSmallIntegerField("排序", default=0)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "窗口"
        ordering = ["service_point", "position", "number"]
        constraints = [models.UniqueConstraint(fields=["service_point", "number"], name="hall_window_number_unique")]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class QueueTicket(models.Model):
    """取号: one visit of one resident, from taking a number to the end of the service."""

    class Status(models.TextChoices):
        WAITING = "waiting", "等候中"
        CALLED = "called", "已叫号"
        SERVING = "serving", "办理中"
        DONE = "done", "已办结"
        SKIPPED = "skipped", "过号"
        CANCELLED = "cancelled", "已取消"

    class Priority(models.TextChoices):
        NONE = "", "无"
        AGED = "aged", "70 岁以上老年人"
        DISABLED = "disabled", "残疾人"
        PREGNANT = "pregnant", "孕妇"
        VETERAN = "veteran", "退役军人及优抚对象"

    class Channel(models.TextChoices):
        KIOSK = "kiosk", "大厅取号机"
        ONLINE = "online", "手机取号"

    service_point = models.ForeignKey("organizations.ServicePoint", on_delete=models.PROTECT, related_name="+",
                                      verbose_name="服务网点")
    day = models.DateField("日期")
    number = models.CharField("号码", max_length=8)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="tickets", verbose_name="业务类别")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.WAITING)
    channel = models.CharField("取号方式", max_length=8, choices=Channel.choices, default=Channel.KIOSK)
    # 绿色通道: rank 0 is called before rank 1. Kept next to the reason so the queue orders on an index.
    priority = models.CharField("绿色通道", max_length=10, choices=Priority.choices, blank=True, default="")
    priority_rank = models.PositiveSmallIntegerField(default=1)
    priority_marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                           related_name="+", verbose_name="登记绿色通道的工作人员")
    # 帮办代办: asked for at the kiosk; while help_pending the ticket waits for the 帮办代办 window or a helper.
    needs_help = models.BooleanField("需要帮办代办", default=False)
    help_pending = models.BooleanField(default=False)
    helper = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", verbose_name="陪同帮办员")
    help_note = models.TextField("帮办内容", blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="queue_tickets", verbose_name="取号人账号")
    mobile = EncryptedTextField("短信提醒手机号", blank=True)
    mobile_index = models.CharField(max_length=64, blank=True, editable=False)
    taken_at = models.DateTimeField("取号时间", default=timezone.now)
    # The place in the queue: the time the number was taken, kept through a transfer (转办不重新排队).
    queued_at = models.DateTimeField("排队时间", default=timezone.now)
    window = models.ForeignKey(Window, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name="当前窗口")
    target_window = models.ForeignKey(Window, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                      verbose_name="转办至窗口")
    recalls = models.PositiveSmallIntegerField("重呼次数", default=0)
    first_called_at = models.DateTimeField("首次叫号时间", null=True, blank=True)
    called_at = models.DateTimeField("叫号时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name="关联办件")

    class Meta:
        verbose_name = verbose_name_plural = "取号"
        ordering = ["-taken_at"]
        constraints = [models.UniqueConstraint(fields=["service_point", "day", "number"],
                                               name="hall_ticket_number_unique")]
        indexes = [
            # The call-next query: today's waiting tickets of a point, green channel first, then first come.
            models.Index(fields=["service_point", "day", "status", "priority_rank", "queued_at"],
                         name="hall_ticket_queue"),
            models.Index(fields=["user", "-taken_at"], name="hall_ticket_user"),
            # How many numbers a walk-in's mobile holds today (the limit per person), without scanning the queue.
            models.Index(fields=["mobile_index", "day"], name="hall_ticket_mobile",
                         condition=~models.Q(mobile_index="")),
        ]

    def __str__(self) -> str:
        return f"{self.number}（{self.day:%m-%d}）"

    @property
    def is_priority(self) -> bool:
        return bool(self.priority)


class WindowService(models.Model):
    """One turn of a ticket at a window: called, served, and how it ended. Service times for the wait estimate and
    the figures per window come from here."""

    class Outcome(models.TextChoices):
        OPEN = "", "进行中"
        SERVED = "served", "办结"
        TRANSFERRED = "transferred", "转办"
        NO_SHOW = "no_show", "过号"
        CANCELLED = "cancelled", "群众取消"

    ticket = models.ForeignKey(QueueTicket, on_delete=models.CASCADE, related_name="services")
    window = models.ForeignKey(Window, on_delete=models.PROTECT, related_name="services")
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name="窗口工作人员")
    called_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True, default="")

    class Meta:
        ordering = ["called_at", "pk"]
        indexes = [models.Index(fields=["window", "called_at"], name="hall_service_window")]


class TicketEvent(models.Model):
    """The ticket's timeline, appended to and never edited; internal events are for staff only."""

    ticket = models.ForeignKey(QueueTicket, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    kind = models.CharField(max_length=40)
    message = models.TextField()
    internal = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "pk"]


class NumberCounter(models.Model):
    """The day's last serial per service point and number letter ("<point id>:<letter>:<date>"), locked while a
    number is taken."""

    key = models.CharField(max_length=40, primary_key=True)
    last = models.PositiveIntegerField(default=0)
