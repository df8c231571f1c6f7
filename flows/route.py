"""Open or update tickets for classified mentions."""

from __future__ import annotations

from prefect import flow

from flows.tasks import route_task


@flow(name="route", flow_run_name="route")
def route_flow() -> dict:
    return route_task()
