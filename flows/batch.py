"""The hourly batch: crawl → classify → route → index → alerts. Every step is idempotent, so a rerun of the
same window (after a crash, a kill, a retry) changes nothing that already happened."""

from __future__ import annotations

from prefect import flow

from flows.crawl import default_sources_file
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
               due_only: bool = True) -> dict:
    """Run the whole pipeline once; return each stage's numbers.

    The crawl takes `sources` when given, else the enabled sources that are due by their own `schedule`
    (all enabled ones with due_only=False).
    """
    enabled = sync_sources_task(sources_file or default_sources_file())
    # no source to crawl (an empty sources file): crawl nothing, not every source the database still knows
    names = sources if sources is not None else (due_sources_task(enabled) if due_only else enabled)
    result = {"crawl": crawl_sources(names, crawl_settings) if names else {}}
    result["classify"] = classify_task(model, classify_batch_size)
    result["route"] = route_task()
    index = index_sync_task(return_state=True)
    if alerts:
        # Alerts read the database, not the index: an index outage must not hold them back.
        result["alerts"] = alerts_task()
    # ...but the run still fails with the index's error (visible in Prefect; the outbox keeps every update).
    result["index"] = index.result()
    return result
