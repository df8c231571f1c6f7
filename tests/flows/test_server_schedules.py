"""The cron schedules `otklik deploy` registers make a Prefect server create scheduled flow runs.

The server's scheduler service runs once, in this process, on the harness server's database (it is what
`prefect server start` runs in a loop). On SQLAlchemy 2.1 it failed with "Can't evaluate bulk DML statement"
and created nothing, so no deployment ever ran on its schedule (pyproject.toml pins SQLAlchemy < 2.1)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from cronsim import CronSim

from flows.deployments import SCHEDULES
from flows.workpool import deploy

POOL = "schedule-test-pool"  # not the pool test_workpool's worker polls
ZONE = "Europe/Moscow"


def _on_cron(cron: str, when) -> bool:
    """Whether `when` is a time the cron expression fires at (in ZONE)."""
    local = datetime.fromtimestamp(int(when.timestamp()), ZoneInfo(ZONE))  # a plain datetime, not Prefect's own
    return next(CronSim(cron, local - timedelta(seconds=1))) == local


def test_the_server_scheduler_creates_runs_on_the_deployed_crons(prefect_harness):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterDeploymentId
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.server.services.scheduler import schedule_deployments

    ids = deploy(pool=POOL, timezone=ZONE)
    try:
        asyncio.run(schedule_deployments())
        with get_client(sync_client=True) as client:
            for flow, name, cron, _ in SCHEDULES:
                deployment = client.read_deployment_by_name(f"{flow.name}/{name}")
                runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(
                    deployment_id=FlowRunFilterDeploymentId(any_=[deployment.id])),
                    sort=FlowRunSort.EXPECTED_START_TIME_ASC, limit=200)
                assert runs, f"no scheduled run for {flow.name}/{name}"
                assert all(r.state.is_scheduled() and r.work_pool_name == POOL for r in runs), name
                starts = sorted(r.expected_start_time for r in runs)
                assert len(set(starts)) == len(starts), f"{name}: two runs for one time"
                assert all(_on_cron(cron, t) for t in starts), f"{name}: {starts[:3]} not on {cron!r}"
    finally:
        with get_client(sync_client=True) as client:
            for name in ids:
                client.delete_deployment(client.read_deployment_by_name(name).id)
