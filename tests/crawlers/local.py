"""Crawling a local FakeWeb in tests: sources written to a file and loaded, every source crawled once, quickly."""

from __future__ import annotations

from pathlib import Path

import yaml

from crawlers.fakeweb import FakeWeb
from crawlers.runner import crawl
from crawlers.sources import crawl_specs, sync_sources

QUICK = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "RETRY_TIMES": 0}


def load_sources(directory: Path, sources: list[dict]) -> None:
    """Write `sources` as a sources file in `directory` and load it (the store's Source rows)."""
    path = directory / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": sources}, allow_unicode=True), encoding="utf-8")
    sync_sources(path)


def crawl_once(web: FakeWeb) -> dict[str, dict]:
    """Crawl every loaded source once against `web`, without delays or retries; the per-source stats."""
    return crawl(crawl_specs(), settings={**QUICK, "OTKLIK_SNAPSHOT_URL": web.url}).per_source
