"""Builds an Analyzer from the reviewable data files in data/search/ (plain files, no database)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from yijianshi.search.domain.analyzer import Analyzer
from yijianshi.search.domain.synonyms import SynonymTable
from yijianshi.search.domain.tokenizer import DictionaryEntry, DomainTokenizer, parse_dictionary, parse_stopwords

DICTIONARY_FILE = "dictionary.txt"
SYNONYMS_FILE = "synonyms.yaml"
STOPWORDS_FILE = "stopwords.txt"


def _read(directory: Path, name: str) -> str:
    path = directory / name
    return path.read_text(encoding="utf-8") if path.exists() else ""


def load_analyzer(directory: Path) -> Analyzer:
    synonyms = SynonymTable.from_yaml_content(yaml.safe_load(_read(directory, SYNONYMS_FILE)))
    entries = parse_dictionary(_read(directory, DICTIONARY_FILE).splitlines())
    # Synonym keys and targets are domain words too: keep '开饭馆' and '餐饮' whole when cutting.
    known = {e.word for e in entries}
    entries += [DictionaryEntry(w) for w in sorted(synonyms.words) if w not in known]
    stopwords = parse_stopwords(_read(directory, STOPWORDS_FILE).splitlines())
    return Analyzer(DomainTokenizer(entries, stopwords), synonyms)


def resources_fingerprint(directory: Path) -> str:
    """Changes whenever a file that affects how text is cut changes, so the index knows it is stale."""
    digest = hashlib.sha256()
    for name in (DICTIONARY_FILE, SYNONYMS_FILE, STOPWORDS_FILE):
        digest.update(name.encode())
        digest.update(_read(directory, name).encode("utf-8"))
    return digest.hexdigest()
