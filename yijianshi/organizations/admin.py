"""Admin for the county's units, towns and service points (便民服务网点)."""

from django import forms
from django.contrib import admin

from yijianshi.organizations.models import Department, ServicePoint, Town


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "phone", "needs_confirmation"]
    list_filter = ["kind", "needs_confirmation"]
    search_fields = ["name", "code", "full_name"]
    ordering = ["position", "code"]


class ServicePointInline(admin.TabularInline):
    model = ServicePoint
    fields = ["code", "name", "kind", "address", "phone"]
    extra = 0
    show_change_link = True
    verbose_name_plural = "本镇的便民服务网点"


@admin.register(Town)
class TownAdmin(admin.ModelAdmin):
    list_display = ["name", "division_code"]
    search_fields = ["name", "division_code"]
    inlines = [ServicePointInline]


class ServicePointForm(forms.ModelForm):
    class Meta:
        model = ServicePoint
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        # The database constraint says the same; this puts the message on the field, in Chinese.
        if cleaned.get("kind") and cleaned["kind"] != ServicePoint.Kind.COUNTY_CENTER and not cleaned.get("town"):
            self.add_error("town", "镇便民服务中心和村（社区）便民服务站须选择所属镇。")
        return cleaned


@admin.register(ServicePoint)
class ServicePointAdmin(admin.ModelAdmin):
    form = ServicePointForm
    list_display = ["name", "code", "kind", "town", "phone", "needs_confirmation"]
    list_filter = ["kind", "town", "needs_confirmation"]
    search_fields = ["name", "code", "address"]
    list_select_related = ["town"]

    def get_changeform_initial_data(self, request):
        # New points are almost always village stations; the hall and town centres come from the data files.
        return {"kind": ServicePoint.Kind.VILLAGE_STATION, **super().get_changeform_initial_data(request)}
