"""The two SLA clocks of a ticket, rebuilt from its state history.

- First reply: runs from the moment the customer spoke (`opened_at`) to the first reply.
- Resolution (closed loop): runs from `opened_at` to closing, except while the ticket waits for the customer
  (state `waiting`) or is closed; a reopened ticket's clock resumes where it stopped.

The due times count either wall-clock or business time (`sla.due_by`); both durations are always computed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from responders.config import ResponderConfig
from responders.models import TicketState
from responders.services.calendar import (
    BusinessCalendar,
    Calendar,
    WallCalendar,
    business_calendar,
)

PAUSED_STATES = frozenset({TicketState.WAITING, TicketState.CLOSED})
WALL = WallCalendar()


@dataclass(frozen=True)
class Clocks:
    first_reply_due: datetime
    resolution_due: datetime
    first_reply_seconds: float | None  # wall-clock, None until the first reply
    first_reply_business_seconds: float | None
    resolution_seconds: float  # active (unpaused) wall-clock seconds so far, or until closing
    resolution_business_seconds: float
    paused_seconds: float  # wall-clock seconds spent waiting for the customer (and closed before a reopen)
    paused: bool  # the resolution clock is not running now (waiting or closed)
    first_reply_met: bool | None
    resolution_met: bool | None  # only once closed


def calendars(cfg: ResponderConfig) -> tuple[Calendar, BusinessCalendar]:
    """(the calendar the due times use, the business calendar for business durations)."""
    business = _business(cfg)
    return (business if cfg.sla.get("due_by") == "business" else WALL), business


def _business(cfg: ResponderConfig) -> BusinessCalendar:
    # The section is a dict (unhashable): key the cache on its JSON text.
    return _business_cached(json.dumps(cfg.sla.get("business_hours") or {}, sort_keys=True, default=str))


@lru_cache(maxsize=8)
def _business_cached(text: str) -> BusinessCalendar:
    return business_calendar(json.loads(text))


def active_intervals(opened_at: datetime, events, now: datetime) -> tuple[list[tuple[datetime, datetime | None]], float]:
    """Intervals during which the resolution clock runs (None = still running) and the paused wall seconds.

    `events` are (at, to_state) pairs in time order; the state before the first one is `new`.
    """
    intervals: list[tuple[datetime, datetime | None]] = []
    paused = 0.0
    state, since = TicketState.NEW, opened_at
    for at, to_state in events:
        at = max(at, opened_at)
        running_before, running_after = state not in PAUSED_STATES, to_state not in PAUSED_STATES
        if running_before and not running_after:
            intervals.append((since, at))
            since = at
        elif not running_before and running_after:
            paused += WALL.seconds_between(since, at)
            since = at
        state = to_state
    if state not in PAUSED_STATES:
        intervals.append((since, None))
    elif state == TicketState.WAITING:
        paused += WALL.seconds_between(since, now)
    return intervals, paused


def _elapsed(intervals, cal: Calendar, now: datetime) -> float:
    return sum(cal.seconds_between(a, b or now) for a, b in intervals)


def _due(intervals, target_s: float, cal: Calendar, resume_at: datetime) -> datetime:
    """When the running time over `intervals` reaches the target; if it has not, project from `resume_at`."""
    acc = 0.0
    for a, b in intervals:
        if b is None:
            return cal.add(a, target_s - acc)
        span = cal.seconds_between(a, b)
        if acc + span >= target_s:
            return cal.add(a, target_s - acc)
        acc += span
    return cal.add(resume_at, target_s - acc)


def compute(
    *,
    opened_at: datetime,
    events,
    first_replied_at: datetime | None,
    state: str,
    first_reply_hours: float,
    resolution_hours: float,
    cfg: ResponderConfig,
    now: datetime,
) -> Clocks:
    """Rebuild both clocks of one ticket from its history (`events`: (at, to_state) in time order)."""
    due_cal, business = calendars(cfg)
    intervals, paused_s = active_intervals(opened_at, events, now)
    fr_target, res_target = first_reply_hours * 3600, resolution_hours * 3600
    first_reply_due = due_cal.add(opened_at, fr_target)
    # A paused clock's due time is a projection: the due time if the customer answered now.
    resume_at = now
    if state == TicketState.CLOSED and intervals:
        resume_at = intervals[-1][1] or now
    resolution_due = _due(intervals, res_target, due_cal, resume_at)
    closed = state == TicketState.CLOSED
    return Clocks(
        first_reply_due=first_reply_due,
        resolution_due=resolution_due,
        first_reply_seconds=WALL.seconds_between(opened_at, first_replied_at) if first_replied_at else None,
        first_reply_business_seconds=business.seconds_between(opened_at, first_replied_at) if first_replied_at else None,
        resolution_seconds=_elapsed(intervals, WALL, now),
        resolution_business_seconds=_elapsed(intervals, business, now),
        paused_seconds=paused_s,
        paused=state in PAUSED_STATES,
        first_reply_met=(first_replied_at <= first_reply_due) if first_replied_at else None,
        resolution_met=(_elapsed(intervals, due_cal, now) <= res_target) if closed else None,
    )
