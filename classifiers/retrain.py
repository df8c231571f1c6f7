"""Scheduled retraining: fold the moderators' corrections into the shipped model once enough new ones arrived.

The weekly flow exports the desk's corrections (JSONL, see `classifiers.data.load_corrections`), and
`retrain_with_corrections` decides whether there is anything new to learn, fine-tunes the multi-task and topic
stages from the current default with the corrections, fits the candidate's TF-IDF mixtures and topic fallback on
validation (`fit_score_files`), and runs the promotion gate. The corrections it trained on are remembered in
`<work_dir>/retrain_state.json`, so the same corrections are never trained twice (training is seeded: it would only
reproduce the same candidate).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .registry import DEFAULT_MODEL_DIR

STATE_FILE = "retrain_state.json"


@dataclass
class CorrectionsSummary:
    """What a corrections export holds compared with the last retraining."""

    total: int
    new: int
    latest: str | None  # the newest `corrected_at` in the export


@dataclass
class RetrainResult:
    status: str  # "skipped" | "promoted" | "refused"
    reason: str
    corrections: CorrectionsSummary
    candidate: str | None = None
    version: str | None = None
    log: list[str] = field(default_factory=list)
    score_files: dict[str, bool] = field(default_factory=dict)  # which mixtures / fallback the candidate ships

    def as_dict(self) -> dict:
        return {"status": self.status, "reason": self.reason, "corrections": self.corrections.total,
                "new_corrections": self.corrections.new, "candidate": self.candidate, "version": self.version,
                "score_files": self.score_files}


def fit_score_files(candidate: Path, device: str, echo: Callable[[str], None]) -> dict[str, bool]:
    """Fit the candidate's TF-IDF mixtures and topic fallback on validation, as the default has them.

    The gate compares final scores, mixtures and fallback included; a candidate without them would be measured
    against the default's with them (on the shipped model they add 0.06 to topic micro-F1 on the authored tests)."""
    from .ensemble import sentiment_ensemble, topic_ensemble
    from .topic_fallback import SCORE_FILES

    topic_ensemble(candidate, device=device, echo=echo)  # chooses the topic fallback too
    sentiment_ensemble(candidate, device=device, echo=echo)
    return {name: (candidate / name).exists() for name in SCORE_FILES}


def read_state(work_dir: str | Path) -> dict:
    path = Path(work_dir) / STATE_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def summarise_corrections(path: str | Path, state: dict) -> CorrectionsSummary:
    """Count the corrections in an export and those newer than the last retraining's newest one."""
    since = state.get("latest_correction")
    total = new = 0
    latest: str | None = None
    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            stamp = json.loads(line).get("corrected_at") or ""
            total += 1
            if since is None or stamp > since:
                new += 1
            if stamp and (latest is None or stamp > latest):
                latest = stamp
    return CorrectionsSummary(total=total, new=new, latest=latest)


def retrain_with_corrections(
    corrections: str | Path,
    work_dir: str | Path,
    *,
    min_new: int = 20,
    start_from: str | Path = DEFAULT_MODEL_DIR,
    default_dir: str | Path = DEFAULT_MODEL_DIR,
    models_dir: str | Path | None = None,
    device: str = "auto",
    plan_overrides: dict | None = None,
    echo: Callable[[str], None] = print,
    outcomes_fn: Callable[[Path], object] | None = None,
) -> RetrainResult:
    """Retrain from `start_from` with the corrections if at least `min_new` are new; gate and promote.

    `plan_overrides` sets `TrainPlan` stage fields, e.g. ``{"multitask": {"epochs": 1.0}}``.
    """
    from .pipeline import TrainPlan, clear_stages, run_training
    from .promote import fixed_set_outcomes, promote_candidate

    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    state = read_state(work)
    summary = summarise_corrections(corrections, state)
    if summary.new < min_new:
        reason = f"{summary.new} new corrections since the last retraining (at least {min_new} needed)"
        echo(f"retraining skipped: {reason}")
        return RetrainResult("skipped", reason, summary)

    plan = TrainPlan(work_dir=work, models_dir=Path(models_dir) if models_dir else work / "models",
                     corrections=Path(corrections), device=device, start_from=Path(start_from))
    for stage, values in (plan_overrides or {}).items():
        target = getattr(plan, stage)
        if isinstance(values, dict):
            for key, value in values.items():
                setattr(target, key, value)
        else:
            setattr(plan, stage, values)
    clear_stages(work)  # a new training set: the multi-task and topic stages start again
    candidate = run_training(plan)
    if candidate is None:
        raise RuntimeError("training produced no candidate (no authored logistics data found)")
    log: list[str] = []

    def tee(msg: str) -> None:
        log.append(msg)
        echo(msg)

    score_files = fit_score_files(Path(candidate), device, tee)
    promoted = promote_candidate(candidate, default_dir=default_dir, echo=tee,
                                 outcomes_fn=outcomes_fn or (lambda p: fixed_set_outcomes(p, device)))
    state.update({"latest_correction": summary.latest, "trained_corrections": summary.total,
                  "candidate": str(candidate), "promoted": promoted})
    (work / STATE_FILE).write_text(json.dumps(state, indent=2), encoding="utf-8")
    from transformers import AutoConfig

    version = getattr(AutoConfig.from_pretrained(candidate), "otklik_model_version", None)
    status = "promoted" if promoted else "refused"
    reason = ("candidate promoted to the default model" if promoted
              else "candidate is worse than the current default on the fixed evaluation sets")
    return RetrainResult(status, reason, summary, candidate=str(candidate), version=version, log=log,
                         score_files=score_files)
