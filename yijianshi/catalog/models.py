"""The service catalog (事项库): data elements, materials, versioned service items and bundles (一件事).

Content is loaded from the reviewable files under data/catalog/ (see `manage.py load_catalog`);
administrators edit drafts in the admin and publish them. A published item version is frozen.
"""

from django.db import models

from yijianshi.organizations.models import Department


class FrozenVersionError(Exception):
    """Raised when something tries to change a published or archived item version."""


class DataElement(models.Model):
    """A data element (数据元): one canonical field with one authoritative source (一数一源)."""

    class DataType(models.TextChoices):
        STRING = "string", "字符串"
        TEXT = "text", "长文本"
        DATE = "date", "日期"
        INTEGER = "integer", "整数"
        DECIMAL = "decimal", "金额/小数"
        BOOLEAN = "boolean", "是/否"
        ENUM = "enum", "枚举"
        ID_NUMBER = "id_number", "公民身份号码"
        CREDIT_CODE = "credit_code", "统一社会信用代码"
        PHONE = "phone", "手机号码"
        ADDRESS = "address", "地址"

    code = models.CharField("标识符", max_length=64, unique=True)
    name = models.CharField("中文名称", max_length=64)
    data_type = models.CharField("数据类型", max_length=16, choices=DataType.choices)
    # e.g. {"max_length": 50}, {"choices": [...]}, {"pattern": "..."}; interpreted by catalog.domain.validation
    validation = models.JSONField("校验规则", default=dict, blank=True)
    source_department = models.ForeignKey(
        Department, verbose_name="权威来源部门", on_delete=models.PROTECT, null=True, blank=True,
        help_text="一数一源：该数据的唯一权威来源；为空表示由申请人填报",
    )
    description = models.TextField("说明", blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "数据元"
        verbose_name_plural = "数据元"

    def __str__(self):
        return f"{self.name}（{self.code}）"


class Material(models.Model):
    """A kind of application material, defined once so the merged list can remove duplicates."""

    class Source(models.TextChoices):
        APPLICANT = "applicant", "申请人自备"
        GOVERNMENT = "government", "政府部门核发"
        OTHER = "other", "其他机构出具"

    code = models.CharField("编码", max_length=64, unique=True)
    name = models.CharField("材料名称", max_length=128)
    source = models.CharField("来源渠道", max_length=16, choices=Source.choices)
    certificate_type = models.CharField("对应证照类型", max_length=64, blank=True,
                                        help_text="政府部门核发的证照名称，例如 居民身份证、营业执照")
    issuing_department = models.ForeignKey(Department, verbose_name="核发部门", on_delete=models.PROTECT,
                                           null=True, blank=True)
    description = models.TextField("填写/提交说明", blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "材料"
        verbose_name_plural = "材料"

    def __str__(self):
        return self.name


class ServiceItem(models.Model):
    """The stable identity of a service item (事项); its content lives in versions."""

    code = models.CharField("事项编码", max_length=32, unique=True)
    published_version = models.OneToOneField(
        "ServiceItemVersion", verbose_name="现行版本", on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "事项"
        verbose_name_plural = "事项"

    def __str__(self):
        version = self.published_version
        return f"{self.code} {version.name}" if version else self.code


class ItemType(models.TextChoices):
    """National implementation-list item types, with their codes."""

    LICENSING = "01", "行政许可"
    PENALTY = "02", "行政处罚"
    COERCION = "03", "行政强制"
    LEVY = "04", "行政征收"
    BENEFIT = "05", "行政给付"
    INSPECTION = "06", "行政检查"
    CONFIRMATION = "07", "行政确认"
    REWARD = "08", "行政奖励"
    ADJUDICATION = "09", "行政裁决"
    OTHER_POWER = "10", "其他行政权力"
    PUBLIC_SERVICE = "20", "公共服务"


class ServiceItemVersion(models.Model):
    """One version of a service item, carrying the national implementation-list elements."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        PUBLISHED = "published", "已发布"
        ARCHIVED = "archived", "已归档"

    class HandlingType(models.TextChoices):
        IMMEDIATE = "immediate", "即办件"
        PROMISED = "promised", "承诺件"

    class Tongban(models.TextChoices):
        NONE = "none", "不支持通办"
        CITY = "city", "全市通办"
        PROVINCE = "province", "全省通办"
        CROSS_PROVINCE = "cross_province", "跨省通办"

    item = models.ForeignKey(ServiceItem, verbose_name="事项", on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField("版本号")
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)

    name = models.CharField("事项名称", max_length=128)
    source_name = models.CharField("附件原文名称", max_length=128, blank=True)
    item_type = models.CharField("事项类型", max_length=2, choices=ItemType.choices)
    department = models.ForeignKey(Department, verbose_name="实施部门", on_delete=models.PROTECT,
                                   related_name="item_versions")
    legal_basis = models.TextField("设定依据")
    acceptance_conditions = models.TextField("受理条件")
    service_objects = models.JSONField("服务对象", default=list, help_text="自然人、法人、非法人组织")
    process_steps = models.JSONField("办理流程", default=list, help_text="[{name, description}]")
    legal_time_limit_days = models.PositiveSmallIntegerField("法定办结时限（工作日）", null=True, blank=True,
                                                             help_text="法律法规未规定时限的留空")
    promised_time_limit_days = models.PositiveSmallIntegerField("承诺办结时限（工作日）",
                                                                help_text="即办件填 0")
    handling_type = models.CharField("办件类型", max_length=16, choices=HandlingType.choices)
    fee_charged = models.BooleanField("是否收费", default=False)
    fee_description = models.TextField("收费标准", blank=True)
    fee_basis = models.TextField("收费依据", blank=True)
    result_type = models.CharField("办理结果类型", max_length=32)
    result_name = models.CharField("办理结果名称", max_length=128)
    handling_place = models.CharField("办理地点", max_length=255)
    handling_hours = models.CharField("办理时间", max_length=255)
    consult_phone = models.CharField("咨询电话", max_length=64)
    complaint_phone = models.CharField("监督投诉电话", max_length=64)
    visits_required = models.PositiveSmallIntegerField("到办事现场次数")
    online_capable = models.BooleanField("是否网上可办", default=True)
    tongban_scope = models.CharField("通办范围", max_length=16, choices=Tongban.choices, default=Tongban.NONE)
    commitment_allowed = models.BooleanField("可告知承诺", default=False)
    deficiency_allowed = models.BooleanField("可容缺受理", default=False)
    aliases = models.JSONField("俗称/别名", default=list, blank=True)
    needs_confirmation = models.BooleanField("待部门确认", default=True,
                                             help_text="附件未给出的要素由平台按同类指南补全，需部门确认")
    confirmation_note = models.TextField("待确认说明", blank=True)

    class Meta:
        ordering = ["item__code", "-version"]
        verbose_name = "事项版本"
        verbose_name_plural = "事项版本"
        constraints = [
            models.UniqueConstraint(fields=["item", "version"], name="item_version_unique"),
            models.UniqueConstraint(fields=["item"], condition=models.Q(status="published"),
                                    name="item_single_published_version"),
            models.UniqueConstraint(fields=["item"], condition=models.Q(status="draft"),
                                    name="item_single_draft_version"),
        ]

    def __str__(self):
        return f"{self.name} v{self.version}（{self.get_status_display()}）"

    @property
    def is_frozen(self) -> bool:
        return self.status != self.Status.DRAFT

    def save(self, *args, **kwargs):
        # A published version is frozen: only the status change made by catalog.services may touch it.
        if self.pk and not kwargs.pop("_status_transition", False):
            stored_status = ServiceItemVersion.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored_status and stored_status != self.Status.DRAFT:
                raise FrozenVersionError(f"{self} 已发布，不可修改；请新建草稿版本。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_frozen:
            raise FrozenVersionError(f"{self} 已发布，不可删除。")
        return super().delete(*args, **kwargs)


class _VersionChild(models.Model):
    """Rows owned by an item version share its freeze."""

    class Meta:
        abstract = True

    def _assert_version_editable(self):
        status = ServiceItemVersion.objects.filter(pk=self.version_id).values_list("status", flat=True).first()
        if status and status != ServiceItemVersion.Status.DRAFT:
            raise FrozenVersionError("已发布版本的材料和表单字段不可修改；请新建草稿版本。")

    def save(self, *args, **kwargs):
        self._assert_version_editable()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._assert_version_editable()
        return super().delete(*args, **kwargs)


class ItemMaterial(_VersionChild):
    """A material an item version asks for."""

    class Form(models.TextChoices):
        ORIGINAL = "original", "原件"
        COPY = "copy", "复印件"
        ELECTRONIC = "electronic", "电子件"
        ORIGINAL_AND_COPY = "original_and_copy", "原件及复印件"

    version = models.ForeignKey(ServiceItemVersion, on_delete=models.CASCADE, related_name="materials")
    material = models.ForeignKey(Material, verbose_name="材料", on_delete=models.PROTECT)
    form = models.CharField("材料形式", max_length=20, choices=Form.choices)
    copies = models.PositiveSmallIntegerField("份数", default=1)
    required = models.BooleanField("必要性", default=True, help_text="勾选为必需；不勾选时须填写适用情形")
    condition = models.CharField("适用情形", max_length=255, blank=True)
    note = models.CharField("备注", max_length=255, blank=True)
    position = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "申请材料"
        verbose_name_plural = "申请材料"
        constraints = [models.UniqueConstraint(fields=["version", "material"], name="item_material_unique")]

    def __str__(self):
        return self.material.name


class ItemFormField(_VersionChild):
    """A field of an item's application form, bound to a data element."""

    version = models.ForeignKey(ServiceItemVersion, on_delete=models.CASCADE, related_name="form_fields")
    data_element = models.ForeignKey(DataElement, verbose_name="数据元", on_delete=models.PROTECT)
    label = models.CharField("字段标签", max_length=64, blank=True, help_text="留空则使用数据元名称")
    required = models.BooleanField("必填", default=True)
    position = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "表单字段"
        verbose_name_plural = "表单字段"
        constraints = [models.UniqueConstraint(fields=["version", "data_element"], name="item_field_unique")]

    def __str__(self):
        return self.label or self.data_element.name


class Bundle(models.Model):
    """A "one thing" (一件事): several items applied for together with one form and one window."""

    class Tier(models.TextChoices):
        CONSOLIDATE = "consolidate", "巩固提升"
        EXPLORE = "explore", "探索拓展"

    class Subject(models.TextChoices):
        INDIVIDUAL = "individual", "个人"
        ENTERPRISE = "enterprise", "企业"

    code = models.SlugField("编码", max_length=64, unique=True)
    number = models.PositiveSmallIntegerField("序号", unique=True)
    name = models.CharField("名称", max_length=64, unique=True)
    source_name = models.CharField("附件原文名称", max_length=128)
    tier = models.CharField("类别", max_length=16, choices=Tier.choices)
    subject = models.CharField("服务对象", max_length=16, choices=Subject.choices)
    lead_department = models.ForeignKey(Department, verbose_name="牵头单位", on_delete=models.PROTECT,
                                        related_name="led_bundles")
    summary = models.TextField("简介")
    aliases = models.JSONField("俗称/别名", default=list, blank=True)
    corrections = models.JSONField("对附件的更正", default=list, blank=True)
    needs_confirmation = models.BooleanField("待部门确认", default=True)
    # Validated canonical form of data/catalog/situations/<code>.yaml (see catalog.domain.situation);
    # empty when the bundle asks nothing and every sub-item applies.
    questionnaire = models.JSONField("情形引导", default=dict, blank=True)
    # 企业开办: the enterprise does not exist yet, so its founder applies as a person; when this item is
    # approved the enterprise is registered (credit code assigned) and later results are issued to it.
    establishing_item = models.ForeignKey("ServiceItem", verbose_name="设立企业的事项", null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="+",
                                          help_text="办结后登记设立企业；此类一件事由投资人以个人身份申请")

    class Meta:
        ordering = ["number"]
        verbose_name = "一件事"
        verbose_name_plural = "一件事"

    def __str__(self):
        return f"{self.number}. {self.name}"

    @property
    def founds_enterprise(self) -> bool:
        return self.establishing_item_id is not None


class BundleItem(models.Model):
    """A sub-item of a bundle, possibly after other sub-items (前后置); its unit is the item's department."""

    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="bundle_items")
    item = models.ForeignKey(ServiceItem, verbose_name="事项", on_delete=models.PROTECT, related_name="bundle_uses")
    position = models.PositiveSmallIntegerField("序号")
    source_name = models.CharField("附件原文", max_length=128)
    correction = models.CharField("更正说明", max_length=255, blank=True)
    prerequisites = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="dependants",
                                           verbose_name="前置事项", help_text="须待这些事项办结后才能开始")

    class Meta:
        ordering = ["bundle__number", "position"]
        verbose_name = "一件事子事项"
        verbose_name_plural = "一件事子事项"
        constraints = [
            models.UniqueConstraint(fields=["bundle", "item"], name="bundle_item_unique"),
            models.UniqueConstraint(fields=["bundle", "position"], name="bundle_item_position_unique"),
        ]

    def __str__(self):
        return f"{self.bundle.name} / {self.source_name}"
