"""Char TF-IDF + logistic regression topic probabilities, mixed into a checkpoint's topic scores.

A checkpoint directory may hold `topic_tfidf.npz` beside its weights: the n-gram vocabulary and idf of a char
2-5-gram TF-IDF, one logistic regression per topic, the mixing weight `w` and the per-topic thresholds of the
mixture `p = (1 - w) * p_model + w * p_tfidf`. Loading it needs neither pickle nor the scikit-learn version that
fitted it. Without the file a checkpoint scores topics alone with its own thresholds (a fresh `save_pretrained`
directory, e.g. a retrained candidate, never inherits a mixture tuned for other weights).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

FILE = "topic_tfidf.npz"
ANALYZER = {"analyzer": "char_wb", "ngram_range": (2, 5), "sublinear_tf": True, "lowercase": True}


def vectorizer(**kw):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(**ANALYZER, **kw)


@dataclass
class TopicTfidf:
    codes: list[str]
    vocabulary: list[str]
    idf: np.ndarray  # [V]
    coef: np.ndarray  # [T, V]
    intercept: np.ndarray  # [T]
    weight: float = 0.0
    thresholds: dict[str, float] | None = None

    @classmethod
    def fit(cls, rows: Sequence[dict], codes: Sequence[str], C: float = 4.0, min_df: int = 2,
            max_features: int = 300_000) -> "TopicTfidf":
        """One-vs-rest balanced logistic regressions on char TF-IDF of `rows` ({"text", "topics"})."""
        from sklearn.linear_model import LogisticRegression

        vec = vectorizer(min_df=min_df, max_features=max_features)
        X = vec.fit_transform([r["text"] for r in rows])
        coef = np.zeros((len(codes), X.shape[1]), dtype=np.float32)
        intercept = np.full(len(codes), -20.0, dtype=np.float32)  # a topic without examples never fires
        for j, c in enumerate(codes):
            y = np.array([c in r["topics"] for r in rows])
            if y.any() and not y.all():
                lr = LogisticRegression(C=C, max_iter=2000, class_weight="balanced").fit(X, y)
                coef[j], intercept[j] = lr.coef_[0], lr.intercept_[0]
        vocab = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
        return cls(list(codes), vocab, vec.idf_.astype(np.float32), coef, intercept)

    def probs(self, texts: Sequence[str]) -> np.ndarray:
        """[len(texts), len(codes)] topic probabilities."""
        if not hasattr(self, "_vec"):
            self._vec = vectorizer(vocabulary={g: i for i, g in enumerate(self.vocabulary)})
            self._vec.idf_ = self.idf.astype(np.float64)
        X = self._vec.transform([t or "" for t in texts])
        z = np.asarray(X @ self.coef.T.astype(np.float32)) + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def mix(self, p_model: np.ndarray, texts: Sequence[str], model_codes: Sequence[str]) -> np.ndarray:
        """The mixture in the model's column order (a model topic the TF-IDF part lacks keeps its own score)."""
        p_tfidf = self.probs(texts)
        out = p_model.copy()
        for j, c in enumerate(model_codes):
            if c in self.codes:
                out[:, j] = (1 - self.weight) * p_model[:, j] + self.weight * p_tfidf[:, self.codes.index(c)]
        return out

    def save(self, directory: str | Path) -> Path:
        path = Path(directory) / FILE
        th = self.thresholds or {}
        np.savez_compressed(path, codes=np.array(self.codes), vocabulary=np.array(self.vocabulary),
                            idf=self.idf.astype(np.float32), coef=self.coef.astype(np.float16),
                            intercept=self.intercept.astype(np.float32), weight=np.float32(self.weight),
                            thresholds=np.array([th.get(c, 0.5) for c in self.codes], dtype=np.float32))
        return path

    @classmethod
    def load(cls, directory: str | Path) -> "TopicTfidf | None":
        path = Path(directory) / FILE
        if not path.exists():
            return None
        with np.load(path, allow_pickle=False) as z:
            codes = [str(c) for c in z["codes"]]
            return cls(codes, [str(g) for g in z["vocabulary"]], z["idf"], z["coef"].astype(np.float32),
                       z["intercept"], float(z["weight"]),
                       {c: round(float(t), 4) for c, t in zip(codes, z["thresholds"])})
