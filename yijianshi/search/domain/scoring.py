"""Ranking: BM25 over weighted term frequencies, plus a bonus when the query names a document outright."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from yijianshi.search.domain.analyzer import AnalyzedQuery

K1 = 1.2
# Bundles are long (they carry their sub-items' names); a mild length penalty keeps them from winning on
# volume alone without burying them under short items.
B = 0.5
# Bonus for a name or alias matched as a whole; large enough that '失业登记' ranks the item of that name
# first, small enough that several good term matches can still beat a short alias inside a long query.
PHRASE_BONUS = 6.0
# When the query reads like a life event, the bundle that handles the whole event is the better answer.
BUNDLE_PRIOR = 1.15
MIN_SCORE = 0.3


@dataclass
class Candidate:
    """One indexed document as the ranker sees it."""

    key: object
    kind: str
    length: float
    phrases: list[str]
    frequencies: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class CorpusStatistics:
    document_count: int
    average_length: float
    document_frequencies: Mapping[str, int]


def inverse_document_frequency(document_count: int, document_frequency: int) -> float:
    return math.log(1 + (document_count - document_frequency + 0.5) / (document_frequency + 0.5))


def bm25(query: AnalyzedQuery, candidate: Candidate, statistics: CorpusStatistics) -> float:
    average = statistics.average_length or 1.0
    norm = K1 * (1 - B + B * candidate.length / average)
    score = 0.0
    for term, query_weight in query.terms.items():
        frequency = candidate.frequencies.get(term)
        if not frequency:
            continue
        idf = inverse_document_frequency(statistics.document_count, statistics.document_frequencies.get(term, 1))
        score += query_weight * idf * frequency * (K1 + 1) / (frequency + norm)
    return score


def phrase_match(query: AnalyzedQuery, phrases: Iterable[str]) -> float:
    """1 when the query is a name or alias; less when a name sits inside the query or the query inside a name."""
    best = 0.0
    for text in {query.text, query.core}:
        if len(text) < 2:
            continue
        for phrase in phrases:
            if phrase == text:
                return 1.0
            if phrase in text:
                best = max(best, 0.8 * len(phrase) / len(text))
            elif text in phrase:
                best = max(best, 0.6 * len(text) / len(phrase))
    return best


def score(query: AnalyzedQuery, candidate: Candidate, statistics: CorpusStatistics) -> float:
    total = bm25(query, candidate, statistics) + PHRASE_BONUS * phrase_match(query, candidate.phrases)
    if candidate.kind == "bundle":
        total *= BUNDLE_PRIOR
    return total


def rank(query: AnalyzedQuery, candidates: Iterable[Candidate], statistics: CorpusStatistics,
         limit: int) -> list[tuple[Candidate, float]]:
    """Best first; ties broken by the candidate's key so results are stable."""
    scored = [(c, score(query, c, statistics)) for c in candidates]
    scored = [(c, s) for c, s in scored if s >= MIN_SCORE]
    scored.sort(key=lambda pair: (-pair[1], str(pair[0].key)))
    return scored[:limit]
