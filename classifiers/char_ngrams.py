"""Char n-gram counts of many texts at once, in numpy: scikit-learn's `char_wb` analyzer without its Python loop.

`CountVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=True, vocabulary=...)` counts, for every word of
a lowercased text (split on whitespace) padded with one space on each side, every n-gram of 2-5 characters that lies
inside the padded word (a padded word shorter than 5 characters is itself its longest n-gram). It does so one n-gram
at a time in Python, which made it most of the cost of the TF-IDF mixtures.

`CharNgramCounter` gives the same matrix from array operations over all texts together. Each character gets its
rank in the vocabulary's alphabet (1 .. A; 0 for a character no vocabulary n-gram has) and an n-gram becomes the
integer whose base-2^b digits are its ranks: an exact key, no hashing, so a match is a match. Keys of vocabulary
n-grams have no zero digit, so an n-gram holding an unknown character matches none (one that starts with it is
dropped explicitly, since a leading zero digit would read as the shorter n-gram after it). A vocabulary whose
alphabet is too large for exact 64-bit keys (over 4,095 characters) is counted by scikit-learn (`ngram_counter`).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from scipy import sparse

MIN_N, MAX_N = 2, 5
COUNTS = {"analyzer": "char_wb", "ngram_range": (MIN_N, MAX_N), "lowercase": True}  # as CountVectorizer options


def _codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


class CharNgramCounter:
    """Counts of the `vocabulary` n-grams (`{n-gram: column}`) in texts, as `CountVectorizer(char_wb, 2-5)` gives."""

    def __init__(self, vocabulary: Mapping[str, int]):
        self.n_columns = max(vocabulary.values(), default=-1) + 1
        alphabet = np.unique(_codepoints("".join(vocabulary)))
        self.bits = max(1, int(len(alphabet)).bit_length())  # ranks 1..A fit in `bits` bits
        if self.bits * MAX_N > 63:
            raise ValueError(f"an alphabet of {len(alphabet)} characters does not fit exact 64-bit n-gram keys")
        self._alphabet = alphabet
        grams = [g for g in vocabulary if MIN_N <= len(g) <= MAX_N]
        if len(grams) != len(vocabulary):
            raise ValueError("the vocabulary holds n-grams outside 2-5 characters")
        keys = np.fromiter((self._key(g) for g in grams), dtype=np.int64, count=len(grams))
        order = np.argsort(keys)
        self._keys = keys[order]
        self._columns = np.fromiter((vocabulary[g] for g in grams), dtype=np.int64, count=len(grams))[order]
        if len(self._keys) > 1 and (np.diff(self._keys) == 0).any():  # pragma: no cover - keys are exact
            raise ValueError("two vocabulary n-grams share a key")

    def _ranks(self, codepoints: np.ndarray) -> np.ndarray:
        pos = np.minimum(np.searchsorted(self._alphabet, codepoints), len(self._alphabet) - 1)
        return np.where(self._alphabet[pos] == codepoints, pos + 1, 0).astype(np.int64)

    def _key(self, gram: str) -> int:
        key = 0
        for rank in self._ranks(_codepoints(gram)).tolist():
            key = (key << self.bits) | rank
        return key

    def transform(self, texts: Sequence[str | None]) -> sparse.csr_matrix:
        """[len(texts), n_columns] float32 counts."""
        padded = [" " + "  ".join(words) + " " if (words := (t or "").lower().split()) else "" for t in texts]
        lengths = np.fromiter((len(p) for p in padded), dtype=np.int64, count=len(padded))
        shape = (len(texts), self.n_columns)
        if not lengths.sum() or not len(self._keys):
            return sparse.csr_matrix(shape, dtype=np.float32)
        chars = _codepoints("".join(padded))
        text_of = np.repeat(np.arange(len(texts)), lengths)
        space = chars == 32
        lead = np.zeros(len(chars), dtype=bool)  # a word starts at its leading pad: a space before a non-space
        lead[:-1] = space[:-1] & ~space[1:]
        word_of = np.cumsum(lead)
        ranks = self._ranks(chars)
        rows, cols = [], []
        key = ranks.copy()
        for n in range(MIN_N, MAX_N + 1):
            key = (key[:-1] << self.bits) | ranks[n - 1:]  # key[p]: the n-gram starting at p
            starts = np.flatnonzero((word_of[: len(key)] == word_of[n - 1:]) & (ranks[: len(key)] > 0))
            found = np.searchsorted(self._keys, key[starts])
            found = np.minimum(found, len(self._keys) - 1)
            hit = self._keys[found] == key[starts]
            rows.append(text_of[starts[hit]])
            cols.append(self._columns[found[hit]])
        r, c = np.concatenate(rows), np.concatenate(cols)
        return sparse.csr_matrix((np.ones(len(r), dtype=np.float32), (r, c)), shape=shape)  # duplicates summed


class SklearnNgramCounter:
    """The same counts through scikit-learn's own analyzer (a Python loop per n-gram)."""

    def __init__(self, vocabulary: Mapping[str, int]):
        from sklearn.feature_extraction.text import CountVectorizer

        self._counter = CountVectorizer(**COUNTS, vocabulary=dict(vocabulary), dtype=np.float32)

    def transform(self, texts: Sequence[str | None]) -> sparse.csr_matrix:
        return self._counter.transform([t or "" for t in texts])


def ngram_counter(vocabulary: Mapping[str, int]) -> CharNgramCounter | SklearnNgramCounter:
    """`CharNgramCounter` where the vocabulary's alphabet allows exact keys, else scikit-learn's analyzer."""
    try:
        return CharNgramCounter(vocabulary)
    except ValueError:
        return SklearnNgramCounter(vocabulary)
