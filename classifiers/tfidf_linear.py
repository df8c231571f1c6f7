"""Linear models on char 2-5-gram TF-IDF, stored as plain arrays (no pickle, no scikit-learn version pinning).

The shared part of the topic and sentiment mixtures (`topic_tfidf.py`, `sentiment_tfidf.py`): the n-gram
vocabulary and idf of the vectorizer, one row of coefficients per output, the mixing weight `w` of
`p = (1 - w) * p_model + w * p_tfidf`, and the compressed `.npz` layout (coefficients in fp16).

`JointTfidf` scores several parts at once: counting a text's char n-grams is most of a part's cost, and the parts
share the analyzer, so the n-grams are counted once over the union of the vocabularies (`char_ngrams.py`, the
counts scikit-learn's analyzer gives, in numpy) and each part's TF-IDF (sublinear tf, its own idf, L2 norm over
its own vocabulary) is folded into one sparse product.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .char_ngrams import COUNTS, ngram_counter

TOPIC_FILE = "topic_tfidf.npz"
SENTIMENT_FILE = "sentiment_tfidf.npz"
MIXTURE_FILES = (TOPIC_FILE, SENTIMENT_FILE)  # with topic_fallback.FILE: `topic_fallback.SCORE_FILES`

# what `CharNgramCounter` counts at inference; the vectorizer fitted on it must read texts the same way
ANALYZER = {**COUNTS, "sublinear_tf": True}


def vectorizer(**kw):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(**ANALYZER, **kw)


def fit_features(texts: Sequence[str], min_df: int = 2, max_features: int = 300_000):
    """(fitted vectorizer, X, vocabulary in column order) for `texts`."""
    vec = vectorizer(min_df=min_df, max_features=max_features)
    X = vec.fit_transform(list(texts))
    return vec, X, sorted(vec.vocabulary_, key=vec.vocabulary_.get)


@dataclass
class TfidfLinear:
    """Per-output linear scores `z = tfidf(text) @ coef.T + intercept` over a stored vocabulary."""

    vocabulary: list[str]
    idf: np.ndarray  # [V]
    coef: np.ndarray  # [K, V]
    intercept: np.ndarray  # [K]
    weight: float = 0.0

    def linear(self, texts: Sequence[str]) -> np.ndarray:
        """[len(texts), K] linear scores."""
        if not hasattr(self, "_joint"):
            self._joint = JointTfidf([self])
        return self._joint.linear(texts)[0]

    def arrays(self) -> dict[str, np.ndarray]:
        return {"vocabulary": np.array(self.vocabulary), "idf": self.idf.astype(np.float32),
                "coef": self.coef.astype(np.float16), "intercept": self.intercept.astype(np.float32),
                "weight": np.float32(self.weight)}

    @staticmethod
    def read(path: Path) -> dict | None:
        """The stored arrays as plain Python/numpy values, or None when `path` does not exist."""
        if not path.exists():
            return None
        with np.load(path, allow_pickle=False) as z:
            out = {k: z[k] for k in z.files}
        out["vocabulary"] = [str(g) for g in out["vocabulary"]]
        out["coef"] = out["coef"].astype(np.float32)
        out["weight"] = round(float(out["weight"]), 4)  # stored as float32
        return out


class JointTfidf:
    """The linear scores of several `TfidfLinear` parts, each text's char n-grams counted once for all of them."""

    def __init__(self, parts: Sequence[TfidfLinear]):
        self.parts = list(parts)
        union: dict[str, int] = {}
        columns = [np.fromiter((union.setdefault(g, len(union)) for g in p.vocabulary), dtype=np.int64,
                               count=len(p.vocabulary)) for p in self.parts]
        self.vocabulary = union  # every part's n-grams, columns of the counts
        self._counter = ngram_counter(union)
        widths = [len(p.intercept) for p in self.parts]
        self._offsets = np.concatenate([[0], np.cumsum(widths)]).astype(int)
        self._weights = np.zeros((len(union), self._offsets[-1]), dtype=np.float32)  # idf-scaled coefficients
        self._idf_sq = np.zeros((len(union), len(self.parts)), dtype=np.float32)  # for each part's L2 norm
        for k, (part, cols) in enumerate(zip(self.parts, columns)):
            idf = part.idf.astype(np.float64)
            self._weights[cols, self._offsets[k]:self._offsets[k + 1]] = idf[:, None] * part.coef.T
            self._idf_sq[cols, k] = idf ** 2

    def linear(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Per part, the [len(texts), K] linear scores `part.linear(texts)` would give."""
        tf = self._counter.transform(texts)
        np.log(tf.data, out=tf.data)
        tf.data += 1.0  # sublinear tf, as TfidfVectorizer(sublinear_tf=True)
        z = np.asarray(tf @ self._weights)
        norms = np.sqrt(np.asarray(tf.multiply(tf) @ self._idf_sq))
        norms[norms == 0] = 1.0  # a text with no known n-gram scores its intercepts
        return [z[:, a:b] / norms[:, [k]] + part.intercept
                for k, (part, a, b) in enumerate(zip(self.parts, self._offsets[:-1], self._offsets[1:]))]
