"""Char TF-IDF + multinomial logistic regression sentiment probabilities, mixed into a checkpoint's.

A checkpoint directory may hold `sentiment_tfidf.npz` beside its weights: a class-balanced multinomial
logistic regression on char 2-5-gram TF-IDF (`tfidf_linear.py`) trained on the sentiment training rows, and the
weight `w` of `p = (1 - w) * p_model + w * p_tfidf`; the label is the argmax of the mixture. No bias or
threshold is tuned on top: the validation data's class priors are not the fixed test sets' (tweets: 48 %
neutral in training, 68 % in the 2015 test), and a prior shift tuned on one hurts the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .tfidf_linear import SENTIMENT_FILE, TfidfLinear, fit_features

FILE = SENTIMENT_FILE


@dataclass
class SentimentTfidf(TfidfLinear):
    labels: list[str] | None = None

    @classmethod
    def fit(cls, rows: Sequence[dict], labels: Sequence[str], C: float = 4.0, min_df: int = 2,
            max_features: int = 300_000) -> "SentimentTfidf":
        """A class-balanced multinomial logistic regression on `rows` ({"text", "sentiment"})."""
        from sklearn.linear_model import LogisticRegression

        vec, X, vocab = fit_features([r["text"] for r in rows], min_df, max_features)
        y = [r["sentiment"] for r in rows]
        missing = set(labels) - set(y)
        if missing:
            raise ValueError(f"no training rows for sentiment labels {sorted(missing)}")
        lr = LogisticRegression(C=C, max_iter=2000, class_weight="balanced").fit(X, y)
        order = [list(lr.classes_).index(s) for s in labels]
        return cls(vocab, vec.idf_.astype(np.float32), lr.coef_[order].astype(np.float32),
                   lr.intercept_[order].astype(np.float32), labels=list(labels))

    def probs(self, texts: Sequence[str], linear: np.ndarray | None = None) -> np.ndarray:
        """[len(texts), len(labels)] class probabilities (from `linear`, this part's scores, when given)."""
        z = self.linear(texts) if linear is None else linear
        z = np.exp(z - z.max(1, keepdims=True))
        return z / z.sum(1, keepdims=True)

    def mix(self, p_model: np.ndarray, texts: Sequence[str], model_labels: Sequence[str],
            linear: np.ndarray | None = None) -> np.ndarray:
        """The mixture in the model's label order; the model's labels must be this part's labels."""
        if sorted(model_labels) != sorted(self.labels):
            raise ValueError(f"sentiment labels differ: model {list(model_labels)}, TF-IDF part {self.labels}")
        p_tfidf = self.probs(texts, linear)[:, [self.labels.index(s) for s in model_labels]]
        return (1 - self.weight) * p_model + self.weight * p_tfidf

    def save(self, directory: str | Path) -> Path:
        path = Path(directory) / FILE
        np.savez_compressed(path, labels=np.array(self.labels), **self.arrays())
        return path

    @classmethod
    def load(cls, directory: str | Path) -> "SentimentTfidf | None":
        z = TfidfLinear.read(Path(directory) / FILE)
        if z is None:
            return None
        return cls(z["vocabulary"], z["idf"], z["coef"], z["intercept"], z["weight"],
                   labels=[str(s) for s in z["labels"]])
