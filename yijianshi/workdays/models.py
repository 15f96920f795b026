"""The administrators' corrections to the national working-day calendar."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class WorkdayOverride(models.Model):
    """One day whose status differs from (or is missing in) the State Council's schedule: a day off the county
    declares, a 调休 working day, or a day of a year the calendar package does not know yet."""

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("安排", choices=[(True, "上班（工作日）"), (False, "休息（非工作日）")],
                                     help_text="这一天是否计入办理时限的工作日")
    reason = models.CharField("原因", max_length=200, help_text="如：国务院办公厅通知（国办发明电〔2026〕×号）、县政府临时放假通知")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="设置人", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+", editable=False)
    created_at = models.DateTimeField("设置时间", default=timezone.now, editable=False)

    class Meta:
        ordering = ["-date"]
        verbose_name = verbose_name_plural = "工作日调整"

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {'上班' if self.is_workday else '休息'}"
