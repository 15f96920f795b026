"""Text normalisation shared by documents and queries, so both sides are cut the same way."""

import re
import unicodedata

# Anything that is not a letter, digit or CJK ideograph separates words (punctuation, emoji, symbols).
_SEPARATORS = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff]+")
_BRACKETED = re.compile(r"[（(【\[《“\"][^）)】\]》”\"]*[）)】\]》”\"]")


def normalize(text: str) -> str:
    """Full-width to half-width, lower case, every run of non-word characters to one space."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return _SEPARATORS.sub(" ", text).strip()


def compact(text: str) -> str:
    """Normalised text without spaces: the form phrase matching compares."""
    return normalize(text).replace(" ", "")


def without_brackets(text: str) -> str:
    """'出具死亡证明（正常死亡）' -> '出具死亡证明': residents rarely type the qualifier."""
    return _BRACKETED.sub("", text or "").strip()


def is_cjk(char: str) -> bool:
    return "\u3400" <= char <= "\u4dbf" or "\u4e00" <= char <= "\u9fff"
