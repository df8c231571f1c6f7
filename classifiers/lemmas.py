"""Russian word tokenisation and lemmatisation (pymorphy3), cached per word form."""

from __future__ import annotations

import re
from functools import lru_cache

_WORD_RE = re.compile(r"[A-Za-zА-Яа-яЁё0-9]+(?:-[A-Za-zА-Яа-яЁё0-9]+)*")


@lru_cache(maxsize=1)
def _morph():
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    """Return the normal form of one word (lower-cased, ё folded to е)."""
    w = word.lower().replace("ё", "е")
    if not re.search("[а-я]", w):
        return w
    return _morph().parse(w)[0].normal_form.replace("ё", "е")


def words(text: str) -> list[str]:
    """Split text into word tokens (keeps hyphenated words such as «трек-номер»)."""
    return _WORD_RE.findall(text or "")


def lemmatize(text: str) -> list[str]:
    """Return the lemmas of every word in `text`, in order."""
    return [lemma(w) for w in words(text)]
