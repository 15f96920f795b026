"""Which department should take a 12345 ticket: TF-IDF features and a logistic regression, no Django.

Features are character unigrams and bigrams (robust to spoken, unsegmented text and to typos such as '燃汽');
jieba words cut with the search app's domain dictionary can be added (WordAnalyzer) but, measured with
bench/dispatch_bench.py on the current examples, they lowered top-1 accuracy (68% vs 72%), so training leaves
them out for now. Logistic regression gives a probability per department directly, so a low top score
reliably means "let a person decide".
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

# Bump when features or the estimator change, so a saved model of the old shape is retrained, not trusted.
FORMAT_VERSION = 2

# Below this top probability the ticket waits for an operator. Chosen with bench/dispatch_bench.py: about half
# of the held-out tickets score above it and their first suggestion is right ~94% of the time; below it, ~50%.
CONFIDENCE_THRESHOLD = 0.35

Example = tuple[str, str]  # (ticket text, department code)


def normalize(text: str) -> str:
    # Full-width digits and letters from phone-input methods become ASCII; case does not matter.
    return unicodedata.normalize("NFKC", text or "").lower().strip()


class WordAnalyzer:
    """jieba words over an optional domain dictionary; picklable (the jieba instance is rebuilt on load)."""

    def __init__(self, dictionary_words: Sequence[str] = (), stopwords: Iterable[str] = ()):
        self.dictionary_words = tuple(dictionary_words)
        self.stopwords = frozenset(stopwords)
        self._jieba = None

    def _tokenizer(self):
        if self._jieba is None:
            import logging

            import jieba

            logging.getLogger("jieba").setLevel(logging.WARNING)
            # A private instance: our words must not change how the rest of the process cuts text.
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            for word in self.dictionary_words:
                tokenizer.add_word(word)
            self._jieba = tokenizer
        return self._jieba

    def __call__(self, text: str) -> list[str]:
        words = []
        for word in self._tokenizer().cut(normalize(text), HMM=False):
            word = word.strip()
            # Single characters are already covered by the character n-grams.
            if len(word) > 1 and word not in self.stopwords and any(ch.isalnum() for ch in word):
                words.append(word)
        return words

    def __getstate__(self):
        return {"dictionary_words": self.dictionary_words, "stopwords": self.stopwords, "_jieba": None}


def _pipeline(word_analyzer: WordAnalyzer | None, C: float) -> Pipeline:
    features = [("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 2), sublinear_tf=True,
                                          preprocessor=normalize, min_df=1))]
    if word_analyzer is not None:
        features.append(("words", TfidfVectorizer(analyzer=word_analyzer, sublinear_tf=True)))
    return Pipeline([
        ("features", FeatureUnion(features)),
        # class_weight balanced: a department with few examples is not drowned by the busy ones.
        ("model", LogisticRegression(C=C, max_iter=2000, class_weight="balanced")),
    ])


def fingerprint(examples: Sequence[Example], word_analyzer: WordAnalyzer | None = None) -> str:
    """Identifies what a model learnt from: the examples, the dictionary, the code's format and sklearn."""
    digest = hashlib.sha256(f"{FORMAT_VERSION}|{sklearn.__version__}".encode())
    for text, code in sorted(examples):
        digest.update(f"{code}\t{text}\n".encode())
    if word_analyzer is not None:
        digest.update("\n".join(word_analyzer.dictionary_words).encode())
    return digest.hexdigest()


@dataclass
class Model:
    pipeline: Pipeline
    fingerprint: str
    example_counts: dict[str, int] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION

    @property
    def version(self) -> str:
        return f"v{self.format_version}-{self.fingerprint[:12]}"

    @property
    def departments(self) -> list[str]:
        return [str(c) for c in self.pipeline.classes_]

    def suggest(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        """The k most likely department codes with their probability, best first."""
        if not normalize(text):
            return []
        probabilities = self.pipeline.predict_proba([text])[0]
        ranked = sorted(zip(self.pipeline.classes_, probabilities), key=lambda pair: -pair[1])[:k]
        return [(str(code), round(float(p), 4)) for code, p in ranked]

    def suggest_many(self, texts: Sequence[str], k: int = 3) -> list[list[tuple[str, float]]]:
        matrix = self.pipeline.predict_proba(list(texts))
        classes = self.pipeline.classes_
        result = []
        for row in matrix:
            order = row.argsort()[::-1][:k]
            result.append([(str(classes[i]), round(float(row[i]), 4)) for i in order])
        return result

    def save(self, path: str | Path) -> None:
        """Written to a temporary file and renamed, so a reader never loads half a model."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        joblib.dump({"format_version": self.format_version, "sklearn": sklearn.__version__,
                     "fingerprint": self.fingerprint, "example_counts": self.example_counts,
                     "pipeline": self.pipeline}, buffer)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(buffer.getvalue())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | Path) -> Model:
        """Raises IncompatibleModel if the file was written by another format or scikit-learn version."""
        payload = joblib.load(path)
        if not isinstance(payload, dict) or payload.get("format_version") != FORMAT_VERSION:
            raise IncompatibleModel(f"{path}: 模型格式版本不符，需要重新训练")
        if payload.get("sklearn") != sklearn.__version__:
            raise IncompatibleModel(f"{path}: 由 scikit-learn {payload.get('sklearn')} 训练，当前为 "
                                    f"{sklearn.__version__}，需要重新训练")
        return cls(pipeline=payload["pipeline"], fingerprint=payload["fingerprint"],
                   example_counts=payload.get("example_counts", {}))


class IncompatibleModel(Exception):
    pass


def train(examples: Iterable[Example], *, word_analyzer: WordAnalyzer | None = None, C: float = 50.0) -> Model:
    """Learns from (text, department code) pairs; needs at least two departments."""
    cleaned = [(text.strip(), code) for text, code in examples if text and text.strip() and code]
    counts = Counter(code for _, code in cleaned)
    if len(counts) < 2:
        raise ValueError("训练数据至少需要两个部门的样例")
    pipeline = _pipeline(word_analyzer, C)
    pipeline.fit([t for t, _ in cleaned], [c for _, c in cleaned])
    return Model(pipeline=pipeline, fingerprint=fingerprint(cleaned, word_analyzer), example_counts=dict(counts))


def needs_person(suggestions: Sequence[tuple[str, float]], threshold: float = CONFIDENCE_THRESHOLD) -> bool:
    """True when no suggestion is confident enough to dispatch on: an operator decides."""
    return not suggestions or suggestions[0][1] < threshold
