"""Writes to the search index. Built from the published catalog; nothing else writes index rows."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from yijianshi.catalog.models import Bundle, ServiceItem
from yijianshi.search.analysis import analyzer_fingerprint, get_analyzer
from yijianshi.search.domain.analyzer import document_phrases
from yijianshi.search.models import SearchDocument, SearchIndexState, SearchPosting


@dataclass
class DocumentSource:
    """What one document is built from: (field, text) pairs named after domain.analyzer.FIELD_WEIGHTS."""

    kind: str
    code: str
    number: int | None
    name: str
    aliases: list[str]
    fields: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class RebuildReport:
    rebuilt: bool
    documents: int
    postings: int


def _department_fields(department) -> list[tuple[str, str]]:
    return [("department", text) for text in [department.name, *department.aliases] if text]


def catalog_document_sources() -> list[DocumentSource]:
    """Published items and all bundles, as the texts a resident might search them by."""
    sources = []
    items = (ServiceItem.objects.filter(published_version__isnull=False)
             .select_related("published_version__department").order_by("code"))
    for item in items:
        version = item.published_version
        fields = [("name", version.name), *(("alias", a) for a in version.aliases)]
        if version.source_name and version.source_name != version.name:
            fields.append(("source_name", version.source_name))
        if version.result_name and version.result_name != version.name:
            fields.append(("result", version.result_name))
        fields += _department_fields(version.department)
        sources.append(DocumentSource("item", item.code, None, version.name, list(version.aliases), fields))

    bundles = Bundle.objects.select_related("lead_department").prefetch_related(
        "bundle_items__item__published_version").order_by("number")
    for bundle in bundles:
        fields = [("name", bundle.name), *(("alias", a) for a in bundle.aliases), ("summary", bundle.summary)]
        for bundle_item in bundle.bundle_items.all():
            version = bundle_item.item.published_version
            if version is None:
                fields.append(("sub_item", bundle_item.source_name))
                continue
            fields.append(("sub_item", version.name))
            fields += [("sub_item_alias", a) for a in version.aliases]
        fields += _department_fields(bundle.lead_department)
        sources.append(DocumentSource("bundle", bundle.code, bundle.number, bundle.name, list(bundle.aliases), fields))
    return sources


def _fingerprint(sources: list[DocumentSource]) -> str:
    payload = json.dumps([[s.kind, s.code, s.number, s.name, s.aliases, s.fields] for s in sources],
                         ensure_ascii=False, sort_keys=True)
    return hashlib.sha256((analyzer_fingerprint() + payload).encode("utf-8")).hexdigest()


@transaction.atomic
def search_index_rebuild(force: bool = False) -> RebuildReport:
    """Replace the index with one built from the current catalog; a no-op when nothing it uses changed."""
    sources = catalog_document_sources()
    fingerprint = _fingerprint(sources)
    state = SearchIndexState.objects.select_for_update().first()
    if state is not None and state.fingerprint == fingerprint and not force:
        return RebuildReport(False, state.document_count, SearchPosting.objects.count())

    analyzer = get_analyzer()
    SearchPosting.objects.all().delete()
    SearchDocument.objects.all().delete()
    postings, total_length = [], 0.0
    for source in sources:
        frequencies = analyzer.document_terms(source.fields)
        length = sum(frequencies.values())
        total_length += length
        document = SearchDocument.objects.create(
            kind=source.kind, code=source.code, number=source.number, name=source.name,
            phrases=document_phrases(source.name, source.aliases), length=length)
        postings += [SearchPosting(term=term, document=document, frequency=frequency)
                     for term, frequency in frequencies.items()]
    SearchPosting.objects.bulk_create(postings, batch_size=1000)

    values = {"fingerprint": fingerprint, "document_count": len(sources),
              "average_length": total_length / len(sources) if sources else 0.0, "built_at": timezone.now()}
    if state is None:
        SearchIndexState.objects.create(**values)
    else:
        SearchIndexState.objects.filter(pk=state.pk).update(**values)
    return RebuildReport(True, len(sources), len(postings))
