"""Every week: fold the moderators' corrections into the model, if enough new ones arrived, behind the
promotion gate (a candidate worse on the fixed evaluation sets is not promoted)."""

from __future__ import annotations

from prefect import flow

from flows.tasks import export_corrections_task, retrain_task


@flow(name="weekly-retrain", flow_run_name="weekly-retrain")
def weekly_retrain_flow(min_new_corrections: int = 20, work_dir: str | None = None, start_from: str | None = None,
                        default_dir: str | None = None, plan_overrides: dict | None = None) -> dict:
    from store.paths import home

    work = work_dir or str(home() / "retrain")
    corrections = f"{work}/corrections.jsonl"
    exported = export_corrections_task(corrections)
    result = retrain_task(corrections, work, min_new_corrections, start_from, default_dir, plan_overrides)
    return {"exported": exported, **result}
