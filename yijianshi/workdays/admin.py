"""工作日调整: system administrators correct the national working-day calendar. Every save and delete goes
through the services, so each change is permission-checked, audited and seen by deadline counting at once."""

from django.contrib import admin
from django.db import transaction

from yijianshi.accounts.permissions import has_permission
from yijianshi.workdays.domain import WorkCalendar
from yijianshi.workdays.models import WorkdayOverride
from yijianshi.workdays.services import workday_override_remove, workday_override_set

_WEEKDAYS = "一二三四五六日"
_NATIONAL = WorkCalendar()  # the published schedule alone, to show next to each override


def _may_manage(request) -> bool:
    # The same permission the services require, so the admin never offers what the service would refuse.
    return has_permission(request.user, "staff.manage")


@admin.register(WorkdayOverride)
class WorkdayOverrideAdmin(admin.ModelAdmin):
    list_display = ["date", "weekday", "arrangement", "national", "reason", "created_by", "created_at"]
    list_filter = ["is_workday"]
    search_fields = ["reason"]
    date_hierarchy = "date"
    fields = ["date", "is_workday", "reason"]
    list_select_related = ["created_by"]

    @admin.display(description="星期")
    def weekday(self, obj):
        return f"星期{_WEEKDAYS[obj.date.weekday()]}"

    @admin.display(description="调整为", ordering="is_workday")
    def arrangement(self, obj):
        return "上班" if obj.is_workday else "休息"

    @admin.display(description="国家安排")
    def national(self, obj):
        if not _NATIONAL.known(obj.date):
            return "未收录（按周一至周五）"
        return "上班" if _NATIONAL.is_workday(obj.date) else "休息"

    def get_readonly_fields(self, request, obj=None):
        # The date is what an override is about; to move one, delete it and add another.
        return ["date"] if obj is not None else []

    def has_module_permission(self, request):
        return _may_manage(request)

    def has_view_permission(self, request, obj=None):
        return _may_manage(request)

    def has_add_permission(self, request):
        return _may_manage(request)

    def has_change_permission(self, request, obj=None):
        return _may_manage(request)

    def has_delete_permission(self, request, obj=None):
        return _may_manage(request)

    def save_model(self, request, obj, form, change):
        saved = workday_override_set(user=request.user, day=obj.date, is_workday=obj.is_workday, reason=obj.reason)
        obj.pk, obj.created_by_id, obj.created_at = saved.pk, saved.created_by_id, saved.created_at

    def delete_model(self, request, obj):
        workday_override_remove(user=request.user, day=obj.date)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():  # all of the selected days or none
            for obj in queryset:
                workday_override_remove(user=request.user, day=obj.date)
