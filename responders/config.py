"""Load the responder configuration (routing rules, SLA targets, extraction patterns)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from django.conf import settings

ASSIGNMENT_MODES = ("off", "round_robin", "least_loaded")


@dataclass(frozen=True)
class RoutingRule:
    kind: str
    topics: frozenset[str] = frozenset()
    sentiment: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    authors: frozenset[str] = frozenset()
    action: str = "open"
    reason: str = ""

    def matches(self, topics: list[str], sentiment: str, channel: str, author: str = "") -> bool:
        if self.topics and not self.topics.intersection(topics):
            return False
        if self.sentiment and sentiment not in self.sentiment:
            return False
        if self.channels and channel not in self.channels:
            return False
        if self.authors and author.strip().casefold() not in self.authors:
            return False
        return True


@dataclass(frozen=True)
class ResponderConfig:
    rules: tuple[RoutingRule, ...]
    skip_duplicates: bool
    sla: dict
    patterns: dict[str, re.Pattern] = field(default_factory=dict)
    claims: dict = field(default_factory=dict)
    assignment: dict = field(default_factory=dict)
    csat: dict = field(default_factory=dict)
    outbox: dict = field(default_factory=dict)
    escalation: dict = field(default_factory=dict)
    threads: dict = field(default_factory=dict)


def load_config(path: str | Path | None = None) -> ResponderConfig:
    """Read the responder rules file (default: settings.OTKLIK['RESPONDER_RULES'])."""
    return _load(str(path or settings.OTKLIK["RESPONDER_RULES"]))


@lru_cache(maxsize=4)
def _load(path: str) -> ResponderConfig:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    routing = raw.get("routing") or {}
    rules = tuple(
        RoutingRule(
            kind=r["kind"],
            topics=frozenset(r.get("topics", ())),
            sentiment=frozenset(r.get("sentiment", ())),
            channels=frozenset(r.get("channels", ())),
            authors=frozenset(a.strip().casefold() for a in r.get("authors", ())),
            action=r.get("action", "open"),
            reason=r.get("reason", ""),
        )
        for r in routing.get("rules", ())
    )
    if not rules:
        raise ValueError(f"{path}: routing.rules is empty")
    patterns = {k: re.compile(v) for k, v in (raw.get("extraction") or {}).items()}
    assignment = raw.get("assignment") or {}
    if assignment.get("mode", "off") not in ASSIGNMENT_MODES:
        raise ValueError(f"{path}: assignment.mode must be one of {', '.join(ASSIGNMENT_MODES)}")
    sla = raw.get("sla") or {}
    if (sla.get("due_by") or "wall") not in ("wall", "business"):
        raise ValueError(f"{path}: sla.due_by must be 'wall' or 'business'")
    return ResponderConfig(
        rules, bool(routing.get("skip_duplicates", True)), sla, patterns,
        claims=raw.get("claims") or {}, assignment=assignment, csat=raw.get("csat") or {},
        outbox=raw.get("outbox") or {}, escalation=raw.get("escalation") or {}, threads=raw.get("threads") or {},
    )
