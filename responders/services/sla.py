"""SLA targets: how long each ticket may take to its first reply and to closing the loop."""

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


def targets_for(cfg: ResponderConfig, *, kind: str, topic: str, channel: str) -> Targets:
    """Resolve the targets for a ticket from the defaults and the ordered overrides (later ones win)."""
    sla = cfg.sla
    prio_cfg = sla.get("priority") or {}
    values = {
        "priority": int((prio_cfg.get("by_topic") or {}).get(topic, prio_cfg.get("default", 2))),
        "first_reply_hours": float(sla.get("first_reply_hours", 24)),
        "resolution_hours": float(sla.get("resolution_hours", 48)),
        "at_risk_hours": float(sla.get("at_risk_hours", 12)),
    }
    facts = {"kind": kind, "topic": topic, "channel": channel}
    for override in sla.get("overrides") or []:
        conditions = {k: v for k, v in override.items() if k in facts or k == "priority_is"}
        if all(facts.get(k) == v for k, v in conditions.items() if k in facts):
            values.update({k: v for k, v in override.items() if k in values})
    return Targets(int(values["priority"]), float(values["first_reply_hours"]), float(values["resolution_hours"]),
                   float(values["at_risk_hours"]))


def due(start: datetime, hours: float) -> datetime:
    """Wall-clock due time."""
    return start + timedelta(hours=hours)
