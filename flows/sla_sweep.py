"""Every few minutes: SLA sweep (at risk, breached, escalation, notices), auto-assignment, reply outbox."""

from __future__ import annotations

from prefect import flow

from flows.tasks import outbox_task, sla_sweep_task


@flow(name="sla-sweep", flow_run_name="sla-sweep")
def sla_sweep_flow() -> dict:
    return {"sweep": sla_sweep_task(), "outbox": outbox_task()}
