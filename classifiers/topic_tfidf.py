"""Char TF-IDF + logistic regression topic probabilities, mixed into a checkpoint's topic scores.

A checkpoint directory may hold `topic_tfidf.npz` beside its weights: one logistic regression per topic on a
char 2-5-gram TF-IDF (`tfidf_linear.py`), the mixing weight `w` and the per-topic thresholds of the mixture
`p = (1 - w) * p_model + w * p_tfidf`. Without the file a checkpoint scores topics alone with its own thresholds
(a fresh `save_pretrained` directory, e.g. a retrained candidate, never inherits a mixture tuned for other weights).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .tfidf_linear import ANALYZER, TOPIC_FILE, TfidfLinear, fit_features, vectorizer  # noqa: F401  (re-exported)

FILE = TOPIC_FILE


@dataclass
class TopicTfidf(TfidfLinear):
    codes: list[str] | None = None
    thresholds: dict[str, float] | None = None

    @classmethod
    def fit(cls, rows: Sequence[dict], codes: Sequence[str], C: float = 4.0, min_df: int = 2,
            max_features: int = 300_000) -> "TopicTfidf":
        """One-vs-rest balanced logistic regressions on char TF-IDF of `rows` ({"text", "topics"})."""
        from sklearn.linear_model import LogisticRegression

        vec, X, vocab = fit_features([r["text"] for r in rows], min_df, max_features)
        coef = np.zeros((len(codes), X.shape[1]), dtype=np.float32)
        intercept = np.full(len(codes), -20.0, dtype=np.float32)  # a topic without examples never fires
        for j, c in enumerate(codes):
            y = np.array([c in r["topics"] for r in rows])
            if y.any() and not y.all():
                lr = LogisticRegression(C=C, max_iter=2000, class_weight="balanced").fit(X, y)
                coef[j], intercept[j] = lr.coef_[0], lr.intercept_[0]
        return cls(vocab, vec.idf_.astype(np.float32), coef, intercept, codes=list(codes))

    def probs(self, texts: Sequence[str], linear: np.ndarray | None = None) -> np.ndarray:
        """[len(texts), len(codes)] topic probabilities (from `linear`, this part's scores, when given)."""
        return 1.0 / (1.0 + np.exp(-(self.linear(texts) if linear is None else linear)))

    def mix(self, p_model: np.ndarray, texts: Sequence[str], model_codes: Sequence[str],
            linear: np.ndarray | None = None) -> np.ndarray:
        """The mixture in the model's column order (a model topic the TF-IDF part lacks keeps its own score)."""
        p_tfidf = self.probs(texts, linear)
        out = p_model.copy()
        for j, c in enumerate(model_codes):
            if c in self.codes:
                out[:, j] = (1 - self.weight) * p_model[:, j] + self.weight * p_tfidf[:, self.codes.index(c)]
        return out

    def save(self, directory: str | Path) -> Path:
        path = Path(directory) / FILE
        th = self.thresholds or {}
        np.savez_compressed(path, codes=np.array(self.codes), **self.arrays(),
                            thresholds=np.array([th.get(c, 0.5) for c in self.codes], dtype=np.float32))
        return path

    @classmethod
    def load(cls, directory: str | Path) -> "TopicTfidf | None":
        z = TfidfLinear.read(Path(directory) / FILE)
        if z is None:
            return None
        codes = [str(c) for c in z["codes"]]
        return cls(z["vocabulary"], z["idf"], z["coef"], z["intercept"], z["weight"], codes=codes,
                   thresholds={c: round(float(t), 4) for c, t in zip(codes, z["thresholds"])})
