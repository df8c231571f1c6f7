"""What the benchmarks share: registering their synthetic sources and writing their results."""

from __future__ import annotations

import json
from pathlib import Path


def register_sources(home: Path, sources: list[dict]) -> Path:
    """Write `sources` as `home/sources.yaml` and load them into the database (Django must be set up)."""
    import yaml

    from crawlers.sources import sync_sources

    path = home / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": sources}, allow_unicode=True), encoding="utf-8")
    sync_sources(path)
    return path


def write_results(out: str | None, data, table: str) -> None:
    """Write OUT.json (the raw figures) and OUT.md (the table); nothing when `out` is not given."""
    if not out:
        return
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(f"{out}.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    Path(f"{out}.md").write_text(table, encoding="utf-8")
