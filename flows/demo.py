"""The offline demo batch: crawl the bundled snapshot through the spiders, move its dates into the last two
weeks, classify, queue, play two weeks of the moderators' work, sweep the SLA, report."""

from __future__ import annotations

import tempfile
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from crawlers.snapshot_server import SNAPSHOT_DIR, SnapshotServer
from flows.tasks import (
    classify_task,
    crawl_sources,
    import_orders_task,
    load_templates_task,
    report_task,
    route_task,
    sla_sweep_task,
    setup,
    sync_sources_task,
)
from store.paths import home

# The snapshot covers 9–23 November 2026 (Moscow time); the report spans it, moved like the mentions.
REPORT_START = datetime.fromisoformat("2026-11-09T00:00:00+03:00")
REPORT_END = datetime.fromisoformat("2026-11-24T00:00:00+03:00")
# The snapshot server is ours and local: no need to be polite to it.
LOCAL_CRAWL_SETTINGS = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
                        "RETRY_BACKOFF_BASE": 0.1}


def whole_days(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The days (in start's UTC offset) that cover [start, end): from start's midnight to the midnight after end."""
    tz = start.tzinfo
    a = datetime.combine(start.date(), time(), tz)
    b = datetime.combine(end.astimezone(tz).date(), time(), tz)
    return a, (b if b == end else b + timedelta(days=1))


@task(cache_policy=NO_CACHE)
def demo_clock_task(names: list[str], now: datetime) -> dict:
    """Move the crawled snapshot so its newest day is today (fixed by the first run)."""
    setup()
    from responders.demo import demo_clock, shift_mentions

    clock = demo_clock(names, now)
    return {**clock.as_dict(), "shifted": shift_mentions(names, clock)}


@task(cache_policy=NO_CACHE)
def demo_orders_task(path: str, clock: dict) -> dict:
    """Import the snapshot's orders with their dates moved like the mentions'."""
    setup()
    from responders.demo import DemoClock, shifted_orders_csv

    moved = DemoClock(clock["days"], datetime.fromisoformat(clock["day_start"]), datetime.fromisoformat(clock["cap"]))
    with tempfile.TemporaryDirectory(prefix="otklik-demo-") as tmp:
        return import_orders_task.fn(str(shifted_orders_csv(Path(path), moved, Path(tmp))))


@task(cache_policy=NO_CACHE)
def demo_customers_task(start: datetime, end: datetime) -> int:
    """The demo company's monthly active-customer counts (the claim rate's base) for the moved fortnight."""
    setup()
    from responders.demo import seed_active_customers

    return seed_active_customers(start, end)


@task(cache_policy=NO_CACHE)
def demo_play_task(now: datetime) -> dict:
    """Play two weeks of the team's work through the desk's services (once per database)."""
    setup()
    from responders.demo import play

    s = play(now=now)
    return {"played": s.played, "tickets": s.tickets, "actions": s.actions}


@flow(name="demo-batch", log_prints=False)
def demo_batch(snapshot_dir: str | None = None, model: str | None = None, report_dir: str | None = None,
               now: datetime | None = None) -> dict:
    """Run crawl → classify → queue → a played working fortnight → report; return the run's numbers.

    `now`: the moment the demo pretends it is (default: the real time); tests pass a fixed one.
    """
    now = now or datetime.now(timezone.utc)
    root = Path(snapshot_dir) if snapshot_dir else SNAPSHOT_DIR
    names = sync_sources_task(str(root / "sources.yaml"))
    load_templates_task()
    with SnapshotServer(root) as server:
        crawled = crawl_sources(names, settings={**LOCAL_CRAWL_SETTINGS, "OTKLIK_SNAPSHOT_URL": server.url})
    clock = demo_clock_task(names, now)
    orders = demo_orders_task(str(root / "orders.csv"), clock)
    shift = timedelta(days=clock["days"])
    start, end = whole_days(REPORT_START + shift, REPORT_END + shift)
    customers = demo_customers_task(start, end)
    classified = classify_task(model)
    routed = route_task()
    played = demo_play_task(now)
    sla = sla_sweep_task(now)
    report = report_task(start, end, report_dir or str(home() / "reports"))
    return {"crawl": crawled, "orders": orders, "customers": customers, "clock": clock, "classify": classified,
            "route": routed, "play": played, "sla": sla, "report": report}
