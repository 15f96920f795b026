"""Reads from the search index."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from yijianshi.search.analysis import get_analyzer
from yijianshi.search.domain.scoring import Candidate, CorpusStatistics, rank
from yijianshi.search.models import SearchIndexState, SearchPosting

MAX_LIMIT = 50


@dataclass(frozen=True)
class SearchHit:
    kind: str            # "bundle" | "item"
    code: str
    number: int | None   # bundles only
    name: str
    score: float


def search(query: str, limit: int = 10) -> list[SearchHit]:
    """Bundles and items best matching the resident's words; [] for a blank or meaningless query."""
    if not isinstance(query, str) or not query.strip():
        return []
    limit = max(1, min(int(limit), MAX_LIMIT))
    analyzed = get_analyzer().query(query)
    if analyzed.is_empty:
        return []
    state = SearchIndexState.objects.first()
    if state is None:
        return []

    rows = (SearchPosting.objects.filter(term__in=list(analyzed.terms))
            .values_list("term", "frequency", "document_id", "document__kind", "document__code",
                         "document__number", "document__name", "document__phrases", "document__length"))
    candidates: dict[int, Candidate] = {}
    details: dict[int, tuple] = {}
    document_frequencies: Counter[str] = Counter()
    for term, frequency, document_id, kind, code, number, name, phrases, length in rows:
        document_frequencies[term] += 1
        candidate = candidates.get(document_id)
        if candidate is None:
            candidate = candidates[document_id] = Candidate(key=(kind, code), kind=kind, length=length,
                                                            phrases=phrases)
            details[document_id] = (kind, code, number, name)
        candidate.frequencies[term] = frequency

    statistics = CorpusStatistics(state.document_count, state.average_length, document_frequencies)
    ranked = rank(analyzed, candidates.values(), statistics, limit)
    by_key = {candidates[d].key: details[d] for d in candidates}
    return [SearchHit(*by_key[candidate.key], score=round(score, 3)) for candidate, score in ranked]
