"""Sources are configured in one YAML file (also editable in the admin); this syncs the file into the database."""

from __future__ import annotations

from pathlib import Path

import yaml

from store.models import Source, SourceKind

RESERVED = {"name", "kind", "schedule", "enabled"}


class SourceConfigError(ValueError):
    pass


def read_sources_file(path: str | Path) -> list[dict]:
    """Parse a sources file into [{name, kind, schedule, enabled, config}]; raise SourceConfigError if invalid."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    out, seen = [], set()
    for i, entry in enumerate(raw.get("sources") or []):
        name, kind = entry.get("name"), entry.get("kind")
        if not name or not kind:
            raise SourceConfigError(f"{path}: source #{i + 1} needs a name and a kind")
        if kind not in SourceKind.values:
            raise SourceConfigError(f"{path}: source {name!r} has unknown kind {kind!r} (one of {', '.join(SourceKind.values)})")
        if name in seen:
            raise SourceConfigError(f"{path}: duplicate source name {name!r}")
        seen.add(name)
        out.append(
            {
                "name": name,
                "kind": kind,
                "schedule": entry.get("schedule", "0 * * * *"),
                "enabled": bool(entry.get("enabled", True)),
                "config": {k: v for k, v in entry.items() if k not in RESERVED},
            }
        )
    return out


def sync_sources(path: str | Path) -> list[Source]:
    """Create or update the sources listed in the file; keep each source's crawl state."""
    result = []
    for entry in read_sources_file(path):
        obj, _ = Source.objects.update_or_create(
            name=entry["name"],
            defaults={k: entry[k] for k in ("kind", "schedule", "enabled", "config")},
        )
        result.append(obj)
    return result


def crawl_specs(names: list[str] | None = None) -> list[dict]:
    """Return the spider specs ({name, kind, config, state}) of enabled sources, optionally only `names`."""
    qs = Source.objects.filter(enabled=True)
    if names:
        qs = qs.filter(name__in=names)
        missing = set(names) - set(qs.values_list("name", flat=True))
        if missing:
            raise SourceConfigError(f"unknown or disabled source(s): {', '.join(sorted(missing))}")
    return [{"name": s.name, "kind": s.kind, "config": s.config, "state": s.state} for s in qs]
