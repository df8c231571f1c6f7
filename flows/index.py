"""Drain the search outbox into the index."""

from __future__ import annotations

from prefect import flow

from flows.tasks import index_sync_task


@flow(name="index", flow_run_name="index")
def index_flow() -> dict:
    return index_sync_task()
