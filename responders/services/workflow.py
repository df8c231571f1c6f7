"""The ticket state machine: claim, release, assign, reply, wait, resume, close, reopen.

Every action runs in one transaction on a locked row (SELECT … FOR UPDATE on PostgreSQL; SQLite's
IMMEDIATE transactions serialise writers), writes a TicketEvent for state changes and an AuditEvent for
everything, and rebuilds the clocks from the history. A ticket is *held* by its assignee until the claim
expires; only the holder may reply, wait, resume or close it, so two moderators never answer the same ticket.

    new ──claim──▶ claimed ──reply──▶ replied ──wait──▶ waiting ──resume──▶ claimed
     ▲   ◀─release─                      │                  │
     └──────── reopen ◀── closed ◀──close┴──────────────────┘   (close is allowed from any open state)
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from responders.config import ResponderConfig, load_config
from responders.models import (
    DeskSettings,
    Reply,
    ReplyTemplate,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketState,
)
from responders.services import clocks
from responders.services.sla import targets_for
from store.services.audit import record

OPEN_STATES = (TicketState.NEW, TicketState.CLAIMED, TicketState.REPLIED, TicketState.WAITING)


class TransitionError(Exception):
    """The action is not allowed in the ticket's current state."""


class ClaimConflict(TransitionError):
    """Another moderator holds the ticket."""


def state_name(state: str) -> str:
    """The Russian name of a ticket state (as the desk shows it)."""
    return TicketState(state).label if state in TicketState.values else state


def is_lead(user) -> bool:
    from responders.roles import LEAD, has_role

    return has_role(user, LEAD)


def require_owner(ticket: Ticket, user, now: datetime) -> None:
    """The one rule for changing a ticket (labels, orders, close, reopen): its holder, or a lead.

    A free open ticket is anyone's to take (acting on it claims it where the action does); a closed one
    belongs to its last assignee (who closed it). The system (user None: CLI, flows) is not checked.
    """
    if user is None or not getattr(user, "is_authenticated", False) or is_lead(user):
        return
    if ticket.state == TicketState.CLOSED:
        if ticket.assignee_id is not None and ticket.assignee_id != user.pk:
            raise ClaimConflict(f"обращение #{ticket.pk} закрыл(а) {ticket.assignee.get_username()}: менять его "
                                "может он(а) или руководитель")
        return
    current = holder(ticket, now)
    if current is not None and current.pk != user.pk:
        raise ClaimConflict(f"обращение #{ticket.pk} в работе у {current.get_username()}: менять его может "
                            "он(а) или руководитель")


def may_change(ticket: Ticket, user, now: datetime) -> bool:
    """True if `user` may change the ticket under require_owner's rule (the desk greys out the buttons)."""
    try:
        require_owner(ticket, user, now)
    except ClaimConflict:
        return False
    return True


def log_change(ticket: Ticket, user, note: str, now: datetime | None = None) -> TicketEvent:
    """A history row for a change that keeps the state (labels, order links, assignment)."""
    return TicketEvent.objects.create(ticket=ticket, from_state=ticket.state, to_state=ticket.state,
                                      actor=user if getattr(user, "is_authenticated", False) else None,
                                      at=now or timezone.now(), note=note[:500])


def claim_ttl(cfg: ResponderConfig) -> timedelta:
    """How long a claim lasts without activity (desk settings, then rules.yaml, default 30 minutes)."""
    row = DeskSettings.objects.filter(pk=1).only("claim_ttl_minutes").first()
    minutes = (row.claim_ttl_minutes if row else None) or (cfg.claims or {}).get("ttl_minutes", 30)
    return timedelta(minutes=float(minutes))


def holder(ticket: Ticket, now: datetime):
    """The user holding the ticket now, or None if it is free (unassigned or the claim expired)."""
    if ticket.assignee_id is None or ticket.state == TicketState.CLOSED:
        return None
    if ticket.claim_expires_at is not None and ticket.claim_expires_at <= now:
        return None
    return ticket.assignee


def snapshot(ticket: Ticket) -> dict:
    """The fields an audit entry shows before/after an action."""
    return {
        "state": ticket.state,
        "assignee": ticket.assignee.get_username() if ticket.assignee_id else None,
        "claim_expires_at": ticket.claim_expires_at.isoformat() if ticket.claim_expires_at else None,
        "sla_state": ticket.sla_state,
        "topic": ticket.topic,
        "sentiment": ticket.sentiment,
        "first_reply_met": ticket.first_reply_met,
        "resolution_met": ticket.resolution_met,
    }


def targets(ticket: Ticket, cfg: ResponderConfig) -> tuple[float, float]:
    """The ticket's (first reply, resolution) targets in hours, fixed at opening when recorded."""
    if ticket.first_reply_target_h is not None and ticket.resolution_target_h is not None:
        return ticket.first_reply_target_h, ticket.resolution_target_h
    t = targets_for(cfg, kind=ticket.kind, topic=ticket.topic, channel=ticket.channel)
    return t.first_reply_hours, t.resolution_hours


def refresh_clocks(ticket: Ticket, cfg: ResponderConfig | None = None, now: datetime | None = None,
                   events: list | None = None) -> clocks.Clocks:
    """Rebuild the ticket's clocks from its events and store due times and durations (not saved).

    `events`: the (at, to_state) history in time order if the caller already has it.
    """
    cfg = cfg or load_config()
    now = now or timezone.now()
    if events is None:
        events = list(ticket.events.order_by("at", "id").values_list("at", "to_state"))
    fr_h, res_h = targets(ticket, cfg)
    c = clocks.compute(opened_at=ticket.opened_at, events=events, first_replied_at=ticket.first_replied_at,
                       state=ticket.state, first_reply_hours=fr_h, resolution_hours=res_h, cfg=cfg, now=now)
    ticket.first_reply_due = c.first_reply_due
    ticket.resolution_due = c.resolution_due
    ticket.first_reply_seconds = c.first_reply_seconds
    ticket.first_reply_business_seconds = c.first_reply_business_seconds
    ticket.resolution_seconds = c.resolution_seconds
    ticket.resolution_business_seconds = c.resolution_business_seconds
    ticket.paused_seconds = c.paused_seconds
    if ticket.first_replied_at and ticket.first_reply_met is None:
        ticket.first_reply_met = c.first_reply_met  # frozen at the first reply
    if ticket.state == TicketState.CLOSED and not ticket.dismissed:
        ticket.resolution_met = c.resolution_met  # frozen at closing
    return c


def _locked(ticket_id: int) -> Ticket:
    """The ticket row, locked until the transaction ends.

    No select_related here: on PostgreSQL a row re-read after waiting for the lock keeps the joined rows of
    the original snapshot, so a freshly set assignee would come back as None.
    """
    try:
        return Ticket.objects.select_for_update().get(pk=ticket_id)
    except Ticket.DoesNotExist:
        raise TransitionError(f"обращения #{ticket_id} нет") from None


def _move(ticket: Ticket, to_state: str, actor, now: datetime, note: str = "") -> None:
    TicketEvent.objects.create(ticket=ticket, from_state=ticket.state, to_state=to_state,
                               actor=actor if getattr(actor, "is_authenticated", False) else None, at=now, note=note)
    ticket.state = to_state


def _finish(ticket: Ticket, action: str, actor, before: dict, cfg: ResponderConfig, now: datetime, **extra) -> Ticket:
    refresh_clocks(ticket, cfg, now)
    ticket.save()
    record(f"ticket.{action}", ticket, actor=actor, before=before, after={**snapshot(ticket), **extra},
           label="" if getattr(actor, "is_authenticated", False) else "system")
    return ticket


def _take(ticket: Ticket, user, now: datetime, cfg: ResponderConfig) -> None:
    """Make `user` the holder: a conditional UPDATE that only succeeds if the ticket is free or already theirs."""
    current = holder(ticket, now)
    if current is not None and current.pk != user.pk:
        raise ClaimConflict(f"обращение #{ticket.pk} в работе у {current.get_username()}")
    expires = now + claim_ttl(cfg)
    free = Q(assignee__isnull=True) | Q(assignee=user) | Q(claim_expires_at__lte=now)
    taken = Ticket.objects.filter(free, pk=ticket.pk).exclude(state=TicketState.CLOSED).update(
        assignee=user, claim_expires_at=expires)
    if taken != 1:
        raise ClaimConflict(f"обращение #{ticket.pk} только что взял другой модератор")
    ticket.assignee, ticket.claim_expires_at = user, expires


def _require_holder(ticket: Ticket, user, now: datetime, cfg: ResponderConfig) -> None:
    """Refuse unless `user` holds the ticket; a free ticket is claimed on the way (then the claim is renewed)."""
    if ticket.state == TicketState.CLOSED:
        raise TransitionError(f"обращение #{ticket.pk} закрыто")
    _take(ticket, user, now, cfg)
    if ticket.state == TicketState.NEW:
        _move(ticket, TicketState.CLAIMED, user, now, "claimed")


def claim(ticket_id: int, user, *, now: datetime | None = None, cfg: ResponderConfig | None = None) -> Ticket:
    """Take a ticket (or renew one's own claim); ClaimConflict if someone else holds it."""
    cfg, now = cfg or load_config(), now or timezone.now()
    with transaction.atomic():
        ticket = _locked(ticket_id)
        if ticket.state == TicketState.CLOSED:
            raise TransitionError(f"обращение #{ticket_id} закрыто: сначала откройте его снова")
        before = snapshot(ticket)
        _require_holder(ticket, user, now, cfg)
        return _finish(ticket, "claim", user, before, cfg, now)


def release(ticket_id: int, user, *, now: datetime | None = None, cfg: ResponderConfig | None = None) -> Ticket:
    """Give a ticket back to the queue (its holder, or a lead)."""
    from responders.roles import LEAD, has_role

    cfg, now = cfg or load_config(), now or timezone.now()
    with transaction.atomic():
        ticket = _locked(ticket_id)
        current = holder(ticket, now)
        if current is not None and current.pk != user.pk and not has_role(user, LEAD):
            raise ClaimConflict(f"обращение #{ticket_id} в работе у {current.get_username()}")
        before = snapshot(ticket)
        ticket.assignee, ticket.claim_expires_at = None, None
        if ticket.state == TicketState.CLAIMED:
            _move(ticket, TicketState.NEW, user, now, "released")
        return _finish(ticket, "release", user, before, cfg, now)


def assign(ticket_id: int, assignee, *, by=None, now: datetime | None = None, cfg: ResponderConfig | None = None,
           only_if_free: bool = False) -> Ticket:
    """Give a ticket to `assignee` (a lead reassigning, or automatic assignment when `by` is None)."""
    cfg, now = cfg or load_config(), now or timezone.now()
    with transaction.atomic():
        ticket = _locked(ticket_id)
        if ticket.state == TicketState.CLOSED:
            raise TransitionError(f"обращение #{ticket_id} закрыто")
        if only_if_free and holder(ticket, now) is not None:
            raise ClaimConflict(f"обращение #{ticket_id} уже в работе")
        before = snapshot(ticket)
        expires = now + claim_ttl(cfg)
        updated = Ticket.objects.filter(pk=ticket.pk).exclude(state=TicketState.CLOSED)
        if only_if_free:
            updated = updated.filter(Q(assignee__isnull=True) | Q(claim_expires_at__lte=now))
        if updated.update(assignee=assignee, claim_expires_at=expires) != 1:
            raise ClaimConflict(f"обращение #{ticket_id} только что взял другой модератор")
        ticket.assignee, ticket.claim_expires_at = assignee, expires
        if ticket.state == TicketState.NEW:
            _move(ticket, TicketState.CLAIMED, by, now, f"assigned to {assignee.get_username()}")
        else:
            TicketEvent.objects.create(ticket=ticket, from_state=ticket.state, to_state=ticket.state, at=now,
                                       actor=by, note=f"assigned to {assignee.get_username()}")
        return _finish(ticket, "assign" if by else "auto_assign", by, before, cfg, now)


def reply(ticket_id: int, user, text: str, *, template: ReplyTemplate | None = None, now: datetime | None = None,
          cfg: ResponderConfig | None = None) -> Reply:
    """Queue a reply in the outbox as the ticket's holder; the first one stops the first-reply clock."""
    from responders.services.outbox import adapter_name_for

    text = (text or "").strip()
    if not text:
        raise TransitionError("ответ пустой")
    cfg, now = cfg or load_config(), now or timezone.now()
    with transaction.atomic():
        ticket = _locked(ticket_id)
        before = snapshot(ticket)
        _require_holder(ticket, user, now, cfg)
        r = Reply.objects.create(ticket=ticket, author=user, template=template, text=text, created_at=now,
                                 next_attempt_at=now, adapter=adapter_name_for(ticket.channel))
        ticket.reply_count += 1
        if ticket.first_replied_at is None:
            ticket.first_replied_at = now
        if ticket.state != TicketState.REPLIED:
            _move(ticket, TicketState.REPLIED, user, now, "replied")
        _finish(ticket, "reply", user, before, cfg, now, reply_id=r.pk, template=template.pk if template else None)
        record("reply.queue", r, actor=user, after={"ticket": ticket.pk, "text": text, "adapter": r.adapter})
        return r


def wait_for_customer(ticket_id: int, user, *, now: datetime | None = None, cfg: ResponderConfig | None = None) -> Ticket:
    """Mark a replied ticket as waiting for the customer: the resolution clock pauses."""
    cfg, now = cfg or load_config(), now or timezone.now()
    with transaction.atomic():
        ticket = _locked(ticket_id)
        if ticket.state != TicketState.REPLIED:
            raise TransitionError(f"ждать клиента можно только после ответа (сейчас: {state_name(ticket.state)})")
        before = snapshot(ticket)
        _require_holder(ticket, user, now, cfg)
        _move(ticket, TicketState.WAITING, user, now, "waiting for the customer")
        return _finish(ticket, "wait", user, before, cfg, now)


def resume(ticket_id: int, user=None, *, now: datetime | None = None, cfg: ResponderConfig | None = None,
           note: str = "customer answered") -> Ticket:
    """The customer answered: the resolution clock runs again and the ticket is back in work."""
    cfg, now = cfg or load_config(), now or timezone.now()
    with transaction.atomic():
        ticket = _locked(ticket_id)
        if ticket.state != TicketState.WAITING:
            raise TransitionError(f"«Клиент ответил» — только для обращения, которое ждёт клиента (сейчас: {state_name(ticket.state)})")
        before = snapshot(ticket)
        _resume(ticket, user, now, cfg, note)
        return _finish(ticket, "resume", user, before, cfg, now)


def _resume(ticket: Ticket, user, now: datetime, cfg: ResponderConfig, note: str) -> None:
    """Back in work after the customer answered: the holder's (the presser's, if any) or the queue's."""
    if user is not None:
        _take(ticket, user, now, cfg)
    to = TicketState.CLAIMED if holder(ticket, now) is not None else TicketState.NEW
    _move(ticket, to, user, now, note)


FOLLOWUP_NOTE = "Клиент ответил: новое сообщение в той же ветке"
EDIT_NOTE = "Клиент ответил: отзыв отредактирован"


def customer_answered(ticket_id: int, *, note: str = FOLLOWUP_NOTE, now: datetime | None = None,
                      cfg: ResponderConfig | None = None) -> tuple[Ticket, str]:
    """A later message of the customer joined the ticket (responders.services.threads): «Клиент ответил» by itself.

    Waiting for the customer (or answered and not yet marked waiting): back in work exactly as the manual button
    does (the holder keeps it, else the queue). Closed: reopened into the queue (no holder), its resolution
    clock continuing as with `reopen`. New or in work: a history row only. Returns the ticket and the effect
    (`TicketMessage.Effect`: resumed, reopened, attached).
    """
    cfg, now = cfg or load_config(), now or timezone.now()
    with transaction.atomic():
        ticket = _locked(ticket_id)
        before = snapshot(ticket)
        if ticket.state == TicketState.CLOSED:
            ticket.closed_at, ticket.close_reason, ticket.resolution_met, ticket.dismissed = None, "", None, False
            ticket.assignee, ticket.claim_expires_at = None, None
            _move(ticket, TicketState.NEW, None, now, f"Открыто снова. {note}")
            effect, action = "reopened", "reopen"
        elif ticket.state in (TicketState.WAITING, TicketState.REPLIED):
            _resume(ticket, None, now, cfg, note)
            effect, action = "resumed", "resume"
        else:
            log_change(ticket, None, note, now)
            effect, action = "attached", "followup"
        _finish(ticket, action, None, before, cfg, now, note=note)
        return ticket, effect


def close(ticket_id: int, user, *, reason: str = "", now: datetime | None = None,
          cfg: ResponderConfig | None = None) -> Ticket:
    """Close the loop: freeze hit/miss of both clocks; a closed complaint may queue a CSAT follow-up."""
    from responders.services.csat import maybe_send_survey

    cfg, now = cfg or load_config(), now or timezone.now()
    with transaction.atomic():
        ticket = _locked(ticket_id)
        before = snapshot(ticket)
        current = holder(ticket, now)
        if current is not None and current.pk != getattr(user, "pk", None) and is_lead(user):
            pass  # a lead closes a ticket someone else holds; the holder stays its assignee
        else:
            _require_holder(ticket, user, now, cfg)
        if ticket.kind == TicketKind.COMPLAINT and ticket.reply_count == 0 and not reason:
            raise TransitionError("чтобы закрыть жалобу без ответа, укажите причину")
        _move(ticket, TicketState.CLOSED, user, now, reason or "closed")
        ticket.closed_at, ticket.close_reason, ticket.claim_expires_at = now, reason[:200], None
        if ticket.first_replied_at is None:
            ticket.first_reply_met = False
        _finish(ticket, "close", user, before, cfg, now, reason=reason)
        maybe_send_survey(ticket, cfg, now)
        return ticket


def reopen(ticket_id: int, user, *, reason: str = "", now: datetime | None = None,
           cfg: ResponderConfig | None = None) -> Ticket:
    """Reopen a closed ticket; its resolution clock resumes (time spent closed does not count)."""
    cfg, now = cfg or load_config(), now or timezone.now()
    with transaction.atomic():
        ticket = _locked(ticket_id)
        if ticket.state != TicketState.CLOSED:
            raise TransitionError(f"открыть снова можно только закрытое обращение (сейчас: {state_name(ticket.state)})")
        require_owner(ticket, user, now)
        before = snapshot(ticket)
        ticket.closed_at, ticket.close_reason, ticket.resolution_met, ticket.dismissed = None, "", None, False
        _move(ticket, TicketState.NEW, user, now, reason or "reopened")
        # The row is locked and closed tickets have no holder: the reopener takes it directly.
        ticket.assignee, ticket.claim_expires_at = user, now + claim_ttl(cfg)
        _move(ticket, TicketState.CLAIMED, user, now, "claimed")
        return _finish(ticket, "reopen", user, before, cfg, now, reason=reason)


def touch(ticket: Ticket, user, now: datetime | None = None, cfg: ResponderConfig | None = None) -> bool:
    """Renew the holder's claim on activity (the desk's heartbeat); False if `user` does not hold it."""
    cfg, now = cfg or load_config(), now or timezone.now()
    return bool(Ticket.objects.filter(pk=ticket.pk, assignee=user, claim_expires_at__gt=now)
                .exclude(state=TicketState.CLOSED).update(claim_expires_at=now + claim_ttl(cfg)))
