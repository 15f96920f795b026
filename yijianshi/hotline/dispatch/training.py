"""The Django side of dispatch suggestions: the training set, the saved model and the process's copy of it.

Training data, in order of trust: the operators' own dispatch decisions (once tickets are handled on the
platform), the reviewed examples in data/hotline/dispatch_examples.yaml, and short texts generated from each
department's name, aliases and responsibilities in the catalog, so a unit without examples can still be found.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.conf import settings

from yijianshi.hotline.dispatch.classifier import Example, IncompatibleModel, Model, WordAnalyzer, train
from yijianshi.organizations.models import Department

logger = logging.getLogger(__name__)

EXAMPLES_FILE = "hotline/dispatch_examples.yaml"
_RESPONSIBILITY_SEPARATORS = re.compile(r"[、，,；;。]")


def examples_path() -> Path:
    return Path(settings.DATA_DIR) / EXAMPLES_FILE


def file_examples(path: Path | None = None) -> list[Example]:
    """The reviewed example tickets: (text, department code)."""
    content = yaml.safe_load((path or examples_path()).read_text(encoding="utf-8")) or {}
    return [(str(e["text"]), str(e["department"])) for e in content.get("examples", [])]


def bootstrap_examples() -> list[Example]:
    """Texts a caller might use to name a unit or its business, from the catalog's departments."""
    examples: list[Example] = []
    for department in Department.objects.all():
        code = department.code
        names = [department.name, department.full_name, *(department.aliases or [])]
        examples += [(name, code) for name in names if name]
        examples += [(f"找{alias}", code) for alias in department.aliases or []]
        pieces = [p.strip() for p in _RESPONSIBILITY_SEPARATORS.split(department.responsibilities or "")]
        examples += [(f"咨询{piece}的事", code) for piece in pieces if piece]
        if department.responsibilities:
            examples.append((department.responsibilities, code))
    return examples


def operator_decisions() -> list[Example]:
    """Where operators actually sent tickets; decisions a department returned (退单) are left out."""
    from django.apps import apps
    from django.db import connection

    try:
        decision = apps.get_model("hotline", "DispatchDecision")
    except LookupError:
        return []
    if decision._meta.db_table not in connection.introspection.table_names():
        return []  # the ticket tables are not migrated yet
    rows = decision.objects.filter(returned=False).values_list("text", "department__code")
    return [(text, code) for text, code in rows if text]


def word_analyzer() -> WordAnalyzer:
    """jieba words cut with the search app's domain dictionary and stop words (data/search/)."""
    from yijianshi.search.domain.resources import DICTIONARY_FILE, STOPWORDS_FILE
    from yijianshi.search.domain.tokenizer import parse_dictionary, parse_stopwords

    directory = Path(settings.SEARCH_DATA_DIR)

    def lines(name):
        path = directory / name
        return path.read_text(encoding="utf-8").splitlines() if path.exists() else []

    words = sorted({e.word for e in parse_dictionary(lines(DICTIONARY_FILE))})
    return WordAnalyzer(words, parse_stopwords(lines(STOPWORDS_FILE)))


@dataclass(frozen=True)
class TrainingSet:
    examples: list[Example]
    from_file: int
    from_catalog: int
    from_operators: int


def training_set(corrections: Iterable[Example] | None = None) -> TrainingSet:
    """All examples whose department is in the catalog. `corrections` default to the recorded operator
    decisions; pass pairs explicitly to train on others (tests, a review)."""
    known = set(Department.objects.values_list("code", flat=True))
    reviewed = [e for e in file_examples() if e[1] in known]
    generated = bootstrap_examples()
    decided = [e for e in (operator_decisions() if corrections is None else list(corrections)) if e[1] in known]
    return TrainingSet(reviewed + generated + decided, len(reviewed), len(generated), len(decided))


# jieba words on top of character n-grams cost 4 points of top-1 accuracy on the current examples
# (bench/dispatch_bench.py); switch on and re-measure once real operator decisions accumulate.
USE_WORDS = False


def train_and_save(corrections: Iterable[Example] | None = None, path: Path | None = None) -> Model:
    data = training_set(corrections)
    model = train(data.examples, word_analyzer=word_analyzer() if USE_WORDS else None)
    model.save(path or model_path())
    return model


def model_path() -> Path:
    return Path(settings.HOTLINE_MODEL_PATH)


_lock = threading.Lock()
_cache: dict = {"key": None, "model": None}


def current_model() -> Model:
    """The saved model, loaded once per process and again whenever the file changes (a retrain in another
    process). Without a usable file, trains from the data now and saves it."""
    path = model_path()
    with _lock:
        key = _file_key(path)
        if key is not None and key == _cache["key"]:
            return _cache["model"]
        model = None
        if key is not None:
            try:
                model = Model.load(path)
            except (IncompatibleModel, EOFError, ValueError, KeyError) as error:
                logger.warning("分拨模型不可用，将重新训练：%s", error)
        if model is None:
            model = train_and_save(path=path)
            key = _file_key(path)
        _cache.update(key=key, model=model)
        return model


def _file_key(path: Path):
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (str(path), stat.st_mtime_ns, stat.st_size)
