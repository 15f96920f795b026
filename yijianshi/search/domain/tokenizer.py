"""Chinese segmentation with jieba and the platform's own dictionary.

A private `jieba.Tokenizer` instance is used, never jieba's global one, so the domain words added here
cannot change how other code in the process cuts text (and vice versa).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import jieba

from yijianshi.search.domain.text import is_cjk, normalize


@dataclass(frozen=True)
class DictionaryEntry:
    word: str
    frequency: int | None = None
    tag: str | None = None


def parse_dictionary(lines: Iterable[str]) -> list[DictionaryEntry]:
    """jieba user-dictionary lines: `word [frequency] [tag]`; blank lines and `#` comments are skipped."""
    entries = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        frequency = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        tag = parts[-1] if len(parts) > 1 and not parts[-1].isdigit() else None
        entries.append(DictionaryEntry(parts[0], frequency, tag))
    return entries


def parse_stopwords(lines: Iterable[str]) -> frozenset[str]:
    return frozenset(w for line in lines if (w := normalize(line.split("#", 1)[0])))


class DomainTokenizer:
    """Cuts text into words with jieba over the domain dictionary, stop words removed; finds the dictionary
    words inside a long word the way jieba's search mode does."""

    def __init__(self, entries: Iterable[DictionaryEntry], stopwords: Iterable[str] = ()):
        self.stopwords = frozenset(stopwords)
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        for entry in entries:
            word = normalize(entry.word).replace(" ", "")
            if word:
                self._jieba.add_word(word, entry.frequency, entry.tag)

    def segments(self, text: str) -> list[list[str]]:
        """The plain (non-overlapping) cut, split into runs at stop words and punctuation."""
        segments = []
        for chunk in normalize(text).split():
            current: list[str] = []
            # HMM off: an unknown word falls apart into single characters, which the analyzer glues back
            # into bigrams, instead of HMM inventing words such as '娃办' that match nothing.
            for word in self._jieba.cut(chunk, HMM=False):
                if word in self.stopwords:
                    if current:
                        segments.append(current)
                    current = []
                else:
                    current.append(word)
            if current:
                segments.append(current)
        return segments

    def words(self, text: str) -> list[str]:
        return [word for segment in self.segments(text) for word in segment]

    def subwords(self, word: str) -> list[str]:
        """Dictionary words of two or three characters inside a longer word ('营业执照' -> '营业', '执照'),
        as jieba's search mode finds them."""
        found = []
        for size in (2, 3):
            if len(word) > size:
                for i in range(len(word) - size + 1):
                    piece = word[i:i + size]
                    if self._jieba.FREQ.get(piece):
                        found.append(piece)
        return found


def character_bigrams(word: str) -> list[str]:
    """Overlapping CJK bigrams of a word, the safety net when the two sides segment differently."""
    return [word[i:i + 2] for i in range(len(word) - 1) if is_cjk(word[i]) and is_cjk(word[i + 1])]
