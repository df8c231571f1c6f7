"""Classify every stored mention the current model has not classified yet."""

from __future__ import annotations

from prefect import flow

from flows.tasks import classify_task


@flow(name="classify", flow_run_name="classify")
def classify_flow(model: str | None = None, batch_size: int = 256) -> dict:
    return classify_task(model, batch_size)
