"""SLA targets and clocks: how long each ticket may take to its first reply and to closing the loop."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from responders.config import ResponderConfig


@dataclass(frozen=True)
class Targets:
    priority: int
    first_reply_hours: float
    resolution_hours: float
    at_risk_hours: float


def desk_overrides() -> dict:
    """The lead's overrides of the defaults (DeskSettings), if the table exists and has values."""
    from django.db import DatabaseError

    from responders.models import DeskSettings

    try:
        row = DeskSettings.objects.filter(pk=1).first()
    except DatabaseError:  # before migrations (e.g. config checks): the file's values apply
        return {}
    if row is None:
        return {}
    fields = ("first_reply_hours", "resolution_hours", "at_risk_hours")
    return {f: getattr(row, f) for f in fields if getattr(row, f) is not None}


def targets_for(cfg: ResponderConfig, *, kind: str, topic: str, channel: str, use_desk_settings: bool = True,
                overrides: dict | None = None) -> Targets:
    """Resolve the targets for a ticket: defaults (file, then the lead's desk settings), then the overrides.

    Overrides apply in order and later ones win; an override matches on `kind`, `topic`, `channel` and
    `priority_is` (the priority resolved so far). `overrides`: the desk settings already read (loops pass them).
    """
    sla = cfg.sla
    prio_cfg = sla.get("priority") or {}
    values = {
        "priority": int((prio_cfg.get("by_topic") or {}).get(topic, prio_cfg.get("default", 2))),
        "first_reply_hours": float(sla.get("first_reply_hours", 24)),
        "resolution_hours": float(sla.get("resolution_hours", 48)),
        "at_risk_hours": float(sla.get("at_risk_hours", 12)),
    }
    if use_desk_settings:
        values.update(desk_overrides() if overrides is None else overrides)
    facts = {"kind": kind, "topic": topic, "channel": channel}
    for override in sla.get("overrides") or []:
        matches = all(facts.get(k) == v for k, v in override.items() if k in facts)
        if "priority_is" in override and int(override["priority_is"]) != values["priority"]:
            matches = False
        if matches:
            values.update({k: v for k, v in override.items() if k in values})
    return Targets(int(values["priority"]), float(values["first_reply_hours"]), float(values["resolution_hours"]),
                   float(values["at_risk_hours"]))


def due(start: datetime, hours: float) -> datetime:
    """Wall-clock due time."""
    return start + timedelta(hours=hours)
