"""Would averaging the topic probabilities with a char TF-IDF + logistic regression help? Decided on validation.

`topic_ensemble_experiment(model_dir)` fits the TF-IDF model on the authored logistics train split minus its
validation carve (`pipeline.logistics_splits`, the split the model's thresholds are tuned on), mixes
`p = (1 - w) * p_model + w * p_tfidf` for a few weights, and scores each weight by two-fold cross-fitting
on the validation split: thresholds tuned on one half (`metrics.best_threshold`) are applied to the other.
No test split is read. The ensemble ships only if a weight beats w = 0 by more than the noise of that estimate.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from .metrics import best_threshold, multilabel_report

WEIGHTS = (0.0, 0.2, 0.35, 0.5)


def tfidf_topic_probs(train_rows: list[dict], rows: list[dict], codes) -> np.ndarray:
    """[len(rows), len(codes)] probabilities of one-vs-rest char TF-IDF + logistic regression."""
    from sklearn.linear_model import LogisticRegression

    from .evaluate import tfidf_features

    vec = tfidf_features()
    X = vec.fit_transform([r["text"] for r in train_rows])
    Xv = vec.transform([r["text"] for r in rows])
    out = np.zeros((len(rows), len(codes)))
    for j, c in enumerate(codes):
        y = np.array([c in r["topics"] for r in train_rows])
        if y.any() and not y.all():
            out[:, j] = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced").fit(X, y).predict_proba(Xv)[:, 1]
    return out


def cross_fit_micro_f1(probs: np.ndarray, rows: list[dict], codes, seed: int = 13) -> float:
    """Micro-F1 with per-topic thresholds tuned on one half of `rows` and applied to the other (both ways)."""
    idx = list(range(len(rows)))
    random.Random(seed).shuffle(idx)
    halves = [idx[: len(idx) // 2], idx[len(idx) // 2 :]]
    gold, pred = [], []
    for tune, apply in (halves, halves[::-1]):
        th = [best_threshold(probs[tune, j].tolist(), [c in rows[i]["topics"] for i in tune]) for j, c in enumerate(codes)]
        for i in apply:
            gold.append(rows[i]["topics"])
            pred.append([c for j, c in enumerate(codes) if probs[i, j] >= th[j]])
    return multilabel_report(gold, pred, codes)["micro_f1"]


def topic_ensemble_experiment(model_dir: str | Path, device: str = "auto", echo=print) -> dict:
    """Cross-fitted validation micro-F1 per TF-IDF weight, and whether the best weight is worth shipping."""
    from .model import load_checkpoint
    from .pipeline import logistics_splits
    from .taxonomy import load_taxonomy

    codes = load_taxonomy().codes
    train, val = logistics_splits(codes)
    clf = load_checkpoint(model_dir, device=device)
    _, pt = clf.scores([r["text"] for r in val])
    p_model = pt[:, [clf.topic_codes.index(c) for c in codes]]
    p_tfidf = tfidf_topic_probs(train, val, codes)
    scores = {w: cross_fit_micro_f1((1 - w) * p_model + w * p_tfidf, val, codes) for w in WEIGHTS}
    for w, f in scores.items():
        echo(f"  TF-IDF weight {w:.2f}: cross-fitted validation topic micro-F1 {f:.4f}")
    best = max(scores, key=scores.get)
    # noise of a micro-F1 on this many positives, as in the one-standard-error threshold rule
    positives = sum(len(r["topics"]) for r in val)
    se = (scores[0.0] * (1 - scores[0.0]) / positives) ** 0.5
    keep = best > 0 and scores[best] - scores[0.0] > se
    return {"validation_rows": len(val), "micro_f1_by_weight": {str(w): round(f, 4) for w, f in scores.items()},
            "best_weight": best, "standard_error": round(se, 4), "ship": keep}
