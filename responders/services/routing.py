"""Turn classified mentions into tickets: pick the kind by the configured rules, start the clocks, link orders."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from store.failpoints import failpoint

from responders.config import ResponderConfig, load_config
from responders.models import Ticket, TicketEvent, TicketMessage, TicketOrderLink, TicketState
from responders.services import threads
from responders.services.clocks import calendars
from responders.services.orders import extract_references, link_orders, match_orders_many
from responders.services.sla import desk_overrides, targets_for
from store.models import AuditEvent, Classification, Mention
from store.services.classify import enqueue_for_index
from store.services.audit import record
from store.services.claims import claims_enabled, drain


@dataclass
class RoutingStats:
    opened: int = 0
    dismissed: int = 0
    skipped_duplicates: int = 0
    linked_to_order: int = 0
    attached: int = 0  # later messages that joined a ticket of their conversation (threads)
    reopened: int = 0  # of those, the ones that reopened a recently closed ticket
    by_kind: Counter = field(default_factory=Counter)


def decide(cfg: ResponderConfig, classification: Classification, channel: str):
    """Return the first routing rule matching a mention's classification and channel."""
    for rule in cfg.rules:
        if rule.matches(classification.topics, classification.sentiment, channel, classification.mention.author):
            return rule
    raise ValueError("routing rules have no catch-all rule")


def pending_mentions():
    """Mentions that have a classification but neither a ticket nor a place in one's thread yet."""
    return Mention.objects.filter(ticket__isnull=True, thread_entry__isnull=True,
                                  classifications__isnull=False).distinct()


def _routable(mention: Mention, cfg: ResponderConfig) -> bool:
    """Copies are skipped (when configured), except a new version of a review: the customer said something new."""
    return not (cfg.skip_duplicates and mention.duplicate_of_id is not None and not threads.is_edit(mention))


def route_batch(mentions: list[Mention], cfg: ResponderConfig, stats: RoutingStats, now: datetime | None = None,
                ) -> list[int]:
    """Route a batch: a later message of a customer's conversation joins their ticket, the rest open tickets.

    In time order, so the first message of a conversation in the batch opens the ticket the later ones join.
    Returns the ids of the mentions routed (skipped copies are not).
    """
    now = now or timezone.now()
    to_open: list[Mention] = []
    joins: list[tuple[Mention, Ticket | None, Mention | None]] = []  # (message, its ticket, or the batch's first)
    first_in_batch: dict[tuple[str, str, str], Mention] = {}
    if threads.enabled(cfg):
        threads.lock_conversations(mentions)  # PostgreSQL: another router may be routing them right now
    known = threads.tickets_by_conversation(mentions) if threads.enabled(cfg) else {}
    for mention in sorted(mentions, key=lambda m: (m.posted_at, m.pk)):
        if not _routable(mention, cfg):
            stats.skipped_duplicates += 1
            continue
        conv = threads.conversation(mention) if threads.enabled(cfg) else None
        if conv is not None and conv in first_in_batch:
            joins.append((mention, None, first_in_batch[conv]))
            continue
        ticket = threads.find_ticket(mention, cfg, known) if conv is not None else None
        if ticket is not None:
            joins.append((mention, ticket, None))
            continue
        to_open.append(mention)
        if conv is not None:
            first_in_batch[conv] = mention
    opened = open_tickets(to_open, cfg, now=now)
    _tally(stats, opened)
    routed = [t.mention_id for t, _ in opened]
    by_mention = {t.mention_id: t for t, _ in opened}
    alone = []
    for mention, ticket, first in joins:
        ticket = ticket or by_mention.get(first.pk)
        someone_else = first is not None and ticket is not None and (
            threads.other_id(first, mention) or threads.other_customer(ticket, mention, cfg))
        if ticket is None or ticket.dismissed or someone_else:
            alone.append(mention)  # its conversation's first message was dismissed, or it is someone else
            continue
        entry = threads.attach(ticket, mention, cfg, now)
        if entry is not None:
            stats.attached += 1
            stats.reopened += entry.effect == TicketMessage.Effect.REOPENED
            routed.append(mention.pk)
    if alone:
        more = open_tickets(alone, cfg, now=now)
        _tally(stats, more)
        routed += [t.mention_id for t, _ in more]
    return routed


def route_pending(cfg: ResponderConfig | None = None, batch_size: int = 500,
                  progress: Callable[[int], None] | None = None, now: datetime | None = None) -> RoutingStats:
    """Open a ticket for every classified mention without one, or join it to its conversation's ticket
    (responders.services.threads); idempotent and resumable.

    On PostgreSQL batches are claimed (store.services.claims): several routers at once open each ticket once.
    """
    cfg = cfg or load_config()
    if claims_enabled():
        return _route_claimed(cfg, batch_size, progress, now)
    stats = RoutingStats()
    last_id = 0
    while True:
        batch = list(
            pending_mentions().filter(id__gt=last_id).select_related("source").prefetch_related("classifications")
            .order_by("id")[:batch_size]
        )
        if not batch:
            return stats
        last_id = batch[-1].id
        routed = route_batch(batch, cfg, stats, now)
        if progress:
            progress(len(routed))


def _merge(stats: RoutingStats, part: RoutingStats) -> None:
    """Add a batch's counts (copies skipped in a claimed batch are counted up front, not here)."""
    stats.opened += part.opened
    stats.dismissed += part.dismissed
    stats.linked_to_order += part.linked_to_order
    stats.attached += part.attached
    stats.reopened += part.reopened
    stats.by_kind.update(part.by_kind)


def _tally(stats: RoutingStats, opened: list[tuple[Ticket, bool]]) -> None:
    for ticket, linked in opened:
        stats.by_kind[ticket.kind] += 1
        if ticket.state == TicketState.CLOSED:
            stats.dismissed += 1
        else:
            stats.opened += 1
        if linked:
            stats.linked_to_order += 1


def _route_claimed(cfg: ResponderConfig, batch_size: int, progress: Callable[[int], None] | None,
                   now: datetime | None) -> RoutingStats:
    stats = RoutingStats()
    # No DISTINCT (pending_mentions() has one): FOR UPDATE cannot lock rows of a DISTINCT query.
    pending = Mention.objects.filter(ticket__isnull=True, thread_entry__isnull=True).filter(
        Exists(Classification.objects.filter(mention=OuterRef("pk"))))
    if cfg.skip_duplicates:
        # Every claimed row must end routed (drain claims until none is pending): copies other than new
        # versions of reviews are left out here and counted.
        routable = Q(duplicate_of__isnull=True) | Q(raw__has_key="edit_of")
        stats.skipped_duplicates = pending.exclude(routable).count()
        pending = pending.filter(routable)

    def process(lease) -> int:
        counted = RoutingStats()
        with transaction.atomic():
            held = lease.held()
            batch = list(Mention.objects.filter(id__in=held).select_related("source")
                         .prefetch_related("classifications").order_by("id"))
            routed = route_batch(batch, cfg, counted, now)
            lease.release()
        _merge(stats, counted)
        if progress:
            progress(len(routed))
        return routed

    drain("route", pending, "id", batch_size, process)
    return stats


def _build(mention: Mention, cfg: ResponderConfig, now: datetime,
           overrides: dict) -> tuple[Ticket, list[TicketEvent], str] | None:
    """The unsaved ticket for a mention, its opening events and its topic (None: not classified)."""
    classification = mention.current_classification
    if classification is None:
        return None
    channel = mention.source.kind
    rule = decide(cfg, classification, channel)
    topic = classification.primary_topic
    targets = targets_for(cfg, kind=rule.kind, topic=topic, channel=channel, overrides=overrides)
    opened = mention.posted_at
    dismissed = rule.action == "dismiss"
    due_cal, _ = calendars(cfg)
    ticket = Ticket(
        mention=mention, kind=rule.kind, topic=topic, sentiment=classification.sentiment, channel=channel,
        priority=targets.priority, opened_at=opened,
        first_reply_due=due_cal.add(opened, targets.first_reply_hours * 3600),
        resolution_due=due_cal.add(opened, targets.resolution_hours * 3600),
        first_reply_target_h=targets.first_reply_hours, resolution_target_h=targets.resolution_hours,
        state=TicketState.CLOSED if dismissed else TicketState.NEW, closed_at=now if dismissed else None,
        close_reason=rule.reason if dismissed else "", dismissed=dismissed,
    )
    # The history starts when the clocks do: when the customer spoke.
    events = [TicketEvent(ticket=ticket, from_state="", to_state=TicketState.NEW, at=opened, note="opened")]
    if dismissed:
        events.append(TicketEvent(ticket=ticket, from_state=TicketState.NEW, to_state=TicketState.CLOSED,
                                  at=max(now, opened), note=f"dismissed: {rule.reason}"))
    return ticket, events, topic


def open_tickets(mentions: list[Mention], cfg: ResponderConfig, now: datetime | None = None,
                 ) -> list[tuple[Ticket, bool]]:
    """Open the tickets of many mentions in one transaction with bulk inserts; return (ticket, linked to an order).

    The same rows as open_ticket() one by one: ticket, events, order links, audit entry, search outbox row.
    If another router got there first (a unique conflict), the batch is done one by one instead.
    """
    now = now or timezone.now()
    overrides = desk_overrides()
    built = []
    for mention in mentions:
        b = _build(mention, cfg, now, overrides)
        failpoint("route.ticket")
        if b is not None:
            built.append(b)
    if not built:
        return []
    refs = [extract_references(f"{t.mention.title}\n{t.mention.text}", cfg) for t, _, _ in built]
    matches = match_orders_many(refs)
    try:
        with transaction.atomic():
            tickets = Ticket.objects.bulk_create([t for t, _, _ in built])
            TicketEvent.objects.bulk_create([e for _, events, _ in built for e in events])
            # Dismissed tickets are linked too: a moderator reopening one should see the order.
            TicketOrderLink.objects.bulk_create([
                TicketOrderLink(ticket=t, order=order, matched_by=ref.kind, matched_value=ref.value)
                for t, found in zip(tickets, matches) for order, ref in found
            ])
            AuditEvent.objects.bulk_create([
                AuditEvent(actor_label="system", action="ticket.open", object_type=Ticket._meta.label_lower,
                           object_id=str(t.pk), after={"kind": t.kind, "state": t.state, "topic": topic})
                for t, (_, _, topic) in zip(tickets, built)
            ])
            # bulk_create sends no post_save: queue the mentions for the search index here.
            enqueue_for_index([t.mention_id for t in tickets], "ticket")
    except IntegrityError:
        out = []
        for mention in mentions:
            ticket = open_ticket(mention, cfg)
            if ticket is not None:
                out.append((ticket, ticket.order_links.exists()))
        return out
    return [(t, bool(found)) for t, found in zip(tickets, matches)]


def open_ticket(mention: Mention, cfg: ResponderConfig) -> Ticket | None:
    """Create the ticket for one mention (None if it is not classified or already has one)."""
    built = _build(mention, cfg, timezone.now(), desk_overrides())
    if built is None:
        return None
    ticket, events, topic = built
    try:
        with transaction.atomic():
            ticket.save(force_insert=True)
            for event in events:
                event.ticket = ticket
                event.save(force_insert=True)
            # Dismissed tickets are linked too: a moderator reopening one should see the order.
            link_orders(ticket, cfg)
            record("ticket.open", ticket, label="system", after={"kind": ticket.kind, "state": ticket.state, "topic": topic})
    except IntegrityError:
        return None  # another router opened it first
    return ticket
