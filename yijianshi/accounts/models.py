"""Who people are (accounts, persons, enterprises), what staff may do (role grants) and who may act for whom
(mandates). Personal numbers are encrypted at rest with a keyed blind index beside them for exact look-up."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

from yijianshi.accounts.roles import Role
from yijianshi.privacy import masking
from yijianshi.privacy.fields import EncryptedTextField


class User(AbstractUser):
    """A login. Residents' and enterprise staff's accounts link to a Person; staff accounts carry role grants."""

    class Kind(models.TextChoices):
        PUBLIC = "public", "群众/企业用户"
        STAFF = "staff", "工作人员"
        SYSTEM = "system", "对接系统"

    kind = models.CharField("账号类型", max_length=10, choices=Kind.choices, default=Kind.PUBLIC)
    # Part of the session hash: bumping it ends every session of the user at once ("log out everywhere").
    session_generation = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "账号"

    def get_session_auth_hash(self):
        base = super().get_session_auth_hash()
        return hashlib.sha256(f"{base}:{self.session_generation}".encode()).hexdigest()


class Party(models.Model):
    """Someone who can apply, hold a certificate, grant or receive a mandate: a person or an enterprise."""

    class Kind(models.TextChoices):
        PERSON = "person", "自然人"
        ENTERPRISE = "enterprise", "法人"

    party_kind = models.CharField("主体类型", max_length=10, choices=Kind.choices)
    display_name = models.CharField("名称", max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "主体"

    def __str__(self) -> str:
        return self.masked_display_name

    @property
    def masked_display_name(self) -> str:
        if self.party_kind == self.Kind.PERSON:
            return masking.mask_name(self.display_name)
        return self.display_name  # enterprise names are public record

    def as_concrete(self) -> "Person | Enterprise":
        return self.person if self.party_kind == self.Kind.PERSON else self.enterprise


class Person(Party):
    """A natural person. May exist without an account (a child, a relative named in a mandate) and be linked
    to one when they sign up with the same ID number."""

    user = models.OneToOneField(User, null=True, blank=True, on_delete=models.PROTECT, related_name="person")
    name = models.CharField("姓名", max_length=30)
    id_number = EncryptedTextField("身份证号码")
    id_number_index = models.CharField(max_length=64, unique=True, editable=False)
    mobile = EncryptedTextField("手机号码", blank=True)
    mobile_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    birth_date = models.DateField("出生日期")
    gender = models.CharField("性别", max_length=6, choices=[("male", "男"), ("female", "女")])

    class Meta:
        verbose_name = verbose_name_plural = "自然人"

    @property
    def masked_id_number(self) -> str:
        return masking.mask_id_number(self.id_number)

    @property
    def masked_mobile(self) -> str:
        return masking.mask_mobile(self.mobile)

    @property
    def masked_name(self) -> str:
        return masking.mask_name(self.name)


class Enterprise(Party):
    """A legal person, identified by its unified social credit code (public, so stored in clear)."""

    name = models.CharField("名称", max_length=200)
    credit_code = models.CharField("统一社会信用代码", max_length=18, unique=True)
    legal_representative = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="represented_enterprises",
                                             verbose_name="法定代表人")
    # People the legal representative lets manage the enterprise's mandates (授权管理员).
    mandate_administrators = models.ManyToManyField(Person, blank=True, related_name="administered_enterprises",
                                                    verbose_name="授权管理员")

    class Meta:
        verbose_name = verbose_name_plural = "法人"


class RoleGrant(models.Model):
    """A staff account holds a role for a department (officers, leaders) or a service point (clerks, helpers)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField("角色", max_length=30, choices=Role.choices)
    department = models.ForeignKey("organizations.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   verbose_name="所属部门")
    service_point = models.ForeignKey("organizations.ServicePoint", null=True, blank=True,
                                      on_delete=models.PROTECT, verbose_name="所属服务网点")

    class Meta:
        verbose_name = verbose_name_plural = "角色授予"

    def __str__(self) -> str:
        scope = self.department or self.service_point or "全县"
        return f"{self.get_role_display()}（{scope}）"


class Mandate(models.Model):
    """授权代办: the principal lets the agent act for them, for every service or the named bundles, until expiry."""

    class Status(models.TextChoices):
        ACTIVE = "active", "有效"
        REVOKED = "revoked", "已撤销"
        VOIDED = "voided", "已失效（法定代表人变更）"

    principal = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="mandates_granted",
                                  verbose_name="委托人")
    agent = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="mandates_held", verbose_name="受托人")
    all_services = models.BooleanField("全部事项", default=False)
    bundles = models.ManyToManyField("catalog.Bundle", blank=True, verbose_name="限定的一件事")
    valid_from = models.DateTimeField("生效时间", default=timezone.now)
    valid_until = models.DateTimeField("到期时间")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.ACTIVE)
    granted_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name="授权操作人")
    note = models.CharField("说明", max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "授权代办"
        ordering = ["-created_at"]

    def is_in_force(self, at=None) -> bool:
        at = at or timezone.now()
        return self.status == self.Status.ACTIVE and self.valid_from <= at < self.valid_until

    @property
    def display_status(self) -> str:
        if self.status == self.Status.ACTIVE and self.valid_until <= timezone.now():
            return "已到期"
        return self.get_status_display()


class MandateStatusChange(models.Model):
    """Appended on every mandate transition; never edited."""

    mandate = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(max_length=10)
    to_status = models.CharField(max_length=10)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["changed_at", "pk"]


class ApiToken(models.Model):
    """A bearer token for another system. Only a SHA-256 of the secret is stored; it is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("用途", max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField("到期时间")
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "接口令牌"


class CreditCodeSerial(models.Model):
    """How many enterprises the platform has registered in a division: the next credit code's serial. Locked
    while a code is assigned, so two registrations never get the same code."""

    division = models.CharField(max_length=6, primary_key=True)
    last = models.PositiveIntegerField(default=0)
