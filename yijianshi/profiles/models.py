"""一人一档 / 一企一档: what the authoritative departments know about a person or an enterprise, as facts that are
only ever appended, plus the family relations between persons; the bulk feeds departments deliver; and the sharing
catalogue (共享责任清单) saying which department may read which data elements, for which purpose, on which legal basis.

A fact's value is JSON, encrypted at rest. The current value of an element is the fact with the latest effective
date (the later recorded one on the same date); every earlier fact stays, superseded by the one after it.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.db import models
from django.utils import timezone

from yijianshi.accounts.models import Party
from yijianshi.privacy.fields import EncryptedTextField


class AppendOnlyError(Exception):
    """Raised when something tries to change or delete a recorded fact or relation."""


class Source(models.TextChoices):
    """How a department came to tell the profile a value."""

    FEED = "feed", "部门批量共享"
    CASE = "case", "办件结果"
    CERTIFICATE = "certificate", "电子证照"
    REGISTRATION = "registration", "登记信息"


class ProfileElement(models.Model):
    """A data element kept in the profiles of persons (一人一档) or enterprises (一企一档), from
    data/sharing/profile_elements.yaml. Only these can be recorded, fed or shared."""

    class Mask(models.TextChoices):
        NONE = "", "不脱敏"
        ID_NUMBER = "id_number", "按身份证号码脱敏"
        MOBILE = "mobile", "按手机号码脱敏"
        NAME = "name", "按姓名脱敏"

    element = models.OneToOneField("catalog.DataElement", on_delete=models.PROTECT, related_name="profile_use",
                                   verbose_name="数据元")
    party_kind = models.CharField("档案类型", max_length=10, choices=Party.Kind.choices)
    group = models.CharField("分组", max_length=30)
    # How the value is shown on pages; derived from the data type unless the file says (证号 embedding an ID number).
    mask = models.CharField("页面脱敏方式", max_length=10, choices=Mask.choices, blank=True)
    position = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        ordering = ["party_kind", "position"]
        verbose_name = verbose_name_plural = "档案数据项"

    def __str__(self) -> str:
        return str(self.element)


class FeedRun(models.Model):
    """One file a department delivered: its content hash (a replay is recognised by it), what happened to it, and
    the bad rows with their line numbers and reasons. The content itself is kept (encrypted) only until processed."""

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "处理中"
        APPLIED = "applied", "已导入"
        PARTIAL = "partial", "已导入有效行（错误行未导入）"
        REJECTED = "rejected", "未导入（存在错误行）"
        DUPLICATE = "duplicate", "重复提交（此前已导入）"
        FAILED = "failed", "处理失败"

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        JSON = "json", "JSON"

    FINISHED = {Status.APPLIED, Status.PARTIAL, Status.REJECTED, Status.DUPLICATE, Status.FAILED}

    department = models.ForeignKey("organizations.Department", on_delete=models.PROTECT, related_name="feed_runs",
                                   verbose_name="提供部门")
    file_name = models.CharField("文件名", max_length=200)
    format = models.CharField("格式", max_length=4, choices=Format.choices)
    sha256 = models.CharField("内容 SHA-256", max_length=64, db_index=True)
    size_bytes = models.PositiveIntegerField("文件大小（字节）")
    apply_valid_only = models.BooleanField("仅导入有效行", default=False)
    content = EncryptedTextField("待处理内容", blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name="提交人")
    submitted_at = models.DateTimeField("提交时间", default=timezone.now)
    started_at = models.DateTimeField("开始处理", null=True, blank=True)
    finished_at = models.DateTimeField("处理完成", null=True, blank=True)
    rows_total = models.PositiveIntegerField("数据行数", default=0)
    rows_invalid = models.PositiveIntegerField("错误行数", default=0)
    facts_created = models.PositiveIntegerField("新增记录数", default=0)
    facts_unchanged = models.PositiveIntegerField("未变化行数", default=0)
    persons_created = models.PositiveIntegerField("新建人员数", default=0)
    errors = models.JSONField("错误行", default=list, blank=True,
                              help_text="[{line, subject, element, message}]，主体标识已脱敏")
    problem = models.TextField("文件问题或失败原因", blank=True)
    replay_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                  verbose_name="此前导入的批次")

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = verbose_name_plural = "共享数据导入批次"

    def __str__(self) -> str:
        return f"{self.department} {self.file_name}（{self.get_status_display()}）"

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def rows_valid(self) -> int:
        return self.rows_total - self.rows_invalid


class FeedLock(models.Model):
    """One row, locked while a feed is applied: feeds run one at a time, so a replay is always recognised and two
    feeds never create the same person twice."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)


class _AppendOnly(models.Model):
    class Meta:
        abstract = True

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("档案记录只能追加，不能删除")


class Fact(_AppendOnly):
    """One value of one data element of one person or enterprise, as a department told it. Never edited."""

    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="profile_facts", verbose_name="主体")
    element = models.ForeignKey("catalog.DataElement", on_delete=models.PROTECT, related_name="+",
                                verbose_name="数据元")
    value = EncryptedTextField("值（JSON）")
    source_department = models.ForeignKey("organizations.Department", on_delete=models.PROTECT, related_name="+",
                                          verbose_name="来源部门")
    source = models.CharField("来源方式", max_length=12, choices=Source.choices)
    # A certificate identifier or a case number, as text: the record must not depend on those apps' rows.
    evidence = models.CharField("凭证", max_length=100, blank=True)
    effective_on = models.DateField("生效日期")
    recorded_at = models.DateTimeField("登记时间", default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name="登记人")
    feed_run = models.ForeignKey(FeedRun, null=True, blank=True, on_delete=models.PROTECT, related_name="facts",
                                 verbose_name="导入批次")

    class Meta:
        verbose_name = verbose_name_plural = "档案记录"
        indexes = [models.Index(fields=["party", "element", "effective_on", "id"], name="profile_fact_order")]

    def __str__(self) -> str:
        return f"{self.party} {self.element.code}"

    @property
    def data(self):
        return json.loads(self.value)

    def save(self, *args, **kwargs):
        if not self._state.adding:
            # The one permitted write to a stored fact: key rotation re-encrypting the same value.
            stored = Fact.objects.filter(pk=self.pk).values_list("value", flat=True).first()  # decrypted
            if set(kwargs.get("update_fields") or ()) != {"value"} or stored is None or stored != self.value:
                raise AppendOnlyError("档案记录只能追加，不能修改；新的值请登记为新记录")
        super().save(*args, **kwargs)


class Relation(_AppendOnly):
    """A family relation in a person's file (``relative`` is ``person``'s child, parent or spouse), or its end
    (``ended``: divorce, annulment). Appended like facts; the current state is the latest record of the pair."""

    class Kind(models.TextChoices):
        CHILD = "child", "子女"
        PARENT = "parent", "父母"
        SPOUSE = "spouse", "配偶"

    INVERSE = {Kind.CHILD: Kind.PARENT, Kind.PARENT: Kind.CHILD, Kind.SPOUSE: Kind.SPOUSE}

    person = models.ForeignKey("accounts.Person", on_delete=models.PROTECT, related_name="relations",
                               verbose_name="档案所属人")
    relative = models.ForeignKey("accounts.Person", on_delete=models.PROTECT, related_name="+", verbose_name="亲属")
    kind = models.CharField("关系", max_length=8, choices=Kind.choices)
    ended = models.BooleanField("关系终止", default=False)
    source_department = models.ForeignKey("organizations.Department", on_delete=models.PROTECT, related_name="+",
                                          verbose_name="来源部门")
    source = models.CharField("来源方式", max_length=12, choices=Source.choices)
    evidence = models.CharField("凭证", max_length=100, blank=True)
    effective_on = models.DateField("生效日期")
    recorded_at = models.DateTimeField("登记时间", default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name="登记人")

    class Meta:
        verbose_name = verbose_name_plural = "家庭关系记录"
        ordering = ["effective_on", "pk"]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("家庭关系记录只能追加，不能修改")
        super().save(*args, **kwargs)


class SharingEntry(models.Model):
    """One version of an entry of the sharing catalogue (共享责任清单, data/sharing/catalogue.yaml): ``department``
    may read ``element_codes`` of a person's or enterprise's profile for ``purpose`` under ``legal_basis``.

    A changed entry gets a new version and the old one stays (``current`` False), so every audited read keeps
    pointing at the exact grant it was made under."""

    code = models.SlugField("编码", max_length=64)
    version = models.PositiveIntegerField("版本")
    department = models.ForeignKey("organizations.Department", on_delete=models.PROTECT, related_name="+",
                                   verbose_name="使用部门")
    party_kind = models.CharField("档案类型", max_length=10, choices=Party.Kind.choices)
    purpose = models.CharField("用途", max_length=100)
    element_codes = models.JSONField("共享数据元", default=list)
    legal_basis = models.TextField("共享依据")
    needs_confirmation = models.BooleanField("待部门确认", default=True)
    note = models.TextField("说明", blank=True)
    current = models.BooleanField("现行", default=True, db_index=True)
    loaded_at = models.DateTimeField("加载时间", default=timezone.now)

    class Meta:
        ordering = ["department__position", "code", "-version"]
        verbose_name = verbose_name_plural = "共享责任清单条目"
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="sharing_entry_version_unique"),
            models.UniqueConstraint(fields=["code"], condition=models.Q(current=True),
                                    name="sharing_entry_single_current"),
        ]

    def __str__(self) -> str:
        return f"{self.department}：{self.purpose}"
