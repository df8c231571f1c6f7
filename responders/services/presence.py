"""Who is viewing a ticket: each desk page heartbeat refreshes the viewer's mark."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from responders.config import ResponderConfig, load_config
from responders.models import Ticket, TicketViewer


def seen(ticket: Ticket, user, now: datetime | None = None) -> None:
    """Record that `user` has the ticket open now."""
    TicketViewer.objects.update_or_create(ticket=ticket, user=user, defaults={"last_seen": now or timezone.now()})


def viewers(ticket: Ticket, *, exclude=None, now: datetime | None = None, cfg: ResponderConfig | None = None) -> list[str]:
    """Usernames of the people who had the ticket open within the presence window (except `exclude`)."""
    cfg, now = cfg or load_config(), now or timezone.now()
    window = timedelta(seconds=float((cfg.claims or {}).get("presence_seconds", 90)))
    qs = TicketViewer.objects.filter(ticket=ticket, last_seen__gte=now - window).select_related("user")
    if exclude is not None:
        qs = qs.exclude(user=exclude)
    return sorted(v.user.get_username() for v in qs)
