"""The hourly batch: crawl → classify → route → index → alerts. Every step is idempotent, so a rerun of the
same window (after a crash, a kill, a retry) changes nothing that already happened."""

from __future__ import annotations

from prefect import flow

from flows.crawl import default_sources_file
from flows.fanout import run_all
from flows.tasks import (
    alerts_task,
    classify_task,
    crawl_sources,
    due_sources_task,
    index_sync_task,
    route_task,
    sync_sources_task,
)


@flow(name="batch", flow_run_name="batch")
def batch_flow(sources: list[str] | None = None, sources_file: str | None = None, model: str | None = None,
               crawl_settings: dict | None = None, alerts: bool = True, classify_batch_size: int = 256,
               due_only: bool = True, crawl_deployment: str | None = None, classify_deployment: str | None = None,
               classify_runs: int = 1) -> dict:
    """Run the whole pipeline once; return each stage's numbers.

    The crawl takes `sources` when given, else the enabled sources that are due by their own `schedule`
    (all enabled ones with due_only=False). On a work pool (`otklik deploy`) the crawl fans out to one
    `crawl_deployment` flow run per source and classification to `classify_runs` runs of
    `classify_deployment`; they claim their work in chunks, so they never classify a mention twice. Without
    them (`otklik serve`, `otklik batch`) all runs here.
    """
    enabled = sync_sources_task(sources_file or default_sources_file())
    # no source to crawl (an empty sources file): crawl nothing, not every source the database still knows
    names = sources if sources is not None else (due_sources_task(enabled) if due_only else enabled)
    if not names:
        result = {"crawl": {}}
    elif crawl_deployment:
        result = {"crawl": run_all(crawl_deployment, [
            ({"sources": [n], "sources_file": sources_file, "settings": crawl_settings}, [f"source:{n}"]) for n in names])}
    else:
        result = {"crawl": crawl_sources(names, crawl_settings)}
    if classify_deployment:
        result["classify"] = run_all(classify_deployment, [
            ({"model": model, "batch_size": classify_batch_size}, []) for _ in range(classify_runs)])
    else:
        result["classify"] = classify_task(model, classify_batch_size)
    result["route"] = route_task()
    index = index_sync_task(return_state=True)
    if alerts:
        # Alerts read the database, not the index: an index outage must not hold them back.
        result["alerts"] = alerts_task()
    # ...but the run still fails with the index's error (visible in Prefect; the outbox keeps every update).
    result["index"] = index.result()
    return result
