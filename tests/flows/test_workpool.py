"""`otklik deploy` + `otklik worker`: the deployments on a real Prefect server, run by a process worker.

The hourly batch, started on the server, fans out to one crawl flow run per source (each tagged
`source:<name>`, limited to 1 at a time) and a classify flow run, all run by the worker in child processes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crawlers.snapshot_server import SnapshotServer
from flows.workpool import GPU_CLASSIFY_DEPLOYMENT, plan
from tests.flows.mini import MINI, SOURCES

ROOT = Path(__file__).resolve().parents[2]


def test_plan_puts_the_schedules_in_the_pool_and_classification_on_the_gpu_pool():
    planned = {f"{p.deployment.flow_name}/{p.deployment.name}": p for p in plan("cpu", "gpu", classify_runs=3)}
    assert planned["batch/hourly-batch"].deployment.parameters == {
        "crawl_deployment": "crawl/crawl-source", "classify_deployment": GPU_CLASSIFY_DEPLOYMENT,
        "classify_runs": 3}
    assert planned[GPU_CLASSIFY_DEPLOYMENT].pool == "gpu"
    assert planned[GPU_CLASSIFY_DEPLOYMENT].deployment.parameters == {"device": "cuda"}
    assert {p.pool for name, p in planned.items() if name != GPU_CLASSIFY_DEPLOYMENT} == {"cpu"}
    # A worker imports the flows from its own checkout, not from a path on the deploying machine.
    assert planned["batch/hourly-batch"].deployment.entrypoint == "flows.batch.batch_flow"
    assert plan("cpu")[0].deployment.parameters["classify_deployment"] == "classify/classify"
    with pytest.raises(ValueError):
        plan("cpu", classify_runs=0)


def _env(home: Path, **extra: str) -> dict:
    env = {**os.environ, "OTKLIK_HOME": str(home), "DATABASE_URL": f"sqlite:///{home / 'db.sqlite3'}",
           "OTKLIK_MODEL": "rules", "OTKLIK_SOURCES": str(home / "sources.yaml"), "PYTHONPATH": str(ROOT), **extra}
    env.pop("OTKLIK_FAILPOINT", None)
    return env


def test_deploy_needs_a_server(tmp_path):
    env = _env(tmp_path)
    env.pop("PREFECT_API_URL", None)
    proc = subprocess.run([sys.executable, "-m", "otklik", "deploy"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode != 0 and "PREFECT_API_URL" in proc.stderr


def test_deployed_batch_fans_out_on_a_process_worker(prefect_harness, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterDeploymentId
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL

    (tmp_path / "sources.yaml").write_text(SOURCES)
    with SnapshotServer(MINI) as server:
        env = _env(tmp_path, PREFECT_API_URL=PREFECT_API_URL.value(), OTKLIK_SNAPSHOT_URL=server.url)
        for cmd in (["migrate"], ["deploy", "--pool", "test-pool", "--classify-runs", "1"]):
            proc = subprocess.run([sys.executable, "-m", "otklik", *cmd], cwd=ROOT, env=env, capture_output=True,
                                  text=True, timeout=300)
            assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
        with get_client(sync_client=True) as client:
            batch = client.read_deployment_by_name("batch/hourly-batch")
            assert batch.work_pool_name == "test-pool" and batch.parameters["classify_runs"] == 1
            assert {client.read_concurrency_limit_by_tag(f"source:{n}").concurrency_limit
                    for n in ("appstore", "tg", "vk-wall", "news")} == {1}
        worker = subprocess.Popen([sys.executable, "-m", "otklik", "worker", "--pool", "test-pool"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            run = run_deployment("batch/hourly-batch", parameters={"alerts": False}, timeout=600, poll_interval=2)
        finally:  # the worker's shutdown is not under test here: a loaded machine may take it past a minute
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=60)
    assert run.state.is_completed(), run.state
    with get_client(sync_client=True) as client:
        crawl = client.read_deployment_by_name("crawl/crawl-source")
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(deployment_id=FlowRunFilterDeploymentId(any_=[crawl.id])),
            sort=FlowRunSort.ID_DESC, limit=50)
        assert sorted(tuple(r.parameters["sources"]) for r in runs) == [
            ("appstore",), ("news",), ("tg",), ("vk-wall",)]
        assert all(r.state.is_completed() for r in runs)
    db = sqlite3.connect(tmp_path / "db.sqlite3")
    counts = [db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("store_mention", "store_classification", "responders_ticket")]
    db.close()
    # The same 11 mentions, classified once and routed once, as the one-process batch (tests/flows/test_kill.py).
    assert counts == [11, 11, 11]
