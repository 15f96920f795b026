"""免申即享 / 即申即享: policies as versioned data, the subjects they match, and what the department pays out.

A policy (its code, department and target) has versions; a version's content (title, legal basis, benefit, mode,
effective period, parameters and rule) is the YAML/JSON record the domain engine parses. A published version is
frozen: only its status may still change (published → withdrawn when a newer version is published or it is
withdrawn). Every match records the version it was computed with, and its trace as the subject was shown it.

State machines (one transition table each, in services.py): Match matched → confirmed / declined / applied;
Grant queued → paying → paid, or refused with a reason. Each move appends an event row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from yijianshi.accounts.models import Party


class FrozenVersionError(Exception):
    """Raised when something tries to change a published (or withdrawn) version's content."""


class Policy(models.Model):
    TARGETS = [("person", "个人"), ("enterprise", "企业")]

    code = models.SlugField("编码", max_length=64, unique=True)
    department = models.ForeignKey("organizations.Department", on_delete=models.PROTECT, related_name="+",
                                   verbose_name="经办部门")
    target = models.CharField("对象", max_length=10, choices=TARGETS)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "惠企利民政策"

    def __str__(self) -> str:
        return self.code


class PolicyVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        PUBLISHED = "published", "已发布"
        WITHDRAWN = "withdrawn", "已撤回"

    class Mode(models.TextChoices):
        NO_APPLICATION = "no_application", "免申即享"
        PREFILLED_APPLICATION = "prefilled_application", "即申即享"

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField("版本")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    content = models.JSONField("政策内容（含资格规则）")
    content_hash = models.CharField("内容摘要", max_length=64)
    # Copied out of the content for listing and filtering; the content stays the authority.
    title = models.CharField("政策名称", max_length=200)
    mode = models.CharField("享受方式", max_length=24, choices=Mode.choices)
    effective_from = models.DateField("施行日期")
    effective_to = models.DateField("截止日期", null=True, blank=True)
    needs_confirmation = models.BooleanField("待部门确认", default=False)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")

    class Meta:
        ordering = ["policy__code", "-version"]
        verbose_name = verbose_name_plural = "政策版本"
        constraints = [
            models.UniqueConstraint(fields=["policy", "version"], name="policy_version_unique"),
            models.UniqueConstraint(fields=["policy"], condition=models.Q(status="published"),
                                    name="policy_single_published"),
        ]

    def __str__(self) -> str:
        return f"{self.title}（第{self.version}版）"

    FROZEN_FIELDS = ("content", "content_hash", "title", "mode", "effective_from", "effective_to",
                     "needs_confirmation", "policy_id", "version")

    def save(self, *args, **kwargs):
        if not self._state.adding:
            stored = PolicyVersion.objects.filter(pk=self.pk).values(*self.FROZEN_FIELDS, "status").first()
            if stored and stored["status"] != self.Status.DRAFT and any(
                    stored[f] != getattr(self, f) for f in self.FROZEN_FIELDS):
                raise FrozenVersionError("已发布的政策版本不能修改；请新建版本")
        super().save(*args, **kwargs)


class MatchingPreference(models.Model):
    """A subject's choice about proactive matching (主动匹配). No row: matched (the default)."""

    party = models.OneToOneField(Party, on_delete=models.PROTECT, primary_key=True, related_name="+")
    opted_out = models.BooleanField("不接收主动匹配", default=False)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")


class MatchRun(models.Model):
    """One batch: when, on which evaluation date, how many subjects it looked at and how many matches it found."""

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    on = models.DateField("评估日期")
    trigger = models.CharField("触发方式", max_length=20)
    subjects = models.PositiveIntegerField(default=0)
    policies = models.PositiveIntegerField(default=0)
    matches_found = models.PositiveIntegerField(default=0)
    matches_created = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]


class Match(models.Model):
    class Status(models.TextChoices):
        MATCHED = "matched", "待您确认"
        CONFIRMED = "confirmed", "已确认享受"
        DECLINED = "declined", "已放弃"
        APPLIED = "applied", "已提交申请"

    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="policy_matches", verbose_name="主体")
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="matches")
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="matches",
                                verbose_name="匹配所用版本")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.MATCHED)
    on = models.DateField("评估日期")
    trace = models.JSONField("匹配理由", default=list)        # the interpreter's steps, as shown to the subject
    benefit_text = models.CharField("享受内容", max_length=300)
    amount = models.DecimalField("金额", max_digits=12, decimal_places=2, null=True, blank=True)
    run = models.ForeignKey(MatchRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    application = models.JSONField("申请内容", default=dict, blank=True)  # 即申即享: element code -> value
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = verbose_name_plural = "政策匹配"
        # One match per subject and policy: a re-run, or a new version of the rule, adds none.
        constraints = [models.UniqueConstraint(fields=["party", "policy"], name="policy_match_unique")]


class MatchEvent(models.Model):
    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]


class Grant(models.Model):
    """What the department pays out (or hands over) for a confirmed match or a submitted application."""

    class Status(models.TextChoices):
        QUEUED = "queued", "待发放"
        PAYING = "paying", "发放中"
        PAID = "paid", "已发放"
        REFUSED = "refused", "不予发放"

    match = models.OneToOneField(Match, on_delete=models.PROTECT, related_name="grant")
    department = models.ForeignKey("organizations.Department", on_delete=models.PROTECT, related_name="+",
                                   verbose_name="经办部门")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    amount = models.DecimalField("金额", max_digits=12, decimal_places=2, null=True, blank=True)
    due_date = models.DateField("发放期限")
    reason = models.TextField("不予发放理由", blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = verbose_name_plural = "待发放"


class GrantEvent(models.Model):
    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
