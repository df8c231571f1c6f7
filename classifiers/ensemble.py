"""Mix a char TF-IDF + logistic regression into a checkpoint's topic scores, when validation says it helps.

`topic_ensemble(model_dir)` fits `TopicTfidf` on the authored logistics train split minus its validation carve
(`pipeline.logistics_splits`, the split the checkpoint's own thresholds were tuned on), mixes
`p = (1 - w) * p_model + w * p_tfidf` for each weight in `WEIGHTS`, and scores each weight by two-fold
cross-fitting on the validation split: thresholds tuned on one half (`metrics.best_threshold`) are applied to the
other. No test split is read. The mixture is written beside the checkpoint (`topic_tfidf.npz`, with thresholds
tuned on the whole validation split) only if the best weight beats w = 0 by more than one standard error.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Callable

import numpy as np

from .metrics import multilabel_report, tuned_thresholds
from .topic_tfidf import FILE, TopicTfidf

WEIGHTS = (0.0, 0.2, 0.35, 0.5, 0.65, 0.8)


def mixture(p_model: np.ndarray, p_tfidf: np.ndarray, w: float) -> np.ndarray:
    return (1 - w) * p_model + w * p_tfidf


def cross_fit_micro_f1(probs: np.ndarray, rows: list[dict], codes, seed: int = 13) -> float:
    """Micro-F1 with per-topic thresholds tuned on one half of `rows` and applied to the other (both ways)."""
    idx = list(range(len(rows)))
    random.Random(seed).shuffle(idx)
    halves = [idx[: len(idx) // 2], idx[len(idx) // 2 :]]
    gold, pred = [], []
    for tune, apply in (halves, halves[::-1]):
        th = tuned_thresholds(probs[tune], [rows[i] for i in tune], codes)
        for i in apply:
            gold.append(rows[i]["topics"])
            pred.append([c for j, c in enumerate(codes) if probs[i, j] >= th[c]])
    return multilabel_report(gold, pred, codes)["micro_f1"]


def choose_weight(p_model: np.ndarray, p_tfidf: np.ndarray, val: list[dict], codes) -> dict:
    """Cross-fitted validation micro-F1 per weight; `ship` when the best beats w = 0 by over one standard error."""
    scores = {w: cross_fit_micro_f1(mixture(p_model, p_tfidf, w), val, codes) for w in WEIGHTS}
    best = max(scores, key=scores.get)
    positives = sum(len(r["topics"]) for r in val)
    se = (scores[0.0] * (1 - scores[0.0]) / positives) ** 0.5
    return {"validation_rows": len(val), "micro_f1_by_weight": {str(w): round(f, 4) for w, f in scores.items()},
            "best_weight": best, "standard_error": round(se, 4), "ship": best > 0 and scores[best] - scores[0.0] > se}


def topic_ensemble(model_dir: str | Path, device: str = "cpu", write: bool = True,
                   echo: Callable[[str], None] = print) -> dict:
    """Fit, choose and (when it helps and `write`) save the TF-IDF mixture of the checkpoint at `model_dir`."""
    from .model import load_checkpoint
    from .pipeline import logistics_splits

    clf = load_checkpoint(model_dir, device=device)
    clf.topic_tfidf = None  # the checkpoint's own topic scores, whatever mixture it holds now
    codes = clf.topic_codes
    train, val = logistics_splits(codes)
    echo(f"TF-IDF topic model on {len(train)} training texts; weights chosen on {len(val)} validation texts")
    tfidf = TopicTfidf.fit(train, codes)
    texts = [r["text"] for r in val]
    _, p_model = clf.scores(texts)
    p_tfidf = tfidf.probs(texts)
    result = choose_weight(p_model, p_tfidf, val, codes)
    for w, f in result["micro_f1_by_weight"].items():
        echo(f"  TF-IDF weight {float(w):.2f}: cross-fitted validation topic micro-F1 {f:.4f}")
    if result["ship"]:
        tfidf.weight = result["best_weight"]
        tfidf.thresholds = tuned_thresholds(mixture(p_model, p_tfidf, tfidf.weight), val, codes)
        result["thresholds"] = tfidf.thresholds
    if write:
        from .promote import OUTCOMES_CACHE

        (Path(model_dir) / OUTCOMES_CACHE).unlink(missing_ok=True)  # the gate's cached predictions are stale now
        target = Path(model_dir) / FILE
        if result["ship"]:
            echo(f"mixture written: {tfidf.save(model_dir)} (weight {tfidf.weight})")
        elif target.exists():
            target.unlink()
            echo(f"no weight beats the checkpoint alone: {target} removed")
        else:
            echo("no weight beats the checkpoint alone: nothing written")
    return result
