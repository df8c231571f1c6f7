"""Sources are configured in one YAML file (also editable in the admin); this syncs the file into the database."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from store.models import Source, SourceKind

RESERVED = {"name", "kind", "schedule", "enabled"}
# Spider keys each kind needs: every tuple lists alternatives, one of which must be present.
REQUIRED = {
    "appstore": [("app_id",)],
    "telegram": [("channel",)],
    "vk": [],
    "review_site": [("start_url",), ("site", "selectors")],
    "rss": [("url",)],
}


class SourceConfigError(ValueError):
    pass


def config_problem(kind: str, config: dict) -> str | None:
    """Say what is wrong with a source's spider keys (e.g. "needs channel"), or None if they are usable."""
    for keys in REQUIRED.get(kind, []):
        if not any(config.get(k) not in (None, "") for k in keys):
            return f"needs {' or '.join(keys)}"
    if kind == "vk":
        mode = config.get("mode", "wall")
        if mode not in ("wall", "search"):
            return f"has unknown VK mode {mode!r} (wall or search)"
        if mode == "search" and not config.get("q"):
            return "needs q (the search query)"
        if mode == "wall" and not (config.get("domain") or config.get("owner_id")):
            return "needs domain or owner_id"
    if kind == "review_site" and config.get("site"):
        from crawlers.spiders.review_site import SITES_FILE, load_sites

        if config["site"] not in load_sites():
            return f"names unknown review site {config['site']!r} (add it to {SITES_FILE})"
    if "max_pages" in config and not (isinstance(config["max_pages"], int) and config["max_pages"] >= 1):
        return "has max_pages that is not a positive integer"
    if config.get("since"):
        from crawlers.parsing import parse_datetime

        if parse_datetime(str(config["since"])) is None:
            return f"has an unreadable since date {config['since']!r}"
    return None


def read_sources_file(path: str | Path) -> list[dict]:
    """Parse a sources file into [{name, kind, schedule, enabled, config}]; raise SourceConfigError if invalid."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SourceConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("sources") or [], list):
        raise SourceConfigError(f"{path}: expected a mapping with a `sources:` list")
    out, seen = [], set()
    for i, entry in enumerate(raw.get("sources") or []):
        if not isinstance(entry, dict):
            raise SourceConfigError(f"{path}: source #{i + 1} is not a mapping")
        name, kind = entry.get("name"), entry.get("kind")
        if not name or not kind:
            raise SourceConfigError(f"{path}: source #{i + 1} needs a name and a kind")
        if kind not in SourceKind.values:
            raise SourceConfigError(f"{path}: source {name!r} has unknown kind {kind!r} (one of {', '.join(SourceKind.values)})")
        if name in seen:
            raise SourceConfigError(f"{path}: duplicate source name {name!r}")
        # YAML dates (since: 2026-01-01) become ISO strings: the config is stored as JSON.
        config = json.loads(json.dumps({k: v for k, v in entry.items() if k not in RESERVED}, default=str))
        problem = config_problem(kind, config)
        if problem:
            raise SourceConfigError(f"{path}: source {name!r} ({kind}) {problem}")
        seen.add(name)
        out.append(
            {
                "name": name,
                "kind": kind,
                "schedule": entry.get("schedule", "0 * * * *"),
                "enabled": bool(entry.get("enabled", True)),
                "config": config,
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
