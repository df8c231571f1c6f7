"""Deployments and their schedules, in one place. `otklik serve` serves them all from this process.

Each deployment runs one flow at a time (concurrency_limit=1): an hourly batch that overruns is not
started twice. On a Prefect server with a work pool, deploy the same flows with `prefect deploy`
(see docs/flows.md).
"""

from __future__ import annotations

from prefect.deployments.runner import RunnerDeployment

from flows.batch import batch_flow
from flows.daily_report import daily_report_flow
from flows.index import index_flow
from flows.sla_sweep import sla_sweep_flow
from flows.weekly_retrain import weekly_retrain_flow

# (flow, deployment name, cron, description)
SCHEDULES = [
    (batch_flow, "hourly-batch", "5 * * * *", "crawl → classify → route → index → alerts"),
    (sla_sweep_flow, "sla-sweep", "*/5 * * * *", "SLA sweep, notices, auto-assignment, reply outbox"),
    (index_flow, "index-sync", "*/15 * * * *", "drain the search outbox (for Elasticsearch)"),
    (daily_report_flow, "daily-report", "0 7 * * *", "topic report for the last 7 days"),
    (weekly_retrain_flow, "weekly-retrain", "0 3 * * 0", "fold moderators' corrections into the model (gated)"),
]


def deployments(timezone: str = "Europe/Moscow") -> list[RunnerDeployment]:
    """Build the runner deployments with their cron schedules in `timezone`."""
    from prefect.client.schemas.schedules import CronSchedule

    out = []
    for flow, name, cron, description in SCHEDULES:
        out.append(flow.to_deployment(name=name, schedule=CronSchedule(cron=cron, timezone=timezone),
                                      description=description, concurrency_limit=1, tags=["otklik"]))
    return out
