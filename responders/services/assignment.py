"""Automatic assignment of free tickets to moderators: round robin or least loaded."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils import timezone

from responders.config import ResponderConfig, load_config
from responders.models import AssignmentMode, DeskSettings, Ticket, TicketState
from responders.roles import MODERATOR
from responders.services.workflow import ClaimConflict, TransitionError, assign


@dataclass
class AssignStats:
    mode: str
    assigned: dict[str, int] = field(default_factory=dict)


def assignment_mode(cfg: ResponderConfig) -> str:
    """The lead's choice in the desk settings, else rules.yaml's `assignment.mode`."""
    row = DeskSettings.objects.filter(pk=1).first()
    return (row.assignment_mode if row and row.assignment_mode else None) or (cfg.assignment or {}).get("mode", "off")


def moderators():
    """Active members of the moderator group, in a stable order."""
    return get_user_model().objects.filter(is_active=True, groups__name=MODERATOR).distinct().order_by("id")


def free_tickets(now: datetime):
    """Unanswered tickets nobody holds (never assigned, released, or the claim expired), earliest due first."""
    return (Ticket.objects.filter(state__in=(TicketState.NEW, TicketState.CLAIMED), dismissed=False)
            .filter(Q(assignee__isnull=True) | Q(claim_expires_at__lte=now)).by_due())


def _load(users, now: datetime) -> dict[int, int]:
    """Open tickets each user holds now."""
    held = (Ticket.objects.open().filter(assignee__in=users).filter(Q(claim_expires_at__gt=now) | Q(claim_expires_at__isnull=True))
            .values("assignee").annotate(n=Count("id")))
    loads = {u.pk: 0 for u in users}
    loads.update({r["assignee"]: r["n"] for r in held})
    return loads


def auto_assign(*, mode: str | None = None, limit: int = 100, now: datetime | None = None,
                cfg: ResponderConfig | None = None) -> AssignStats:
    """Assign up to `limit` free tickets, earliest due first, by the configured mode; 'off' assigns nothing."""
    cfg, now = cfg or load_config(), now or timezone.now()
    mode = mode or assignment_mode(cfg)
    if mode not in AssignmentMode.values:
        raise ValueError(f"unknown assignment mode {mode!r}")
    stats = AssignStats(mode)
    users = list(moderators())
    if mode == AssignmentMode.OFF or not users:
        return stats
    settings_row = DeskSettings.current()
    loads = _load(users, now)
    last = settings_row.round_robin_last_id
    for ticket in free_tickets(now)[:limit]:
        if mode == AssignmentMode.ROUND_ROBIN:
            after = [u for u in users if last is not None and u.pk > last]
            user = (after or users)[0]
        else:
            user = min(users, key=lambda u: (loads[u.pk], u.pk))
        try:
            assign(ticket.pk, user, by=None, now=now, cfg=cfg, only_if_free=True)
        except (ClaimConflict, TransitionError):
            continue  # a moderator took it meanwhile
        last = user.pk
        loads[user.pk] += 1
        stats.assigned[user.get_username()] = stats.assigned.get(user.get_username(), 0) + 1
    if last != settings_row.round_robin_last_id:
        DeskSettings.objects.filter(pk=settings_row.pk).update(round_robin_last=last)
    return stats
