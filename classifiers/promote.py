"""The promotion gate: a candidate replaces the shipped default only if it is not worse on the fixed evaluation sets.

Fixed evaluation sets (never trained on): SentiRuEval tweets `test` per domain (F1 pos/neg),
RuSentiment `test` (3-class macro F1), the authored logistics `test` files (topic micro
F1 and sentiment macro F1). A metric counts as worse when it drops by more than
`tolerance` (default 0.005). Versions are kept: the candidate stays in its
`models/<version>/` directory and the replaced default is copied to
`<archive>/<its version>/` before `classifiers/models/default/` is overwritten.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Callable

from .registry import DEFAULT_MODEL_DIR

KEY_METRICS = ("banks_f1pn", "telecom_f1pn", "rusentiment_macro_f1", "logistics_topic_micro_f1",
               "logistics_sentiment_macro_f1")
TOLERANCE = 0.005


def fixed_eval_metrics(model_dir: str | Path, device: str = "auto") -> dict[str, float]:
    """The gate's metrics for one checkpoint (cached in `<dir>/otklik_eval.json` per data fingerprint)."""
    from .evaluate import eval_fingerprint, score_fixed_sets

    model_dir = Path(model_dir)
    fp = eval_fingerprint()
    cache = model_dir / "otklik_eval.json"
    if cache.exists():
        try:
            data = json.loads(cache.read_text())
            if data.get("fingerprint") == fp:
                return data["metrics"]
        except (ValueError, KeyError):
            pass
    metrics = score_fixed_sets(model_dir, device=device)
    try:
        cache.write_text(json.dumps({"fingerprint": fp, "metrics": metrics}, indent=1))
    except OSError:
        pass
    return metrics


def compare_metrics(candidate: dict, current: dict, tolerance: float = TOLERANCE, keys=KEY_METRICS):
    """Rows (metric, current, candidate, delta, worse) for the metrics both have; and whether none is worse."""
    rows = []
    for k in keys:
        a, b = current.get(k), candidate.get(k)
        if a is None or b is None:
            continue
        delta = b - a
        rows.append((k, a, b, delta, delta < -tolerance))
    return rows, not any(r[4] for r in rows)


def format_comparison(rows) -> str:
    lines = [f"{'metric':32s} {'current':>8s} {'candidate':>9s} {'delta':>8s}"]
    for k, a, b, d, worse in rows:
        lines.append(f"{k:32s} {a:8.4f} {b:9.4f} {d:+8.4f}{'  WORSE' if worse else ''}")
    return "\n".join(lines)


def promote_candidate(candidate: str | Path, *, default_dir: str | Path = DEFAULT_MODEL_DIR, archive_dir: str | Path | None = None,
                      force: bool = False, tolerance: float = TOLERANCE, echo: Callable[[str], None] = print,
                      metrics_fn: Callable[[Path], dict] = fixed_eval_metrics) -> bool:
    """Promote `candidate` to `default_dir` unless it is worse than the current default; return True if promoted."""
    from transformers import AutoConfig

    candidate, default_dir = Path(candidate), Path(default_dir)
    archive = Path(archive_dir) if archive_dir else candidate.parent
    if (default_dir / "config.json").exists():
        cand_metrics = metrics_fn(candidate)
        cur_metrics = metrics_fn(default_dir)
        rows, ok = compare_metrics(cand_metrics, cur_metrics, tolerance)
        echo(format_comparison(rows))
        if not ok and not force:
            echo(f"NOT promoted: {candidate} is worse than the current default on the fixed evaluation sets "
                 f"(use --force to override)")
            return False
        old_version = getattr(AutoConfig.from_pretrained(default_dir), "otklik_model_version", None) or "previous"
        keep = archive / old_version
        if not keep.exists():
            shutil.copytree(default_dir, keep)
            echo(f"kept the previous default as {keep}")
        if not ok:
            echo("promoting despite a worse metric (--force)")
    else:
        echo("no current default: promoting the candidate")
    tmp = default_dir.with_name(default_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(candidate, tmp, ignore=shutil.ignore_patterns("resume.pt", "*.tmp"))
    shutil.rmtree(default_dir, ignore_errors=True)
    tmp.rename(default_dir)
    echo(f"promoted {candidate} → {default_dir}")
    return True
