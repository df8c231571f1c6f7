"""The promotion gate: a candidate replaces the shipped default only if it is not worse on the fixed evaluation sets.

Fixed evaluation sets (never trained on): SentiRuEval tweets `test` per domain (F1 pos/neg), RuSentiment `test`
(3-class macro F1), the authored logistics `test` files (topic micro F1 and sentiment macro F1). The decision is
the joint paired bootstrap of `significance.py`: promoted when, in at least 90 % of the replicates, no metric is
worse by more than 0.01. Versions are kept: the candidate stays in its `models/<version>/` directory and the
replaced default is copied to `<archive>/<its version>/` before `classifiers/models/default/` is overwritten.
`otklik promote CANDIDATE` runs the gate by hand.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Callable

from .registry import DEFAULT_MODEL_DIR
from .significance import CONFIDENCE, TOLERANCE, GateResult, Outcomes, paired_bootstrap

OUTCOMES_CACHE = "otklik_eval_outcomes.json"


def fixed_set_outcomes(model_dir: str | Path, device: str = "auto") -> Outcomes:
    """One checkpoint's predictions on the fixed sets (cached in `<dir>/otklik_eval_outcomes.json` per data fingerprint)."""
    from .evaluate import eval_fingerprint, predict_fixed_sets

    from .model import READING

    model_dir = Path(model_dir)
    fp = f"{eval_fingerprint()}/{READING}"  # a change of how texts are read makes the cached labels stale
    cache = model_dir / OUTCOMES_CACHE
    if cache.exists():
        try:
            data = json.loads(cache.read_text())
            if data.get("fingerprint") == fp:
                return Outcomes.from_json(data["outcomes"])
        except (ValueError, KeyError, TypeError):
            pass
    outcomes = predict_fixed_sets(model_dir, device=device)
    try:
        cache.write_text(json.dumps({"fingerprint": fp, "outcomes": outcomes.to_json()}, ensure_ascii=False))
    except OSError:
        pass
    return outcomes


def fixed_eval_metrics(model_dir: str | Path, device: str = "auto") -> dict[str, float]:
    """The gate's point metrics for one checkpoint."""
    outcomes = fixed_set_outcomes(model_dir, device)
    result = paired_bootstrap(outcomes, outcomes, replicates=1)
    return {m.name: m.current for m in result.metrics}


def gate(candidate: str | Path, current: str | Path, *, tolerance: float = TOLERANCE, confidence: float = CONFIDENCE,
         outcomes_fn: Callable[[Path], Outcomes] = fixed_set_outcomes) -> GateResult:
    """The joint paired bootstrap of `candidate` against `current`."""
    return paired_bootstrap(outcomes_fn(Path(candidate)), outcomes_fn(Path(current)), tolerance, confidence)


def promote_candidate(candidate: str | Path, *, default_dir: str | Path = DEFAULT_MODEL_DIR, archive_dir: str | Path | None = None,
                      force: bool = False, tolerance: float = TOLERANCE, confidence: float = CONFIDENCE,
                      echo: Callable[[str], None] = print,
                      outcomes_fn: Callable[[Path], Outcomes] = fixed_set_outcomes) -> bool:
    """Promote `candidate` to `default_dir` unless it is worse than the current default; return True if promoted."""
    from transformers import AutoConfig

    candidate, default_dir = Path(candidate), Path(default_dir)
    archive = Path(archive_dir) if archive_dir else candidate.parent
    if (default_dir / "config.json").exists():
        result = gate(candidate, default_dir, tolerance=tolerance, confidence=confidence, outcomes_fn=outcomes_fn)
        echo(result.format())
        ok = result.passed
        if not ok and not force:
            echo(f"NOT promoted: {candidate} may be worse than the current default on "
                 f"{', '.join(result.blocking()) or 'the fixed evaluation sets'} (use --force to override)")
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
