"""Turns document fields and queries into weighted search terms, the same way on both sides."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from yijianshi.search.domain.synonyms import SynonymTable
from yijianshi.search.domain.text import compact, is_cjk, without_brackets
from yijianshi.search.domain.tokenizer import DomainTokenizer, character_bigrams

# How much one occurrence counts, by kind of term. Whole words carry the meaning. The pieces of a long
# word ('营业执照' -> '营业', '执照', '业执') only rescue a differently segmented word, and must not let one
# long word outweigh the rest of the query. Bigrams rebuilt from an unknown word ('刚生' from '刚'+'生')
# are that word's only representation, so they count a little more. A lone character says little.
WORD_WEIGHT = 1.0
PIECE_WEIGHT = 0.3
BIGRAM_WEIGHT = 0.5
SINGLE_CHARACTER_WEIGHT = 0.3
# A synonym is a guess about what the resident meant, so it counts a little less than their own word.
SYNONYM_WEIGHT = 0.8

# Field weights: a match in an item's or bundle's own name says more than one in its department's name.
FIELD_WEIGHTS = {
    "name": 3.0,
    "alias": 2.5,
    "result": 1.2,
    "source_name": 1.0,
    "sub_item": 0.8,
    "sub_item_alias": 0.5,
    "summary": 0.6,
    "department": 0.3,
}

MAX_TERM_LENGTH = 64
MAX_QUERY_LENGTH = 100


@dataclass(frozen=True)
class AnalyzedQuery:
    text: str                      # the query as compared with names and aliases (compact form)
    core: str                      # the query without stop words, e.g. '办理就业登记' -> '就业登记'
    terms: dict[str, float]        # term -> query weight
    synonyms: tuple[tuple[str, str], ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.terms


class Analyzer:
    def __init__(self, tokenizer: DomainTokenizer, synonyms: SynonymTable):
        self.tokenizer = tokenizer
        self.synonyms = synonyms

    def text_terms(self, text: str) -> dict[str, float]:
        """Term -> weight for one piece of text; a term's weight is the strongest way it appears."""
        terms: dict[str, float] = {}

        def add(term: str, weight: float) -> None:
            term = term[:MAX_TERM_LENGTH]
            if weight > terms.get(term, 0.0):
                terms[term] = weight

        for segment in self.tokenizer.segments(text):
            run = ""
            for word in segment + [""]:
                if len(word) == 1 and is_cjk(word):
                    run += word
                    continue
                # Words jieba does not know fall apart into characters; glue neighbours back into bigrams.
                for character in run:
                    add(character, SINGLE_CHARACTER_WEIGHT)
                for bigram in character_bigrams(run):
                    add(bigram, BIGRAM_WEIGHT)
                run = ""
                if len(word) == 1:
                    add(word, SINGLE_CHARACTER_WEIGHT)
                elif word:
                    add(word, WORD_WEIGHT)
                    for piece in self.tokenizer.subwords(word) + character_bigrams(word):
                        add(piece, PIECE_WEIGHT)
        return terms

    def document_terms(self, fields: Iterable[tuple[str, str]]) -> dict[str, float]:
        """Weighted term frequencies of a document given as (field, text) pairs."""
        frequencies: dict[str, float] = defaultdict(float)
        for field, text in fields:
            weight = FIELD_WEIGHTS[field]
            for term, term_weight in self.text_terms(text).items():
                frequencies[term] += weight * term_weight
        return dict(frequencies)

    def query(self, text: str) -> AnalyzedQuery:
        text = (text or "")[:MAX_QUERY_LENGTH]
        terms = self.text_terms(text)
        words = self.tokenizer.words(text)
        pairs = tuple(self.synonyms.expand(text, words))
        for _, target in pairs:
            for term, weight in self.text_terms(target).items():
                terms[term] = max(terms.get(term, 0.0), weight * SYNONYM_WEIGHT)
        core = "".join(word for segment in self.tokenizer.segments(text) for word in segment)
        return AnalyzedQuery(text=compact(text), core=core, terms=terms, synonyms=pairs)


def document_phrases(name: str, aliases: Iterable[str] = ()) -> list[str]:
    """The whole names a document answers to, compact, for exact and contained matches."""
    phrases = [compact(name), compact(without_brackets(name))]
    phrases += [compact(alias) for alias in aliases]
    return [p for p in dict.fromkeys(phrases) if len(p) >= 2]
