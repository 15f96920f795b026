"""Admin for catalog staff: data elements, materials, bundles and versioned service items.

Item versions are edited only as drafts and published through catalog.services; a published or archived
version is shown read-only. Items are imported and exported as Excel from the item list.
"""

from io import BytesIO

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max, Q
from django.forms.models import BaseInlineFormSet
from django.http import FileResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from yijianshi.catalog.domain.graph import CycleError, topological_stages
from yijianshi.catalog.excel import (
    item_content_problems,
    items_export_workbook,
    items_import_workbook,
    list_to_text,
    steps_to_text,
    text_to_list,
    text_to_steps,
)
from yijianshi.catalog.models import (
    Bundle,
    BundleItem,
    DataElement,
    FrozenVersionError,
    ItemFormField,
    ItemMaterial,
    Material,
    ServiceItem,
    ServiceItemVersion,
)
from yijianshi.catalog.services import (
    InvalidItemContent,
    InvalidTransition,
    item_draft_create,
    item_version_publish,
    version_content,
)

admin.site.site_header = "清涧县政务服务平台 管理后台"
admin.site.site_title = "清涧县政务服务平台"
admin.site.index_title = "管理后台"

Status = ServiceItemVersion.Status
# Who may start, edit and publish item versions (and import workbooks, which publish).
EDIT_ITEMS_PERMISSION = "catalog.change_serviceitemversion"


@admin.register(DataElement)
class DataElementAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "data_type", "source_department"]
    list_filter = ["data_type", "source_department"]
    search_fields = ["code", "name"]
    list_select_related = ["source_department"]


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "source", "certificate_type", "issuing_department"]
    list_filter = ["source", "issuing_department"]
    search_fields = ["code", "name", "certificate_type"]
    list_select_related = ["issuing_department"]


# ---------------------------------------------------------------------------------------------------------
# Bundles


class BundleItemFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [form for form in self.forms
                if getattr(form, "cleaned_data", None) and not form.cleaned_data.get("DELETE")]
        kept_ids = {form.instance.pk for form in kept if form.instance.pk}
        graph = {}
        for form in kept:
            prerequisites = form.cleaned_data.get("prerequisites") or []
            if any(p.pk not in kept_ids for p in prerequisites):
                raise ValidationError("前置事项须是本一件事中保留的子事项。")
            if form.instance.pk:
                graph[form.instance.pk] = [p.pk for p in prerequisites]
        try:
            topological_stages(graph)
        except CycleError:
            raise ValidationError("前后置关系存在循环，请检查各子事项的前置事项。")


class BundleItemInline(admin.TabularInline):
    model = BundleItem
    formset = BundleItemFormSet
    fk_name = "bundle"
    fields = ["position", "item", "source_name", "correction", "prerequisites", "prerequisite_names"]
    readonly_fields = ["prerequisite_names"]
    autocomplete_fields = ["item"]
    extra = 0
    ordering = ["position"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("item").prefetch_related("prerequisites__item")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # A prerequisite can only be another sub-item of the same bundle.
        field = formset.form.base_fields.get("prerequisites")
        if field is not None:
            field.queryset = BundleItem.objects.filter(bundle=obj).select_related("bundle") if obj else \
                BundleItem.objects.none()
            field.label_from_instance = lambda bundle_item: f"{bundle_item.position}. {bundle_item.source_name}"
        return formset

    @admin.display(description="前置事项（办结后才能开始）")
    def prerequisite_names(self, bundle_item):
        names = [p.source_name for p in bundle_item.prerequisites.all()] if bundle_item.pk else []
        return "、".join(names) or "无（可同时开始）"


@admin.register(Bundle)
class BundleAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "tier", "subject", "lead_department", "item_count", "needs_confirmation"]
    list_display_links = ["number", "name"]
    list_filter = ["tier", "subject", "lead_department", "needs_confirmation"]
    search_fields = ["name", "code", "source_name"]
    list_select_related = ["lead_department"]
    inlines = [BundleItemInline]
    fieldsets = [
        (None, {
            "fields": ["number", "code", "name", "source_name", "tier", "subject", "lead_department", "summary",
                       "aliases", "corrections", "needs_confirmation"],
            "description": "一件事以 data/catalog/bundles.yaml 为准：再次加载数据文件会覆盖这里的修改，"
                           "长期有效的调整请同时改数据文件。",
        }),
    ]

    @admin.display(description="子事项数")
    def item_count(self, bundle):
        return bundle.bundle_items.count()


# ---------------------------------------------------------------------------------------------------------
# Service items


@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin):
    list_display = ["code", "current_name", "current_department", "current_version", "version_status"]
    list_filter = [("published_version__department", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["code", "published_version__name"]
    list_select_related = ["published_version__department"]
    readonly_fields = ["code", "current_version_link", "version_history", "created_at"]
    fields = readonly_fields
    actions = ["create_drafts"]
    change_list_template = "admin/catalog/serviceitem/change_list.html"
    change_form_template = "admin/catalog/serviceitem/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            draft_version=Max("versions__version", filter=Q(versions__status=Status.DRAFT)))

    # Items are created by the data files or an Excel import and never deleted (their history stays);
    # what staff change is an item's draft version.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_draft_permission(self, request):
        return request.user.has_perm(EDIT_ITEMS_PERMISSION)

    @admin.display(description="事项名称", ordering="published_version__name")
    def current_name(self, item):
        return item.published_version.name if item.published_version else "—"

    @admin.display(description="实施部门", ordering="published_version__department__position")
    def current_department(self, item):
        return item.published_version.department if item.published_version else "—"

    @admin.display(description="现行版本", ordering="published_version__version")
    def current_version(self, item):
        return f"v{item.published_version.version}" if item.published_version else "—"

    @admin.display(description="状态")
    def version_status(self, item):
        draft = getattr(item, "draft_version", None)
        if draft is None:
            draft = item.versions.filter(status=Status.DRAFT).values_list("version", flat=True).first()
        published = "已发布" if item.published_version else "未发布"
        if draft is None:
            return published
        url = reverse("admin:catalog_serviceitemversion_change", args=[
            item.versions.get(version=draft).pk])
        return format_html('{}，<a href="{}">草稿 v{} 编辑中</a>', published, url, draft)

    @admin.display(description="现行版本")
    def current_version_link(self, item):
        version = item.published_version
        if version is None:
            return "—"
        url = reverse("admin:catalog_serviceitemversion_change", args=[version.pk])
        return format_html('<a href="{}">{}</a>', url, version)

    @admin.display(description="全部版本")
    def version_history(self, item):
        rows = [(reverse("admin:catalog_serviceitemversion_change", args=[v.pk]), v.version, v.get_status_display(),
                 timezone.localtime(v.published_at).strftime("%Y-%m-%d %H:%M") if v.published_at else "—", v.name)
                for v in item.versions.order_by("-version")]
        return format_html("<ul>{}</ul>", format_html_join(
            "", '<li><a href="{}">v{}</a> {}（发布时间 {}）{}</li>', rows))

    @admin.action(description="新建草稿版本", permissions=["draft"])
    def create_drafts(self, request, queryset):
        drafts = []
        for item in queryset:
            try:
                drafts.append(item_draft_create(item, actor=request.user))
            except FrozenVersionError as exc:  # raised when there is no published version to copy
                self.message_user(request, f"{item.code}：{exc}", messages.ERROR)
        if len(drafts) == 1:
            return HttpResponseRedirect(_version_url(drafts[0]))
        if drafts:
            links = format_html_join("、", '<a href="{}">{} v{}</a>',
                                     ((_version_url(d), d.item.code, d.version) for d in drafts))
            self.message_user(request, format_html("已准备好草稿：{}", links), messages.SUCCESS)
        return None

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="catalog_serviceitem_import"),
            path("export/", view(self.export_view), name="catalog_serviceitem_export"),
            path("<int:item_id>/draft/", view(self.draft_view), name="catalog_serviceitem_draft"),
        ] + super().get_urls()

    def draft_view(self, request, item_id):
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:catalog_serviceitem_change", args=[item_id]))
        if not self.has_draft_permission(request):
            raise PermissionDenied
        item = get_object_or_404(ServiceItem, pk=item_id)
        try:
            draft = item_draft_create(item, actor=request.user)
        except FrozenVersionError as exc:  # raised when there is no published version to copy
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:catalog_serviceitem_change", args=[item_id]))
        self.message_user(request, f"正在编辑 {item.code} 的草稿 v{draft.version}，改好后点“保存并发布”。",
                          messages.SUCCESS)
        return HttpResponseRedirect(_version_url(draft))

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        buffer = BytesIO()
        items_export_workbook().save(buffer)
        buffer.seek(0)
        filename = f"清涧县事项库-{timezone.localdate():%Y%m%d}.xlsx"
        return FileResponse(buffer, as_attachment=True, filename=filename,
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    def import_view(self, request):
        if not self.has_draft_permission(request):
            raise PermissionDenied
        form = ItemsImportForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            result = items_import_workbook(form.cleaned_data["file"], dry_run=form.cleaned_data["check_only"],
                                           actor=request.user)
            if result.ok and not result.dry_run:
                self.message_user(request, f"导入完成：{result.summary()}", messages.SUCCESS)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "导入事项（Excel）",
            "form": form,
            "result": result,
        }
        return TemplateResponse(request, "admin/catalog/serviceitem/import.html", context)


class ItemsImportForm(forms.Form):
    file = forms.FileField(label="Excel 工作簿", help_text="格式同“导出事项（Excel）”下载的文件（.xlsx）")
    check_only = forms.BooleanField(label="只校验，不导入", required=False)


def _version_url(version: ServiceItemVersion) -> str:
    return reverse("admin:catalog_serviceitemversion_change", args=[version.pk])


# ---------------------------------------------------------------------------------------------------------
# Item versions

SERVICE_OBJECT_CHOICES = [(o, o) for o in ("自然人", "法人", "非法人组织")]


class ServiceItemVersionForm(forms.ModelForm):
    """The draft form; list elements are edited as plain text in the same format as the Excel workbook."""

    service_objects = forms.MultipleChoiceField(label="服务对象", choices=SERVICE_OBJECT_CHOICES,
                                                widget=forms.CheckboxSelectMultiple)
    process_steps = forms.CharField(label="办理流程", widget=forms.Textarea(attrs={"rows": 6}),
                                    help_text="每行一步，写作“名称：说明”（中文冒号）")
    aliases = forms.CharField(label="俗称/别名", required=False, help_text="多个用“、”分隔")

    class Meta:
        model = ServiceItemVersion
        exclude = ["item", "version", "status", "published_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["process_steps"] = steps_to_text(self.instance.process_steps)
            self.initial["aliases"] = list_to_text(self.instance.aliases)

    def clean_process_steps(self):
        steps = text_to_steps(self.cleaned_data["process_steps"])
        if not steps or any(not step["name"] for step in steps):
            raise ValidationError("至少一步，每步须有名称。")
        return steps

    def clean_aliases(self):
        return text_to_list(self.cleaned_data["aliases"])

    def clean(self):
        cleaned = super().clean()
        # Browsers send textarea lines as CRLF; store LF like the data files, so an unchanged text compares equal.
        for name, value in cleaned.items():
            if isinstance(value, str):
                cleaned[name] = value.replace("\r\n", "\n")
        return cleaned


class _VersionChildInline(admin.TabularInline):
    """Materials and form fields of a version: editable while it is a draft, read-only afterwards."""

    extra = 0
    ordering = ["position", "id"]

    def _editable(self, obj) -> bool:
        return obj is not None and not obj.is_frozen

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class ItemMaterialInline(_VersionChildInline):
    model = ItemMaterial
    fields = ["position", "material", "form", "copies", "required", "condition", "note"]
    autocomplete_fields = ["material"]


class ItemFormFieldInline(_VersionChildInline):
    model = ItemFormField
    fields = ["position", "data_element", "label", "required"]
    autocomplete_fields = ["data_element"]


_CONTENT_FIELDSETS = [
    ("基本信息", ["name", "source_name", "item_type", "department", "service_objects", "aliases"]),
    ("依据与条件", ["legal_basis", "acceptance_conditions", "process_steps"]),
    ("时限与收费", ["legal_time_limit_days", "promised_time_limit_days", "handling_type", "fee_charged",
                "fee_description", "fee_basis"]),
    ("办理结果与地点", ["result_type", "result_name", "handling_place", "handling_hours", "consult_phone",
                  "complaint_phone"]),
    ("服务方式", ["visits_required", "online_capable", "tongban_scope", "commitment_allowed",
              "deficiency_allowed"]),
    ("部门确认", ["needs_confirmation", "confirmation_note"]),
]
# Read-only pages show list elements as text rather than JSON.
_READONLY_DISPLAY = {"service_objects": "service_objects_text", "aliases": "aliases_text",
                     "process_steps": "process_steps_text"}
_VERSION_META_FIELDS = ["item_link", "version", "status", "published_at"]


@admin.register(ServiceItemVersion)
class ServiceItemVersionAdmin(admin.ModelAdmin):
    form = ServiceItemVersionForm
    list_display = ["item_code", "name", "version", "status", "department", "item_type", "published_at"]
    list_display_links = ["item_code", "name"]
    list_filter = ["status", "department", "item_type", "needs_confirmation"]
    search_fields = ["item__code", "name"]
    list_select_related = ["item", "department"]
    inlines = [ItemMaterialInline, ItemFormFieldInline]
    actions = ["publish_drafts"]
    change_form_template = "admin/catalog/serviceitemversion/change_form.html"

    def get_fieldsets(self, request, obj=None):
        frozen = obj is None or obj.is_frozen
        fieldsets = [("版本", {"fields": _VERSION_META_FIELDS})]
        for title, names in _CONTENT_FIELDSETS:
            if frozen:
                names = [_READONLY_DISPLAY.get(name, name) for name in names]
            fieldsets.append((title, {"fields": names}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None or obj.is_frozen:
            return [name for _, fieldset in self.get_fieldsets(request, obj) for name in fieldset["fields"]]
        return _VERSION_META_FIELDS

    # Drafts come from "新建草稿版本" on an item; published and archived versions are frozen.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_frozen:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_frozen:
            return False
        return super().has_delete_permission(request, obj)

    def has_publish_permission(self, request):
        return request.user.has_perm(EDIT_ITEMS_PERMISSION)

    def get_actions(self, request):
        # Bulk delete goes straight to the database and would skip the freeze of published versions.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="事项编码", ordering="item__code")
    def item_code(self, version):
        return version.item.code

    @admin.display(description="事项")
    def item_link(self, version):
        url = reverse("admin:catalog_serviceitem_change", args=[version.item_id])
        return format_html('<a href="{}">{}</a>', url, version.item.code)

    @admin.display(description="服务对象")
    def service_objects_text(self, version):
        return list_to_text(version.service_objects)

    @admin.display(description="俗称/别名")
    def aliases_text(self, version):
        return list_to_text(version.aliases) or "—"

    @admin.display(description="办理流程")
    def process_steps_text(self, version):
        return format_html("<ol>{}</ol>", format_html_join(
            "", "<li>{}</li>", ((line,) for line in steps_to_text(version.process_steps).splitlines())))

    def response_change(self, request, obj):
        if "_publish" in request.POST:
            self._publish(request, obj)
            return HttpResponseRedirect(_version_url(obj))
        return super().response_change(request, obj)

    @admin.action(description="发布所选草稿", permissions=["publish"])
    def publish_drafts(self, request, queryset):
        for version in queryset.select_related("item"):
            self._publish(request, version)

    def _publish(self, request, version: ServiceItemVersion) -> bool:
        if not self.has_publish_permission(request):
            raise PermissionDenied
        if version.status != Status.DRAFT:
            self.message_user(request, f"{version.item.code} v{version.version} 不是草稿，未发布。", messages.WARNING)
            return False
        try:
            # The service applies the data files' rules; the admin only words a refusal by element and row.
            item_version_publish(version, actor=request.user)
        except InvalidItemContent:
            for problem in item_content_problems(version.item.code, version_content(version)):
                self.message_user(request, f"{version.item.code} v{version.version} 未发布：{problem}",
                                  messages.ERROR)
            return False
        except InvalidTransition as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return False
        self.message_user(request, f"已发布 {version.item.code} v{version.version}，原现行版本已归档。",
                          messages.SUCCESS)
        return True

