"""The county's units (departments, institutions, enterprises) and its service points."""

from django.db import models


class Department(models.Model):
    """A unit named in the work plan (handles service items, leads or cooperates on bundles), or one of the few other
    county units the 12345 hotline dispatches to (``in_work_plan`` false)."""

    class Kind(models.TextChoices):
        GOVERNMENT = "government", "政府部门"
        INSTITUTION = "institution", "事业单位及群团组织"
        ENTERPRISE = "enterprise", "公用事业及其他企业"
        SELF_SERVICE = "self_service", "自助服务设备"

    code = models.SlugField("编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=64, unique=True, help_text="工作方案附件所列单位与附件中的名称一致")
    kind = models.CharField("类别", max_length=16, choices=Kind.choices)
    full_name = models.CharField("全称", max_length=128, blank=True)
    responsibilities = models.TextField("主要职责", blank=True)
    aliases = models.JSONField("别名", default=list, blank=True)
    phone = models.CharField("咨询电话", max_length=32, blank=True)
    address = models.CharField("办公地点", max_length=128, blank=True)
    needs_confirmation = models.BooleanField("待部门确认", default=False)
    # The attachment names 30 units; 12345 also needs the market regulator for consumer and food-safety complaints.
    in_work_plan = models.BooleanField("工作方案附件所列单位", default=True)
    position = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = "部门（单位）"
        verbose_name_plural = "部门（单位）"

    def __str__(self):
        return self.name


class Town(models.Model):
    """A town (镇) of the county, identified by its statistical division code."""

    division_code = models.CharField("区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=32, unique=True)

    class Meta:
        ordering = ["division_code"]
        verbose_name = "镇"
        verbose_name_plural = "镇"

    def __str__(self):
        return self.name


class ServicePoint(models.Model):
    """A place where people are served: the county hall, a town centre or a village station."""

    class Kind(models.TextChoices):
        COUNTY_CENTER = "county", "县政务服务中心"
        TOWN_CENTER = "town", "镇便民服务中心"
        VILLAGE_STATION = "village", "村（社区）便民服务站"

    code = models.SlugField("编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=64, unique=True)
    kind = models.CharField("类别", max_length=8, choices=Kind.choices)
    town = models.ForeignKey(Town, verbose_name="所属镇", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="service_points")
    address = models.CharField("地址", max_length=128, blank=True)
    phone = models.CharField("电话", max_length=32, blank=True)
    opening_hours = models.CharField("办公时间", max_length=128, blank=True)
    needs_confirmation = models.BooleanField("待核实", default=False)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = "便民服务网点"
        verbose_name_plural = "便民服务网点"
        constraints = [
            models.CheckConstraint(
                name="service_point_town_required_below_county",
                condition=models.Q(kind="county") | models.Q(town__isnull=False),
            ),
        ]

    def __str__(self):
        return self.name
