"""A text that no topic's threshold admits gets its best-scoring topic when that scores high enough, else `other`.

Every text gets at least one topic. Before, a text with no topic at or above its threshold always got the catch-all
`other`: on the logistics validation split that was right for 8 of the model's 72 such texts, while the best-scoring
specific topic was right for about half of them. `choose_min_score` picks, on that validation split (carved from
the training data; no test split is read), the score the best topic must reach to be used instead (`MIN_SCORES`, or
never: the old rule), and `tune_fallback(model_dir)` writes it beside the checkpoint (`topic_fallback.json`) only
when it beats the old rule by more than one standard error. `spam` is never guessed (`NEVER_GUESSED`). The
thresholds it is chosen with are the checkpoint's final ones, so `otklik ensemble-topics` tunes it again after
refitting the topic mixture.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .metrics import multilabel_report
from .tfidf_linear import MIXTURE_FILES

FILE = "topic_fallback.json"
# Topics only their own threshold may assign: `spam` closes its ticket unanswered (responders/rules.yaml), and a
# guess should never do that to a customer's complaint (on validation 2 of the model's 6 spam guesses were wrong).
NEVER_GUESSED = frozenset({"spam"})
SCORE_FILES = (*MIXTURE_FILES, FILE)  # what travels with a checkpoint whose logits are unchanged
MIN_SCORES = (0.1, 0.2, 0.3, 0.4)


def topic_sets(probs: np.ndarray, codes: Sequence[str], thresholds: dict[str, float], catch_all: str | None,
               min_score: float | None) -> list[list[str]]:
    """Each row's topics, highest score first: those at or above their thresholds; if none, the best topic other
    than `catch_all` and `NEVER_GUESSED` when it reaches `min_score`, else `catch_all` (none when it is None)."""
    th = np.array([thresholds.get(c, 0.5) for c in codes], dtype=probs.dtype)
    others = np.array([c != catch_all and c not in NEVER_GUESSED for c in codes])
    out = []
    for row in probs:
        picked = np.flatnonzero(row >= th)
        if not len(picked) and min_score is not None and others.any():
            best = int(np.flatnonzero(others)[row[others].argmax()])
            picked = np.array([best]) if row[best] >= min_score else picked
        topics = [codes[j] for j in picked[np.argsort(-row[picked], kind="stable")]]
        out.append(topics or ([catch_all] if catch_all else []))
    return out


def choose_min_score(probs: np.ndarray, val: list[dict], codes: Sequence[str], thresholds: dict[str, float],
                     catch_all: str | None) -> dict:
    """Validation topic micro-F1 per minimum score (and for never); `ship` when the best beats never by over one SE."""
    gold = [r["topics"] for r in val]

    def micro(min_score):
        return multilabel_report(gold, topic_sets(probs, codes, thresholds, catch_all, min_score), codes)["micro_f1"]

    never = micro(None)
    scores = {t: micro(t) for t in MIN_SCORES}
    best = max(scores, key=scores.get)
    positives = sum(len(g) for g in gold)
    se = (never * (1 - never) / positives) ** 0.5
    return {"validation_rows": len(val), "micro_f1_never": round(never, 4),
            "micro_f1_by_min_score": {str(t): round(f, 4) for t, f in scores.items()}, "best_min_score": best,
            "standard_error": round(se, 4), "ship": scores[best] - never > se}


def read_min_score(model_dir: str | Path) -> float | None:
    """The stored minimum score beside a checkpoint, or None (the old rule: always the catch-all)."""
    path = Path(model_dir) / FILE
    if not path.exists():
        return None
    return float(json.loads(path.read_text(encoding="utf-8"))["min_score"])


def tune_fallback(model_dir: str | Path, device: str = "cpu", write: bool = True,
                  echo: Callable[[str], None] = print) -> dict:
    """Choose the minimum score for `model_dir` on the logistics validation split and (when it helps) write it."""
    from .ensemble import write_score_file  # (ensemble imports this module)
    from .model import load_checkpoint
    from .pipeline import logistics_splits

    clf = load_checkpoint(model_dir, device=device)
    _, val = logistics_splits(clf.topic_codes)
    _, probs = clf.scores([r["text"] for r in val])  # the final scores, mixtures included
    result = choose_min_score(probs, val, clf.topic_codes, clf.thresholds, clf.fallback_topic)
    echo(f"no topic above threshold → always {clf.fallback_topic}: validation topic micro-F1 "
         f"{result['micro_f1_never']:.4f}")
    for t, f in result["micro_f1_by_min_score"].items():
        echo(f"  → the best topic when it scores ≥ {t}: {f:.4f}")
    if not write:
        return result
    target = Path(model_dir) / FILE

    def save() -> Path:
        target.write_text(json.dumps({"min_score": result["best_min_score"], "validation": result}, indent=1) + "\n",
                          encoding="utf-8")
        return target

    write_score_file(model_dir, FILE, save if result["ship"] else None,
                     f"min score {result['best_min_score']}" if result["ship"]
                     else "no minimum score beats the old rule", echo)
    return result
