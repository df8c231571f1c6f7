"""The offline demo batch: crawl the bundled snapshot through the spiders, classify, queue (with the SLA
sweep), report."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from prefect import flow

from crawlers.snapshot_server import SNAPSHOT_DIR, SnapshotServer
from flows.tasks import (
    classify_task,
    crawl_sources,
    import_orders_task,
    load_templates_task,
    report_task,
    route_task,
    sla_sweep_task,
    sync_sources_task,
)
from store.paths import home

# The snapshot covers 9–23 November 2026 (Moscow time); the report spans it.
REPORT_START = datetime.fromisoformat("2026-11-09T00:00:00+03:00")
REPORT_END = datetime.fromisoformat("2026-11-24T00:00:00+03:00")
# The snapshot server is ours and local: no need to be polite to it.
LOCAL_CRAWL_SETTINGS = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
                        "RETRY_BACKOFF_BASE": 0.1}


@flow(name="demo-batch", log_prints=False)
def demo_batch(snapshot_dir: str | None = None, model: str | None = None, report_dir: str | None = None) -> dict:
    """Run crawl → classify → queue → report over the bundled snapshot; return the run's numbers."""
    root = Path(snapshot_dir) if snapshot_dir else SNAPSHOT_DIR
    names = sync_sources_task(str(root / "sources.yaml"))
    orders = import_orders_task(str(root / "orders.csv"))
    load_templates_task()
    with SnapshotServer(root) as server:
        crawled = crawl_sources(names, settings={**LOCAL_CRAWL_SETTINGS, "OTKLIK_SNAPSHOT_URL": server.url})
    classified = classify_task(model)
    routed = route_task()
    sla = sla_sweep_task()
    report = report_task(REPORT_START, REPORT_END, report_dir or str(home() / "reports"))
    return {"crawl": crawled, "orders": orders, "classify": classified, "route": routed, "sla": sla,
            "report": report}

