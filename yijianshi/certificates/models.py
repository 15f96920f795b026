"""电子证照: certificate types (data), the issuing departments' credit codes and seal keys (public halves only),
the certificates issued and their append-only history. Status changes happen only in services.py, through
CERTIFICATE_TRANSITIONS there.

Private seal keys never enter the database: they live in files under settings.SEAL_KEY_DIR (see keys.py).
"""

from __future__ import annotations

import json

from django.conf import settings
from django.db import models
from django.utils import timezone

from yijianshi.privacy.fields import EncryptedTextField


class Algorithm(models.TextChoices):
    SM2 = "SM2", "SM2（国密）"
    ED25519 = "Ed25519", "Ed25519"


class Issuer(models.Model):
    """发证机关: the credit code a department signs certificates under and its seal's name (issuers.yaml)."""

    department = models.OneToOneField("organizations.Department", on_delete=models.PROTECT,
                                      related_name="certificate_issuer", verbose_name="部门")
    credit_code = models.CharField("统一社会信用代码", max_length=18, unique=True)
    seal_name = models.CharField("印章名称", max_length=64)
    needs_confirmation = models.BooleanField("待部门确认", default=True)
    note = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "发证机关"

    def __str__(self) -> str:
        return self.seal_name


class CertificateType(models.Model):
    """One kind of certificate (types.yaml): its identifier type code, issuer, holder, validity and fields."""

    class HolderKind(models.TextChoices):
        PERSON = "person", "自然人"
        ENTERPRISE = "enterprise", "法人"
        ANY = "any", "自然人或法人"

    code = models.SlugField("编码", max_length=64, unique=True)
    name = models.CharField("证照名称", max_length=64, unique=True)
    type_code = models.CharField("证照类型代码", max_length=32)
    department = models.ForeignKey("organizations.Department", on_delete=models.PROTECT, related_name="+",
                                   verbose_name="发证部门")
    holder_kind = models.CharField("持证主体", max_length=10, choices=HolderKind.choices)
    validity_years = models.PositiveSmallIntegerField("有效期（年）", null=True, blank=True)
    validity_days = models.PositiveSmallIntegerField("有效期（天）", null=True, blank=True)
    seal_algorithm = models.CharField("签章算法", max_length=8, choices=Algorithm.choices, default=Algorithm.SM2)
    # [{"key", "label", "element", "required", "on_approval"}], in display order
    fields = models.JSONField("证照数据项", default=list)
    issued_by = models.ManyToManyField("catalog.ServiceItem", blank=True, related_name="certificate_types",
                                       verbose_name="签发事项")
    issue_when = models.JSONField("签发条件", default=dict, blank=True)  # {element: [values]}
    needs_confirmation = models.BooleanField("待确认", default=True)
    note = models.TextField("说明", blank=True)
    position = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = verbose_name_plural = "证照类型"

    def __str__(self) -> str:
        return self.name

    @property
    def validity_label(self) -> str:
        if self.validity_years:
            return f"{self.validity_years} 年"
        if self.validity_days:
            return f"{self.validity_days} 天"
        return "长期"


class SealKey(models.Model):
    """The public half of a department's seal key. Retired keys stay so certificates signed with them still
    verify; at most one active key per department and algorithm."""

    class Status(models.TextChoices):
        ACTIVE = "active", "在用"
        RETIRED = "retired", "已停用"

    department = models.ForeignKey("organizations.Department", on_delete=models.PROTECT, related_name="+",
                                   verbose_name="部门")
    key_id = models.CharField("密钥标识", max_length=64, unique=True)
    algorithm = models.CharField("算法", max_length=8, choices=Algorithm.choices)
    public_key = models.BinaryField("公钥")
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField("生成时间", default=timezone.now)
    retired_at = models.DateTimeField("停用时间", null=True, blank=True)

    class Meta:
        ordering = ["department", "-created_at"]
        verbose_name = verbose_name_plural = "电子印章密钥"
        constraints = [models.UniqueConstraint(fields=["department", "algorithm"], condition=models.Q(status="active"),
                                               name="seal_key_one_active_per_department_algorithm")]

    def __str__(self) -> str:
        return self.key_id


class CertificateSerial(models.Model):
    """The last serial number per issuer and type; locked while a number is taken (yijianshi.db.lock_or_create)."""

    department = models.ForeignKey("organizations.Department", on_delete=models.PROTECT, related_name="+")
    type = models.ForeignKey(CertificateType, on_delete=models.PROTECT, related_name="+")
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["department", "type"], name="certificate_serial_unique")]


class Certificate(models.Model):
    class Status(models.TextChoices):
        VALID = "valid", "有效"
        SUSPENDED = "suspended", "暂停使用"
        REVOKED = "revoked", "已吊销"

    identifier = models.CharField("证照标识", max_length=96, unique=True)
    type = models.ForeignKey(CertificateType, on_delete=models.PROTECT, related_name="certificates",
                             verbose_name="证照类型")
    holder = models.ForeignKey("accounts.Party", on_delete=models.PROTECT, related_name="certificates",
                               verbose_name="持证主体")
    department = models.ForeignKey("organizations.Department", on_delete=models.PROTECT, related_name="+",
                                   verbose_name="发证部门")
    serial = models.CharField("流水号", max_length=40)  # the identifier's serial part; kept by a new version
    version = models.PositiveSmallIntegerField("版本号", default=1)
    issued_on = models.DateField("签发日期")
    valid_until = models.DateField("有效期至", null=True, blank=True)
    # The holder's (and others') personal data as printed on the certificate: encrypted as a whole.
    data = EncryptedTextField("证照数据（加密）", default="{}")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.VALID, db_index=True)
    status_changed_at = models.DateTimeField("状态变更时间", null=True, blank=True)
    status_reason = models.CharField("状态变更理由", max_length=300, blank=True)
    status_list_index = models.PositiveIntegerField("状态列表位置", unique=True)
    key_id = models.CharField("签章密钥", max_length=64)
    qr_text = models.TextField("二维码内容")
    source_task = models.ForeignKey("cases.Task", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="certificates", verbose_name="来源办件任务")
    supersedes = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="superseded_by", verbose_name="换发自")
    issued_at = models.DateTimeField("签发时间", default=timezone.now)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name="签发经办人")

    class Meta:
        ordering = ["-issued_at", "-pk"]
        verbose_name = verbose_name_plural = "电子证照"
        constraints = [
            # A task's approval issues each of its types once, however often the hook runs.
            models.UniqueConstraint(fields=["source_task", "type"], condition=models.Q(source_task__isnull=False),
                                    name="certificate_once_per_task_and_type"),
            models.UniqueConstraint(fields=["department", "type", "serial", "version"],
                                    name="certificate_serial_version_unique"),
        ]
        indexes = [models.Index(fields=["holder", "-issued_at"]), models.Index(fields=["department", "-issued_at"])]

    def __str__(self) -> str:
        return f"{self.type.name} {self.identifier}"

    @property
    def values(self) -> dict:
        return json.loads(self.data or "{}")

    def is_expired(self, today=None) -> bool:
        return self.valid_until is not None and self.valid_until < (today or timezone.localdate())


class CertificateEvent(models.Model):
    """The certificate's history, appended to and never edited."""

    class Kind(models.TextChoices):
        ISSUED = "issued", "签发"
        SUSPENDED = "suspended", "暂停使用"
        REINSTATED = "reinstated", "恢复有效"
        REVOKED = "revoked", "吊销"

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]
