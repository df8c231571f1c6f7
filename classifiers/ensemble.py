"""Mix a char TF-IDF + logistic regression into a checkpoint's topic or sentiment scores, when validation says so.

`topic_ensemble(model_dir)` fits `TopicTfidf` on the authored logistics train split minus its validation carve
(`pipeline.logistics_splits`, the split the checkpoint's own thresholds were tuned on), mixes
`p = (1 - w) * p_model + w * p_tfidf` for each weight in `WEIGHTS`, and scores each weight by two-fold
cross-fitting on the validation split: thresholds tuned on one half (`metrics.best_threshold`) are applied to the
other. No test split is read. The mixture is written beside the checkpoint (`topic_tfidf.npz`, with thresholds
tuned on the whole validation split) only if the best weight beats w = 0 by more than one standard error; then the
topic fallback (`topic_fallback.py`) is chosen again for the new scores and thresholds.

`sentiment_ensemble(model_dir)` does the same for sentiment: a multinomial TF-IDF model fitted on the stage-1
training rows (`pipeline.sentiment_splits`) and the authored logistics train split, each weight scored by the mean
F1(pos,neg) over the four carved validation sets (banks, telecom, RuSentiment, logistics: a mixture that helps
tweets must not cost the product's own texts), shipped (`sentiment_tfidf.npz`) only if the best weight beats
w = 0 by more than the bootstrap standard error of that gain (rows redrawn within each set).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Callable

import numpy as np

from .metrics import f1_pos_neg, multilabel_report, tuned_thresholds
from .sentiment_tfidf import SentimentTfidf
from .tfidf_linear import SENTIMENT_FILE
from .topic_fallback import tune_fallback
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
        write_mixture(model_dir, tfidf if result["ship"] else None, FILE, echo)
        # the scores and thresholds it was chosen for have changed
        result["fallback"] = tune_fallback(model_dir, device=device, echo=echo)
    return result


def write_mixture(model_dir: str | Path, part, file: str, echo: Callable[[str], None]) -> None:
    """Save `part` beside the checkpoint (or remove a stale one when `part` is None)."""
    save = (lambda: part.save(model_dir)) if part is not None else None
    write_score_file(model_dir, file, save, f"mixture, weight {part.weight}" if part is not None
                     else "no weight beats the checkpoint alone", echo)


def write_score_file(model_dir: str | Path, file: str, save: Callable[[], Path] | None, what: str,
                     echo: Callable[[str], None]) -> None:
    """Write a score file beside the checkpoint (`save()` does, returning its path) or, when `save` is None, remove
    a stale one; either way the gate's cached predictions of the checkpoint are stale."""
    from .promote import OUTCOMES_CACHE

    (Path(model_dir) / OUTCOMES_CACHE).unlink(missing_ok=True)
    target = Path(model_dir) / file
    if save is not None:
        echo(f"written: {save()} ({what})")
    elif target.exists():
        target.unlink()
        echo(f"{what}: {target} removed")
    else:
        echo(f"{what}: nothing written")


def sentiment_score(probs: dict[str, np.ndarray], val: dict[str, list[dict]], labels, rows=None) -> float:
    """Mean F1(pos,neg) over the validation sets (`rows`: per set, the row indices to read; default all)."""
    out = []
    for name, p in probs.items():
        idx = rows[name] if rows is not None else range(len(p))
        gold = [val[name][i]["sentiment"] for i in idx]
        out.append(f1_pos_neg(gold, [labels[j] for j in p[list(idx)].argmax(1)]))
    return float(np.mean(out))


def choose_sentiment_weight(p_model: dict[str, np.ndarray], p_tfidf: dict[str, np.ndarray],
                            val: dict[str, list[dict]], labels, replicates: int = 300, seed: int = 13) -> dict:
    """Validation score per weight; `ship` when the best beats w = 0 by more than the gain's bootstrap SE."""
    mixed = {w: {k: mixture(p_model[k], p_tfidf[k], w) for k in p_model} for w in WEIGHTS}
    scores = {w: sentiment_score(mixed[w], val, labels) for w in WEIGHTS}
    best = max(scores, key=scores.get)
    rng = np.random.default_rng(seed)
    gains = []
    for _ in range(replicates):
        draw = {k: rng.integers(0, len(v), len(v)) for k, v in val.items()}
        gains.append(sentiment_score(mixed[best], val, labels, draw) - sentiment_score(mixed[0.0], val, labels, draw))
    se = float(np.std(gains))
    return {"validation_rows": {k: len(v) for k, v in val.items()},
            "f1pn_by_weight": {str(w): round(f, 4) for w, f in scores.items()}, "best_weight": best,
            "gain_standard_error": round(se, 4), "ship": best > 0 and scores[best] - scores[0.0] > se}


def sentiment_ensemble(model_dir: str | Path, device: str = "cpu", write: bool = True,
                       echo: Callable[[str], None] = print) -> dict:
    """Fit, choose and (when it helps and `write`) save the TF-IDF sentiment mixture of `model_dir`."""
    from .model import load_checkpoint
    from .pipeline import logistics_splits, sentiment_splits

    clf = load_checkpoint(model_dir, device=device)
    clf.sentiment_tfidf = None  # the checkpoint's own sentiment scores
    train, val = sentiment_splits()
    log_train, log_val = logistics_splits(clf.topic_codes)
    train = train + [r for r in log_train if r.get("sentiment") in clf.sentiments]
    val = {**val, "logistics": [r for r in log_val if r.get("sentiment") in clf.sentiments]}
    echo(f"TF-IDF sentiment model on {len(train)} training texts; weights chosen on "
         f"{', '.join(f'{k} {len(v)}' for k, v in val.items())} validation texts")
    tfidf = SentimentTfidf.fit(train, clf.sentiments)
    p_model, p_tfidf = {}, {}
    for name, rows in val.items():
        texts = [r["text"] for r in rows]
        p_model[name] = clf.scores(texts)[0]
        p_tfidf[name] = tfidf.probs(texts)
    result = choose_sentiment_weight(p_model, p_tfidf, val, clf.sentiments)
    for w, f in result["f1pn_by_weight"].items():
        echo(f"  TF-IDF weight {float(w):.2f}: validation mean F1(pos,neg) {f:.4f}")
    if result["ship"]:
        tfidf.weight = result["best_weight"]
    if write:
        write_mixture(model_dir, tfidf if result["ship"] else None, SENTIMENT_FILE, echo)
    return result
