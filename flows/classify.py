"""Classify every stored mention the current model has not classified yet."""

from __future__ import annotations

from prefect import flow

from flows.tasks import classify_task


@flow(name="classify", flow_run_name="classify")
def classify_flow(model: str | None = None, batch_size: int = 256, device: str = "auto") -> dict:
    """`device="cuda"` on a GPU worker (the `classify-gpu` deployment of `otklik deploy --gpu-pool`)."""
    return classify_task(model, batch_size, device)
