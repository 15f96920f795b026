from django.contrib import admin

from yijianshi.search.models import SearchDocument, SearchIndexState


@admin.register(SearchDocument)
class SearchDocumentAdmin(admin.ModelAdmin):
    """Read-only view of the index, to see what a document was built from; rebuilt, never edited."""

    list_display = ["kind", "code", "number", "name", "length"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SearchIndexState)
class SearchIndexStateAdmin(admin.ModelAdmin):
    list_display = ["document_count", "average_length", "built_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
