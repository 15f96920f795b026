"""The append-only audit log. Rows are written only by services.audit_record; the database refuses UPDATE
and DELETE (triggers installed by migration 0002), and the hash chain reveals anything done around them."""

from django.db import models

from yijianshi.audit.chain import GENESIS_HASH


class AuditEvent(models.Model):
    seq = models.BigIntegerField("序号", unique=True)
    occurred_at = models.DateTimeField("时间", db_index=True)
    # Plain ids, not foreign keys: the record must outlive (and never block) changes to what it describes.
    actor_user_id = models.BigIntegerField("操作人账号", null=True, db_index=True)
    actor_label = models.CharField("操作人", max_length=100)
    principal_party_id = models.BigIntegerField("委托主体", null=True, db_index=True)
    principal_label = models.CharField("委托主体名称", max_length=200, blank=True)
    subject_party_id = models.BigIntegerField("信息主体", null=True, db_index=True,
                                              help_text="其个人信息被写入或读取的人/企业")
    action = models.CharField("动作", max_length=60, db_index=True)
    object_type = models.CharField("对象类型", max_length=60, db_index=True)
    object_id = models.CharField("对象标识", max_length=64, blank=True, db_index=True)
    reason = models.TextField("事由", blank=True)
    before = models.JSONField("变更前", null=True)
    after = models.JSONField("变更后", null=True)
    prev_hash = models.CharField("前一哈希", max_length=64)
    hash = models.CharField("哈希", max_length=64, unique=True)

    class Meta:
        verbose_name = verbose_name_plural = "审计事件"
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def hashed_fields(self) -> dict:
        from yijianshi.audit.chain import HASHED_FIELDS

        return {name: getattr(self, name) for name in HASHED_FIELDS}


class ChainHead(models.Model):
    """One row: the last seq and hash. Appenders lock it, which serialises them so the chain never forks."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)  # nothing appended yet


class Checkpoint(models.Model):
    """A signed statement of the chain head at a moment (Ed25519), so a rewrite of the whole chain after it
    (recomputing every hash) is still detected by anyone holding the public key."""

    seq = models.BigIntegerField("链上序号")
    head_hash = models.CharField("链头哈希", max_length=64)
    signed_at = models.DateTimeField("签名时间")
    key_id = models.CharField("密钥标识", max_length=40)
    signature = models.CharField("签名", max_length=128)

    class Meta:
        verbose_name = verbose_name_plural = "审计检查点"
        ordering = ["-seq"]

    def statement(self) -> bytes:
        return f"yijianshi-audit-checkpoint|{self.seq}|{self.head_hash}|{self.signed_at.isoformat()}".encode()


class VerificationRun(models.Model):
    """One run of the chain verifier (nightly job, command or a supervisor's 立即校验), kept as history so a
    supervisor sees when the chain was last known intact and who checked it."""

    ran_at = models.DateTimeField("校验时间")
    ran_by = models.CharField("操作人", max_length=150)
    ok = models.BooleanField("完整")
    head_seq = models.BigIntegerField("校验时链头序号")
    events_checked = models.BigIntegerField("核对事件数")
    checkpoints_checked = models.IntegerField("核对检查点数")
    broken_seq = models.BigIntegerField("断裂位置", null=True)
    broken_reason = models.TextField("断裂原因", blank=True)
    problems = models.JSONField("其他问题", default=list)

    class Meta:
        verbose_name = verbose_name_plural = "审计链校验记录"
        ordering = ["-ran_at", "-pk"]
