"""The SLA sweep: mark open tickets at risk or breached per clock, escalate breaches, notify once per clock.

Run it every few minutes (`otklik sla sweep`, or the flow). For each open ticket the clocks are rebuilt;
a clock is *at risk* from `at_risk_hours` before its due time and *breached* after it. The first time a
clock reaches a level, an SlaNotification row is created (unique per ticket, clock and level — that is
what makes it "once"), a breach escalates the ticket to a lead, and the notice goes to the configured
e-mail recipients (Django's e-mail backend) and webhook (JSON POST). Undelivered notices are retried by
later sweeps, up to MAX_ATTEMPTS.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from responders.config import ResponderConfig, load_config
from responders.models import SlaNotification, SlaState, Ticket, TicketEvent
from responders.roles import LEAD
from responders.services.sla import desk_overrides, targets_for
from responders.services.workflow import refresh_clocks
from store.services.audit import record

MAX_ATTEMPTS = 5
Clock = SlaNotification.Clock
LEVEL_ORDER = {SlaState.OK: 0, SlaState.AT_RISK: 1, SlaState.BREACHED: 2}


@dataclass
class SweepStats:
    checked: int = 0
    at_risk: int = 0
    breached: int = 0
    notified: int = 0
    escalated: int = 0
    delivery_failures: int = 0


def level(due: datetime, now: datetime, at_risk: timedelta) -> str:
    """ok / at_risk / breached for a clock due at `due`."""
    if now >= due:
        return SlaState.BREACHED
    if now >= due - at_risk:
        return SlaState.AT_RISK
    return SlaState.OK


def clock_levels(ticket: Ticket, now: datetime, at_risk: timedelta, paused: bool) -> dict[str, tuple[str, datetime]]:
    """The level of each clock: first reply until answered; resolution while running (or breached before a pause).

    A paused clock's due time lies in the future unless the target was already used up, so it is never at risk.
    """
    out = {}
    if ticket.first_replied_at is None:
        out[Clock.FIRST_REPLY] = (level(ticket.first_reply_due, now, at_risk), ticket.first_reply_due)
    if not paused:
        out[Clock.RESOLUTION] = (level(ticket.resolution_due, now, at_risk), ticket.resolution_due)
    elif ticket.resolution_due <= now:  # the target was used up before the pause: still breached
        out[Clock.RESOLUTION] = (SlaState.BREACHED, ticket.resolution_due)
    return out


def pick_lead(cfg: ResponderConfig):
    """The configured lead, else the active lead with the fewest open escalations."""
    users = get_user_model().objects.filter(is_active=True)
    name = (cfg.escalation or {}).get("lead")
    if name:
        lead = users.filter(username=name).first()
        if lead is None:
            raise ValueError(f"escalation.lead {name!r} is not an active user")
        return lead
    leads = users.filter(Q(groups__name=LEAD) | Q(is_superuser=True)).distinct().annotate(
        load=Count("escalations", filter=~Q(escalations__state="closed"))).order_by("load", "id")
    return leads.first()


def _recipients(lead) -> list[str]:
    emails = [e for e in settings.OTKLIK.get("SLA_NOTIFY_EMAILS", []) if e]
    if lead is not None and lead.email and lead.email not in emails:
        emails.append(lead.email)
    return emails


def payload(n: SlaNotification) -> dict:
    """The webhook body (and the e-mail's facts): no crawled text, only ids, codes and times."""
    t = n.ticket
    return {
        "event": f"sla.{n.level}", "ticket": t.pk, "clock": n.clock, "due_at": n.due_at.isoformat(),
        "kind": t.kind, "topic": t.topic, "channel": t.channel, "priority": t.priority,
        "assignee": t.assignee.get_username() if t.assignee_id else None,
        "escalated_to": n.escalated_to.get_username() if n.escalated_to_id else None,
        "url": str(settings.OTKLIK.get("PUBLIC_URL", "")).rstrip("/") + f"/desk/tickets/{t.pk}/",
    }


def deliver(n: SlaNotification, client: httpx.Client | None = None) -> bool:
    """Send one notice by e-mail and webhook; record what happened; True when every configured way worked."""
    body = payload(n)
    errors = []
    n.attempts += 1
    if n.recipients and not n.email_sent:
        word = {"at_risk": "под угрозой", "breached": "просрочен"}[n.level]
        clock = dict(Clock.choices)[n.clock].lower()
        try:
            send_mail(f"[Отклик] #{n.ticket_id}: срок «{clock}» {word}",
                      "\n".join(f"{k}: {v}" for k, v in body.items()),
                      settings.DEFAULT_FROM_EMAIL, n.recipients)
            n.email_sent = True
        except Exception as exc:  # noqa: BLE001 - any backend failure is recorded and retried
            errors.append(f"email: {exc}")
    url = settings.OTKLIK.get("SLA_WEBHOOK_URL")
    if url and not n.webhook_status.startswith("2"):
        try:
            resp = (client or httpx).post(url, json=body, timeout=10)
            n.webhook_status = str(resp.status_code)
            if resp.status_code >= 300:
                errors.append(f"webhook: HTTP {resp.status_code}")
        except httpx.HTTPError as exc:
            n.webhook_status = "error"
            errors.append(f"webhook: {exc}")
    n.delivered = not errors
    n.last_error = "; ".join(errors)
    n.save()
    return n.delivered


def _escalate(ticket: Ticket, lead, now: datetime) -> bool:
    if lead is None or ticket.escalated_to_id is not None:
        return False
    ticket.escalated_to, ticket.escalated_at = lead, now
    TicketEvent.objects.create(ticket=ticket, from_state=ticket.state, to_state=ticket.state, at=now,
                               note=f"escalated to {lead.get_username()}")
    record("ticket.escalate", ticket, label="system", after={"escalated_to": lead.get_username()})
    return True


def _evaluate(ticket: Ticket, cfg: ResponderConfig, now: datetime, overrides: dict, events=None):
    """Rebuild the clocks (not saved) and return (levels per clock, the worst level)."""
    c = refresh_clocks(ticket, cfg, now, events=events)
    at_risk = timedelta(hours=targets_for(cfg, kind=ticket.kind, topic=ticket.topic, channel=ticket.channel,
                                          overrides=overrides).at_risk_hours)
    levels = clock_levels(ticket, now, at_risk, c.paused)
    worst = max((lv for lv, _ in levels.values()), key=LEVEL_ORDER.__getitem__, default=SlaState.OK)
    return levels, worst


def _wanted(levels: dict, sent: set[tuple[str, str]]) -> list[tuple[str, str, datetime]]:
    """The notices still to create: one per clock and level, no at-risk notice after a breach notice."""
    out = []
    for clock, (lv, due_at) in levels.items():
        if lv == SlaState.OK or (clock, lv) in sent:
            continue
        if lv == SlaState.AT_RISK and (clock, SlaState.BREACHED) in sent:
            continue
        out.append((clock, lv, due_at))
    return out


def sweep(now: datetime | None = None, cfg: ResponderConfig | None = None, client: httpx.Client | None = None) -> SweepStats:
    """Check every open ticket's clocks; mark, escalate and notify; retry undelivered notices.

    Tickets whose due times, SLA state and notices are unchanged cost no write; the others are re-read under a
    row lock before anything is written, so a sweep running beside the desk (or another sweep) is safe.
    """
    cfg, now = cfg or load_config(), now or timezone.now()
    stats = SweepStats()
    overrides = desk_overrides()
    lead, lead_checked = None, False
    open_tickets = Ticket.objects.open().filter(dismissed=False)
    sent: dict[int, set] = {}
    for tid, clock, lv in SlaNotification.objects.filter(ticket__in=open_tickets).values_list("ticket", "clock", "level"):
        sent.setdefault(tid, set()).add((clock, lv))
    events = Prefetch("events", queryset=TicketEvent.objects.order_by("at", "id").only("ticket", "at", "to_state"))
    for ticket in open_tickets.prefetch_related(events).iterator(chunk_size=500):
        stats.checked += 1
        old_due = (ticket.first_reply_due, ticket.resolution_due, ticket.sla_state)
        history = [(e.at, e.to_state) for e in ticket.events.all()]
        levels, worst = _evaluate(ticket, cfg, now, overrides, events=history)
        stats.at_risk += worst == SlaState.AT_RISK
        stats.breached += worst == SlaState.BREACHED
        if (ticket.first_reply_due, ticket.resolution_due, worst) == old_due and not _wanted(levels, sent.get(ticket.pk, set())):
            continue
        new_notices = []
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
            if ticket.state == "closed":
                continue
            levels, worst = _evaluate(ticket, cfg, now, overrides)
            before = ticket.sla_state
            ticket.sla_state = worst
            done = set(ticket.sla_notifications.values_list("clock", "level"))
            for clock, lv, due_at in _wanted(levels, done):
                escalate_to = None
                if lv == SlaState.BREACHED:
                    if not lead_checked:
                        lead, lead_checked = pick_lead(cfg), True
                    if _escalate(ticket, lead, now):
                        stats.escalated += 1
                    escalate_to = ticket.escalated_to
                try:
                    with transaction.atomic():
                        new_notices.append(SlaNotification.objects.create(
                            ticket=ticket, clock=clock, level=lv, due_at=due_at, escalated_to=escalate_to,
                            recipients=_recipients(escalate_to), created_at=now))
                except IntegrityError:
                    continue  # a parallel sweep created it: it sends it
            ticket.save()
            if before != worst:
                record("ticket.sla", ticket, label="system", before={"sla_state": before}, after={"sla_state": worst})
        for n in new_notices:
            stats.notified += 1
            stats.delivery_failures += not deliver(n, client)
    for n in SlaNotification.objects.filter(delivered=False, attempts__lt=MAX_ATTEMPTS, created_at__lt=now).select_related(
            "ticket", "ticket__assignee", "escalated_to"):
        stats.delivery_failures += not deliver(n, client)
    return stats
