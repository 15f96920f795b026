"""Residents' words mapped to the catalog's words ('饭馆' -> '餐饮'), kept as data in synonyms.yaml."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from yijianshi.search.domain.text import compact


class SynonymTable:
    """Looks up the catalog words a query's everyday words stand for.

    Keys of two or more characters match anywhere in the query, so a phrase such as '开饭馆' works however
    jieba cuts it; a one-character key ('娃') matches only a whole word, or it would fire inside others.
    """

    def __init__(self, mapping: Mapping[str, Iterable[str]]):
        self._phrases: dict[str, tuple[str, ...]] = {}
        self._single_characters: dict[str, tuple[str, ...]] = {}
        for key, targets in mapping.items():
            key = compact(str(key))
            cleaned = tuple(t for t in (compact(str(t)) for t in targets or ()) if t and t != key)
            if not key or not cleaned:
                continue
            table = self._single_characters if len(key) == 1 else self._phrases
            table[key] = tuple(dict.fromkeys(table.get(key, ()) + cleaned))
        # Longest first: the longest everyday phrase wins over the shorter ones inside it.
        self._phrase_keys = sorted(self._phrases, key=len, reverse=True)

    @classmethod
    def from_yaml_content(cls, content: Mapping | None) -> "SynonymTable":
        """synonyms.yaml: {synonyms: {resident word: [catalog word, ...]}}."""
        return cls((content or {}).get("synonyms") or {})

    @property
    def words(self) -> set[str]:
        """Every key and target, so the tokenizer can keep them whole."""
        words = set(self._phrases) | set(self._single_characters)
        for table in (self._phrases, self._single_characters):
            for targets in table.values():
                words.update(targets)
        return {w for w in words if len(w) > 1}

    def expand(self, query: str, words: Iterable[str] = ()) -> list[tuple[str, str]]:
        """(resident word, catalog word) pairs for everything in the query that has a synonym."""
        text = compact(query)
        pairs: list[tuple[str, str]] = []
        taken = [False] * len(text)
        for key in self._phrase_keys:
            start = text.find(key)
            while start != -1:
                # A shorter key inside a longer one already matched ('社保' in '社保卡') says nothing new.
                if not any(taken[start:start + len(key)]):
                    taken[start:start + len(key)] = [True] * len(key)
                    pairs.extend((key, target) for target in self._phrases[key])
                start = text.find(key, start + 1)
        for word in words:
            for target in self._single_characters.get(word, ()):
                pairs.append((word, target))
        return list(dict.fromkeys(pairs))
