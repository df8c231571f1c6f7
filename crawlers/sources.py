"""The sources file (sources.yaml): strict validation, sync into the database, crawl specs, schedules.

Every entry is checked before anything is written: unknown keys, wrong types, bad cron strings, bad URLs,
over-long names and non-UTF-8 files are refused with one line naming the source and the key, and a file
with any bad entry loads nothing. The Django admin runs the same checks (store.settings
OTKLIK["SOURCE_VALIDATOR"] names `source_problem`), so the store never imports the crawlers.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import yaml
from cronsim import CronSim, CronSimError

from crawlers.parsing import parse_datetime
from crawlers.sites import SITES_FILE, load_sites, site_problem

KINDS = ("appstore", "telegram", "vk", "review_site", "rss")
DEFAULT_SCHEDULE = "0 * * * *"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
NAME_MAX = 100  # store.models.Source.name
RESERVED = ("name", "kind", "schedule", "enabled")
COMMON = ("max_pages", "since")
# The spider keys each kind accepts (besides the common ones).
KEYS = {
    "appstore": ("app_id", "country", "base_url"),
    "telegram": ("channel", "base_url"),
    "vk": ("domain", "owner_id", "mode", "q", "count", "api_version", "token_env", "base_url", "comments"),
    "review_site": ("start_url", "site", "selectors"),
    "rss": ("url",),
}
# Every tuple lists alternatives, one of which must be present.
REQUIRED = {
    "appstore": [("app_id",)],
    "telegram": [("channel",)],
    "vk": [],
    "review_site": [("start_url",), ("site", "selectors")],
    "rss": [("url",)],
}
URL_KEYS = ("base_url", "start_url", "url")


class SourceConfigError(ValueError):
    pass


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list", dict: "a mapping",
            type(None): "empty"}.get(type(value), type(value).__name__)


def _url_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"must be an http(s) URL, not {_type_name(value)}"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
        return f"must be an http(s) URL, not {value[:80]!r}"
    return None


def schedule_problem(schedule: Any) -> str | None:
    """What is wrong with a cron string (five fields), or None."""
    if not isinstance(schedule, str):
        return f"must be a cron string such as \"0 * * * *\", not {_type_name(schedule)}"
    try:
        CronSim(schedule, datetime(2026, 1, 1))
    except CronSimError as exc:
        return f"is not a valid cron string {schedule!r}: {exc}"
    return None


def _key_problem(kind: str, key: str, value: Any) -> str | None:
    """What is wrong with one spider key's value, or None."""
    if key in URL_KEYS:
        return _url_problem(value)
    if key in ("max_pages", "count", "owner_id"):
        if not isinstance(value, int) or isinstance(value, bool):
            return f"must be a whole number, not {_type_name(value)}"
        if key == "max_pages" and value < 1:
            return "must be at least 1"
        if key == "count" and not 1 <= value <= (200 if kind == "vk" else 1000):
            return "must be between 1 and 200"
        return None
    if key == "app_id":
        ok = (isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", value)) or (
            isinstance(value, int) and not isinstance(value, bool))
        return None if ok else f"must be the app's id (its digits in the App Store URL), not {value!r:.80}"
    if key == "since":
        if isinstance(value, (date, datetime)) or (isinstance(value, str) and parse_datetime(value)):
            return None
        return f"is not a readable date: {value!r:.80}"
    if key == "comments":
        return None if isinstance(value, bool) else f"must be true or false, not {value!r:.80}"
    if key == "mode":
        return None if value in ("wall", "search") else f"must be wall or search, not {value!r:.80}"
    if key == "channel":
        return None if isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", value) else \
            f"must be a channel's username (letters, digits, _; no @ or link), not {value!r:.80}"
    if key == "token_env":
        return None if isinstance(value, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value) else \
            f"must name an environment variable, not {value!r:.80}"
    if key == "selectors":
        return None if isinstance(value, dict) else f"must be a mapping of selectors, not {_type_name(value)}"
    if not isinstance(value, str):  # country, domain, q, api_version, site
        hint = " (quote it)" if isinstance(value, (int, float)) and not isinstance(value, bool) else ""
        return f"must be a string, not {_type_name(value)}{hint}"
    if not value.strip():
        return "is empty"
    return None


def config_problem(kind: str, config: dict) -> str | None:
    """Say what is wrong with a source's spider keys (e.g. "needs channel"), or None if they are usable."""
    allowed = set(KEYS.get(kind, ())) | set(COMMON)
    for key in config:
        if key not in allowed:
            return f"has unknown key {key!r} (a {kind} source takes {', '.join(sorted(allowed))})"
    for keys in REQUIRED.get(kind, []):
        if not any(config.get(k) not in (None, "") for k in keys):
            return f"needs {' or '.join(keys)}"
    for key, value in config.items():
        problem = _key_problem(kind, key, value)
        if problem:
            return f"key {key!r} {problem}"
    if kind == "vk":
        mode = config.get("mode", "wall")
        if mode == "search" and not config.get("q"):
            return "needs q (the search query)"
        if mode == "wall" and not (config.get("domain") or config.get("owner_id")):
            return "needs domain or owner_id"
        if mode == "search" and config.get("comments"):
            return "reads comments on a wall only (comments: true needs mode wall)"
    if kind == "review_site":
        if config.get("site") and config["site"] not in load_sites():
            return f"names unknown review site {config['site']!r} (add it to {SITES_FILE})"
        merged = {**load_sites().get(config.get("site"), {}), **(config.get("selectors") or {})}
        problem = site_problem(merged)
        if problem:
            return f"key 'selectors' {problem}"
    return None


def source_problem(name: Any, kind: Any, schedule: Any, enabled: Any, config: dict) -> str | None:
    """What is wrong with a whole source, or None (the file loader's and the admin's one check)."""
    if not isinstance(name, str):
        hint = " (YAML reads off/no/yes/on as booleans: quote the name)" if isinstance(name, bool) else ""
        return f"key 'name' must be a string, not {name!r:.80} ({_type_name(name)}){hint}"
    if not NAME.match(name):
        return f"key 'name' must be letters, digits, - and _ (a slug), not {name!r:.80}"
    if len(name) > NAME_MAX:
        return f"key 'name' is {len(name)} characters long (at most {NAME_MAX})"
    if kind not in KINDS:
        return f"key 'kind' must be one of {', '.join(KINDS)}, not {kind!r:.80}"
    if not isinstance(enabled, bool):
        return f"key 'enabled' must be true or false, not {enabled!r:.40} ({_type_name(enabled)})"
    problem = schedule_problem(schedule)
    if problem:
        return f"key 'schedule' {problem}"
    return config_problem(kind, config)


def _read_yaml(path: Path) -> Any:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceConfigError(f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}): save it as UTF-8") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SourceConfigError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from None


def read_sources_file(path: str | Path) -> list[dict]:
    """Parse a sources file into [{name, kind, schedule, enabled, config}]; raise SourceConfigError at the first
    problem (so nothing of a bad file is loaded)."""
    path = Path(path)
    raw = _read_yaml(path)
    if not isinstance(raw, dict) or "sources" not in raw:
        keys = f" (it has {', '.join(map(repr, raw))})" if isinstance(raw, dict) and raw else ""
        raise SourceConfigError(f"{path}: expected a mapping with a `sources:` list{keys}")
    extra = [k for k in raw if k != "sources"]
    if extra:
        raise SourceConfigError(f"{path}: unknown top-level key {extra[0]!r} (only `sources:` is read)")
    if not isinstance(raw["sources"], list):
        raise SourceConfigError(f"{path}: `sources:` must be a list of sources, not {_type_name(raw['sources'])}")
    out, seen = [], set()
    for i, entry in enumerate(raw["sources"]):
        if not isinstance(entry, dict):
            raise SourceConfigError(f"{path}: source #{i + 1} is not a mapping")
        name, kind = entry.get("name"), entry.get("kind")
        if name in (None, "") or kind in (None, ""):
            raise SourceConfigError(f"{path}: source #{i + 1} needs a name and a kind")
        label = f"source {name!r:.110}" + (f" ({kind})" if isinstance(kind, str) and kind in KINDS else "")
        if name in seen:
            raise SourceConfigError(f"{path}: duplicate source name {name!r}")
        # YAML dates (since: 2026-01-01) become ISO strings: the config is stored as JSON.
        config = {k: v for k, v in entry.items() if k not in RESERVED}
        schedule, enabled = entry.get("schedule", DEFAULT_SCHEDULE), entry.get("enabled", True)
        problem = source_problem(name, kind, schedule, enabled, config)
        if problem:
            raise SourceConfigError(f"{path}: {label}: {problem}")
        seen.add(name)
        config = json.loads(json.dumps(config, default=str))
        out.append({"name": name, "kind": kind, "schedule": schedule, "enabled": enabled, "config": config})
    return out


def sync_sources(path: str | Path) -> list:
    """Create or update the sources listed in the file, all or none; keep each source's crawl state."""
    from django.db import transaction

    from store.models import Source

    entries = read_sources_file(path)
    result = []
    with transaction.atomic():
        for entry in entries:
            obj, _ = Source.objects.update_or_create(
                name=entry["name"], defaults={k: entry[k] for k in ("kind", "schedule", "enabled", "config")}
            )
            result.append(obj)
    return result


def crawl_specs(names: list[str] | None = None) -> list[dict]:
    """Return the spider specs ({name, kind, config, state}) of enabled sources, optionally only `names`."""
    from store.models import Source

    qs = Source.objects.filter(enabled=True)
    if names:
        qs = qs.filter(name__in=names)
        missing = set(names) - set(qs.values_list("name", flat=True))
        if missing:
            raise SourceConfigError(f"unknown or disabled source(s): {', '.join(sorted(missing))}")
    return [{"name": s.name, "kind": s.kind, "config": s.config, "state": s.state} for s in qs]


# -- schedules ------------------------------------------------------------------------------
def is_due(schedule: str, last_run: datetime | None, now: datetime, zone: str, last_failed: bool = False) -> bool:
    """True when a source should be crawled now: never run, its last run failed (retry at the next batch), or
    its cron (read in `zone`) fired after its last run, at or before `now`."""
    if last_run is None or last_failed:
        return True
    tz = ZoneInfo(zone)
    fire = next(CronSim(schedule or DEFAULT_SCHEDULE, last_run.astimezone(tz).replace(tzinfo=None)))
    return fire.replace(tzinfo=tz) <= now


def due_sources(now: datetime, names: list[str] | None = None, zone: str | None = None) -> list[str]:
    """The enabled sources (of `names`, if given) whose schedule makes them due at `now`."""
    from django.conf import settings

    from store.models import Source

    qs = Source.objects.filter(enabled=True)
    if names:
        qs = qs.filter(name__in=names)
    zone = zone or settings.TIME_ZONE
    return [s.name for s in qs.order_by("name")
            if is_due(s.schedule, s.last_run_at, now, zone, last_failed=s.last_status.startswith("failed"))]
