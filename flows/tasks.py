"""Prefect tasks shared by the flows; each one calls a service and returns plain data.

Caching is off for every task: each works on the database's current state, so a cached
result would hide new mentions. Idempotence comes from the services themselves.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from flows.retry import retry_transient
from store.django_setup import setup as django_setup


def setup() -> None:
    """Django for a flow run, with the logging Prefect configured left in place (store.django_setup.setup)."""
    django_setup(keep_logging=True)


def _backoff() -> list[float]:
    """Retry delays in seconds: OTKLIK_RETRY_DELAYS ("0.5,1,2"; tests keep them short), else 10 s, 1 min, 5 min."""
    raw = os.environ.get("OTKLIK_RETRY_DELAYS", "")
    try:
        delays = [float(x) for x in raw.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"OTKLIK_RETRY_DELAYS must be comma-separated seconds, not {raw!r}") from None
    return delays or [10, 60, 300]


# Backoff for transient failures (locked database, unreachable server); one retry per delay.
BACKOFF = _backoff()


@task(cache_policy=NO_CACHE, retries=len(BACKOFF), retry_delay_seconds=BACKOFF, retry_condition_fn=retry_transient)
def sync_sources_task(path: str) -> list[str]:
    """Load the sources file into the database; return the enabled source names."""
    setup()
    from crawlers.sources import sync_sources

    return [s.name for s in sync_sources(path) if s.enabled]


@task(cache_policy=NO_CACHE, retries=len(BACKOFF), retry_delay_seconds=BACKOFF, retry_condition_fn=retry_transient)
def due_sources_task(names: list[str]) -> list[str]:
    """Of `names`, the sources whose own `schedule` makes them due now (crawlers.sources.is_due)."""
    setup()
    from django.utils import timezone

    from crawlers.sources import due_sources

    return due_sources(timezone.now(), names) if names else []


@task(cache_policy=NO_CACHE, retries=len(BACKOFF), retry_delay_seconds=BACKOFF, retry_condition_fn=retry_transient)
def crawl_task(names: list[str] | None = None, settings: dict | None = None) -> dict:
    """Crawl the named (or all enabled) sources in a child process; return per-source counts."""
    setup()
    from crawlers.runner import crawl
    from crawlers.sources import crawl_specs

    return crawl(crawl_specs(names), settings=settings).per_source


def crawl_sources(names: list[str], settings: dict | None = None) -> dict:
    """Run crawl_task tagged `source:<name>` per source, so Prefect tag concurrency limits apply per source.

    With `prefect concurrency-limit create source:vk-search 1` a source is never crawled by two runs at once.
    """
    return crawl_task.with_options(tags=[f"source:{n}" for n in names])(names, settings=settings)


@task(cache_policy=NO_CACHE)
def import_orders_task(path: str) -> dict:
    setup()
    from responders.services.orders import import_orders_csv

    stats = import_orders_csv(path)
    return {"read": stats.read, "created": stats.created, "updated": stats.updated, "unchanged": stats.unchanged,
            "skipped": stats.skipped, "errors": len(stats.errors or [])}


@task(cache_policy=NO_CACHE)
def load_templates_task() -> int:
    setup()
    from responders.services.templates import load_templates

    return load_templates()


@task(cache_policy=NO_CACHE, retries=len(BACKOFF), retry_delay_seconds=BACKOFF, retry_condition_fn=retry_transient)
def classify_task(model: str | None = None, batch_size: int = 256, device: str = "auto") -> dict:
    """Classify every mention the current model has not seen; return the model version and count."""
    setup()
    from classifiers.registry import load_classifier
    from store.services.classify import classify_pending

    from store.services.claims import ClaimStats

    classifier = load_classifier(model, device=device)
    claims = ClaimStats()
    classified = classify_pending(classifier, batch_size=batch_size, claim_stats=claims)
    out = {"model": classifier.name, "version": classifier.version, "classified": classified}
    if claims.chunks or claims.waited_s:  # PostgreSQL: chunks were claimed (several workers may share the work)
        out["claims"] = {"chunks": claims.chunks, "taken_over": claims.taken_over,
                         "waited_s": round(claims.waited_s, 1)}
    return out


@task(cache_policy=NO_CACHE, retries=len(BACKOFF), retry_delay_seconds=BACKOFF, retry_condition_fn=retry_transient)
def route_task() -> dict:
    """Open tickets for classified mentions; return what was opened."""
    setup()
    from responders.services.routing import route_pending

    s = route_pending()
    return {"opened": s.opened, "dismissed": s.dismissed, "skipped_duplicates": s.skipped_duplicates,
            "linked_to_order": s.linked_to_order, "attached": s.attached, "reopened": s.reopened,
            "by_kind": dict(s.by_kind)}


@task(cache_policy=NO_CACHE)
def report_task(start: datetime, end: datetime, out_dir: str) -> dict:
    setup()
    from django.utils import timezone

    from reports.build import build_report

    files = build_report(start, end, Path(out_dir))
    spikes = [{"topic": s.topic, "peak": timezone.localtime(s.peak_at).date().isoformat(), "count": s.count}
              for s in files.data.spikes]
    return {"html": str(files.html), "csv": str(files.csv), "mentions": files.data.total, "spikes": spikes}


@task(cache_policy=NO_CACHE, retries=len(BACKOFF), retry_delay_seconds=BACKOFF, retry_condition_fn=retry_transient)
def index_sync_task() -> dict:
    """Drain the search outbox into the index; an unreachable index fails the task (rows stay for the retry)."""
    setup()
    from search.services.sync import sync

    s = sync()
    return {k: v for k, v in vars(s).items() if isinstance(v, int)}


@task(cache_policy=NO_CACHE, retries=len(BACKOFF), retry_delay_seconds=BACKOFF, retry_condition_fn=retry_transient)
def sla_sweep_task(now: datetime | None = None) -> dict:
    """Flag at-risk and breached tickets, escalate and notify once per clock, auto-assign free tickets."""
    setup()
    from responders.services.assignment import auto_assign
    from responders.services.sweep import sweep

    s = sweep(now=now)
    a = auto_assign(now=now)
    return {**vars(s), "assigned": a.assigned}


@task(cache_policy=NO_CACHE, retries=len(BACKOFF), retry_delay_seconds=BACKOFF, retry_condition_fn=retry_transient)
def outbox_task() -> dict:
    """Publish pending replies through their channel adapters (dry run unless configured live)."""
    setup()
    from responders.services.outbox import send_pending

    return vars(send_pending())


@task(cache_policy=NO_CACHE, retries=len(BACKOFF), retry_delay_seconds=BACKOFF, retry_condition_fn=retry_transient)
def alerts_task() -> dict:
    """Send alerts for new spikes and negative surges (once per spike, cooldown per topic)."""
    setup()
    from reports.alerts import check_alerts

    r = check_alerts()
    return {"found": len(r.found), "sent": len(r.sent), "failed": len(r.failed), "known": r.known,
            "cooling": r.cooling}


@task(cache_policy=NO_CACHE, retries=len(BACKOFF), retry_delay_seconds=BACKOFF, retry_condition_fn=retry_transient)
def export_corrections_task(path: str) -> int:
    """Write the moderators' classification corrections as JSONL; return how many."""
    setup()
    from responders.services.corrections import export_corrections

    return export_corrections(path)


@task(cache_policy=NO_CACHE)
def retrain_task(corrections: str, work_dir: str, min_new: int, start_from: str | None = None,
                 default_dir: str | None = None, plan_overrides: dict | None = None) -> dict:
    """Fine-tune from the default model with the corrections when enough are new; gate and promote.

    Not retried: a failed training run is a bug or bad data, and training again gives the same result."""
    from classifiers.registry import DEFAULT_MODEL_DIR
    from classifiers.retrain import retrain_with_corrections

    result = retrain_with_corrections(corrections, work_dir, min_new=min_new,
                                      start_from=start_from or DEFAULT_MODEL_DIR,
                                      default_dir=default_dir or DEFAULT_MODEL_DIR, plan_overrides=plan_overrides)
    return result.as_dict()
