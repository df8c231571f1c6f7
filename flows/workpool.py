"""Deployments on a Prefect server with process work pools (`otklik deploy`, `otklik worker`).

`otklik serve` keeps every flow in one process (the one-machine default). Here the same flows are registered
on the server at PREFECT_API_URL, in a process work pool that any number of `otklik worker` processes poll:

* the scheduled deployments of flows/deployments.py, with the hourly batch fanning out: one `crawl/crawl-source`
  flow run per enabled source (its crawl task is tagged `source:<name>`, and a tag concurrency limit of 1 per
  source keeps two runs off one source), and `classify_runs` classify flow runs that claim their work in chunks;
* `classify/classify-gpu` in its own pool (`--gpu-pool`) with `device="cuda"`, for a worker on a GPU machine.

Entrypoints are module paths (`flows.batch.batch_flow`): a worker imports the flows from its own checkout.
"""

from __future__ import annotations

from dataclasses import dataclass

from prefect.client.schemas.schedules import CronSchedule
from prefect.deployments.runner import RunnerDeployment
from prefect.types.entrypoint import EntrypointType

from flows.classify import classify_flow
from flows.crawl import crawl_flow
from flows.deployments import SCHEDULES
from flows.route import route_flow

POOL = "otklik"
GPU_POOL = "otklik-gpu"
CRAWL_DEPLOYMENT = "crawl/crawl-source"
CLASSIFY_DEPLOYMENT = "classify/classify"
ROUTE_DEPLOYMENT = "route/route"
GPU_CLASSIFY_DEPLOYMENT = "classify/classify-gpu"


@dataclass
class Planned:
    deployment: RunnerDeployment
    pool: str


def plan(pool: str = POOL, gpu_pool: str | None = None, classify_runs: int = 1,
         timezone: str = "Europe/Moscow") -> list[Planned]:
    """The deployments to register: the schedules in `pool`, the batch's fan-out targets, the GPU classifier."""
    if classify_runs < 1:
        raise ValueError("classify_runs must be at least 1")
    common = {"entrypoint_type": EntrypointType.MODULE_PATH, "tags": ["otklik"]}
    out = []
    for flow, name, cron, description in SCHEDULES:
        params = {}
        if name == "hourly-batch":
            params = {"crawl_deployment": CRAWL_DEPLOYMENT,
                      "classify_deployment": GPU_CLASSIFY_DEPLOYMENT if gpu_pool else CLASSIFY_DEPLOYMENT,
                      "classify_runs": classify_runs}
        out.append(Planned(flow.to_deployment(
            name=name, schedule=CronSchedule(cron=cron, timezone=timezone), description=description,
            concurrency_limit=1, parameters=params, **common), pool))
    # On demand: started by the hourly batch, one flow run per source / per classifier.
    out.append(Planned(crawl_flow.to_deployment(
        name="crawl-source", description="crawl the given sources (the batch starts one run per source)",
        **common), pool))
    out.append(Planned(classify_flow.to_deployment(
        name="classify", description="classify pending mentions (chunks claimed, so runs can overlap)",
        **common), pool))
    out.append(Planned(route_flow.to_deployment(
        name="route", description="open tickets for classified mentions (chunks claimed, so runs can overlap)",
        **common), pool))
    if gpu_pool:
        out.append(Planned(classify_flow.to_deployment(
            name="classify-gpu", description="classify pending mentions on a GPU worker",
            parameters={"device": "cuda"}, **common), gpu_pool))
    return out


def deploy(pool: str = POOL, gpu_pool: str | None = None, classify_runs: int = 1, timezone: str = "Europe/Moscow",
           sources: list[str] = ()) -> dict:
    """Create the process pools (if missing), register the deployments and a limit of 1 per `source:<name>` tag.

    Idempotent: a second call updates the same deployments. Needs PREFECT_API_URL (a server, not an ephemeral API).
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists

    planned = plan(pool, gpu_pool, classify_runs, timezone)
    with get_client(sync_client=True) as client:
        for name in sorted({p.pool for p in planned}):
            try:
                client.create_work_pool(WorkPoolCreate(name=name, type="process"))
            except ObjectAlreadyExists:
                pass
        for source in sources:
            client.create_concurrency_limit(tag=f"source:{source}", concurrency_limit=1)
    ids = {}
    for p in planned:
        ids[f"{p.deployment.flow_name}/{p.deployment.name}"] = str(p.deployment.apply(work_pool_name=p.pool))
    return ids
