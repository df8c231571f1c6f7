"""Crawl the configured sources once."""

from __future__ import annotations

from prefect import flow

from flows.tasks import crawl_sources, sync_sources_task
from store.paths import REPO_ROOT


@flow(name="crawl", flow_run_name="crawl")
def crawl_flow(sources: list[str] | None = None, sources_file: str | None = None,
               settings: dict | None = None) -> dict:
    """Load the sources file, then crawl all enabled sources (or `sources`); return per-source counts.

    `settings`: Scrapy settings for this run (the hourly batch passes its `crawl_settings` on)."""
    enabled = sync_sources_task(sources_file or default_sources_file())
    return crawl_sources(sources or enabled, settings)


def default_sources_file() -> str:
    import os

    return os.environ.get("OTKLIK_SOURCES") or str(REPO_ROOT / "sources.yaml")
