"""Evaluation metrics, written out so that they can be checked by hand (see tests)."""

from __future__ import annotations

from typing import Sequence


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def class_f1(gold: Sequence[str], pred: Sequence[str], label: str) -> float:
    tp = sum(1 for g, p in zip(gold, pred) if g == label and p == label)
    fp = sum(1 for g, p in zip(gold, pred) if g != label and p == label)
    fn = sum(1 for g, p in zip(gold, pred) if g == label and p != label)
    return prf(tp, fp, fn)[2]


def f1_pos_neg(gold: Sequence[str], pred: Sequence[str]) -> float:
    """SentiRuEval metric: the mean of the F1 of `positive` and of `negative` (neutral only hurts via errors)."""
    return (class_f1(gold, pred, "positive") + class_f1(gold, pred, "negative")) / 2


def macro_f1(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] = ("negative", "neutral", "positive")) -> float:
    return sum(class_f1(gold, pred, lab) for lab in labels) / len(labels)


def accuracy(gold: Sequence[str], pred: Sequence[str]) -> float:
    return sum(1 for g, p in zip(gold, pred) if g == p) / len(gold) if gold else 0.0


def multilabel_report(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]], labels: Sequence[str]) -> dict:
    """Per-label precision/recall/F1/support plus micro and macro F1 over `labels`."""
    per = {}
    TP = FP = FN = 0
    for lab in labels:
        tp = sum(1 for g, p in zip(gold, pred) if lab in g and lab in p)
        fp = sum(1 for g, p in zip(gold, pred) if lab not in g and lab in p)
        fn = sum(1 for g, p in zip(gold, pred) if lab in g and lab not in p)
        p_, r_, f_ = prf(tp, fp, fn)
        per[lab] = {"precision": p_, "recall": r_, "f1": f_, "support": tp + fn}
        TP, FP, FN = TP + tp, FP + fp, FN + fn
    micro = prf(TP, FP, FN)
    present = [lab for lab in labels if per[lab]["support"] > 0]
    macro = sum(per[lab]["f1"] for lab in present) / len(present) if present else 0.0
    return {"per_label": per, "micro_precision": micro[0], "micro_recall": micro[1], "micro_f1": micro[2], "macro_f1": macro}


def best_threshold(probs: Sequence[float], gold: Sequence[bool], grid: Sequence[float] | None = None,
                   default: float = 0.5, min_positives: int = 3, window: float = 0.1, one_se: bool = True,
                   high_recall: float | None = 0.85) -> float:
    """A decision threshold for one label from validation scores: F1, smoothed, moved off `default` only on evidence.

    Each grid threshold is scored by the mean F1 of the grid thresholds within ±`window` of it, so a
    broad plateau wins over a narrow spike that a few validation texts made (`window=0`: raw F1).
    With `one_se` the one-standard-error rule then picks, among the thresholds whose smoothed F1 is
    within one standard error of the best (√(F(1−F)/positives)), the one closest to `default`: with
    15-20 positives per topic the F1 curve is often flat from 0.2 to 0.8 and its argmax is noise.
    Precision first where recall is already high: when recall at `default` is at least `high_recall` and
    above precision, the rule picks the highest of those thresholds instead (moderators see fewer wrong
    topics at no significant cost in F1).
    """
    n_pos = sum(1 for g in gold if g)
    if n_pos < min_positives:
        return default
    grid = list(grid or [i / 100 for i in range(5, 96, 1)])
    f1 = []
    for t in grid:
        tp = sum(1 for p, g in zip(probs, gold) if p >= t and g)
        fp = sum(1 for p, g in zip(probs, gold) if p >= t and not g)
        fn = sum(1 for p, g in zip(probs, gold) if p < t and g)
        f1.append(prf(tp, fp, fn)[2])
    smooth = []
    for t in grid:
        near = [f for u, f in zip(grid, f1) if abs(u - t) <= window + 1e-9]
        smooth.append(round(sum(near) / len(near), 6))
    top = max(smooth)
    slack = (top * (1 - top) / n_pos) ** 0.5 if one_se else 0.0
    candidates = [t for t, f in zip(grid, smooth) if f >= top - slack - 1e-9]
    if high_recall is not None:
        tp = sum(1 for p, g in zip(probs, gold) if p >= default and g)
        fp = sum(1 for p, g in zip(probs, gold) if p >= default and not g)
        precision, recall, _ = prf(tp, fp, n_pos - tp)
        if recall >= high_recall and precision < recall:
            return float(max(candidates))
    return float(min(candidates, key=lambda t: (abs(t - default), t)))


def tuned_thresholds(probs, rows: list[dict], codes) -> dict[str, float]:
    """`best_threshold` per topic: column j of `probs` ([len(rows), len(codes)]) against rows' gold topics."""
    return {c: best_threshold(probs[:, j].tolist(), [c in r["topics"] for r in rows]) for j, c in enumerate(codes)}
