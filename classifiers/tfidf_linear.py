"""Linear models on char 2-5-gram TF-IDF, stored as plain arrays (no pickle, no scikit-learn version pinning).

The shared part of the topic and sentiment mixtures (`topic_tfidf.py`, `sentiment_tfidf.py`): the n-gram
vocabulary and idf of the vectorizer, one row of coefficients per output, the mixing weight `w` of
`p = (1 - w) * p_model + w * p_tfidf`, and the compressed `.npz` layout (coefficients in fp16).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

TOPIC_FILE = "topic_tfidf.npz"
SENTIMENT_FILE = "sentiment_tfidf.npz"
MIXTURE_FILES = (TOPIC_FILE, SENTIMENT_FILE)  # what travels with a checkpoint whose logits are unchanged

ANALYZER = {"analyzer": "char_wb", "ngram_range": (2, 5), "sublinear_tf": True, "lowercase": True}


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
        if not hasattr(self, "_vec"):
            self._vec = vectorizer(vocabulary={g: i for i, g in enumerate(self.vocabulary)})
            self._vec.idf_ = self.idf.astype(np.float64)
            self._coef_t = self.coef.T.astype(np.float32)
        X = self._vec.transform([t or "" for t in texts])
        return np.asarray(X @ self._coef_t) + self.intercept

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
