"""Threads: a later message of the same customer in the same conversation joins their ticket.

The conversation is the mention's `conversation_key` (store.threads). The same customer is the same author on
the same channel (two whose channel ids the spider kept, raw.author_id, must share them too); when
the ticket has a linked customer and the new message names orders of other customers only, it is someone
else. The message joins the customer's open ticket, else the one closed at most
`threads.reopen_days` (7) before the message was written (reopened), else it opens a ticket of its own.
Dismissed tickets (spam, news) take no follow-ups. Joining runs `workflow.customer_answered`, the same
service as the desk's «Клиент ответил» button, so history, clocks and audit behave the same way.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Max

from responders.config import ResponderConfig
from responders.models import Ticket, TicketEvent, TicketMessage, TicketOrderLink, TicketState
from responders.services import workflow
from responders.services.orders import extract_references, match_orders
from store.models import Mention
from store.services.threads import EDIT_MARK


def enabled(cfg: ResponderConfig) -> bool:
    return bool((cfg.threads or {}).get("enabled", True))


def reopen_window(cfg: ResponderConfig) -> timedelta:
    return timedelta(days=float((cfg.threads or {}).get("reopen_days", 7)))


def is_edit(mention: Mention) -> bool:
    """A new version of a review (store.services.threads.store_edit)."""
    return EDIT_MARK in mention.external_id and "edit_of" in (mention.raw or {})


def conversation(mention: Mention) -> tuple[str, str, str] | None:
    """What makes two mentions one customer's conversation: channel, key, author (None: cannot tell); two
    mentions that both carry the channel's id of their author (raw.author_id) must also share it (`other_id`)."""
    if not mention.conversation_key or not mention.author.strip():
        return None
    return mention.source.kind, mention.conversation_key, mention.author


def other_id(a: Mention, b: Mention) -> bool:
    """True when both mentions name their author's id on the channel and the ids differ: two people of one name
    (VK commenters under a busy post). Mentions stored before the ids were kept match by name alone."""
    ida, idb = (a.raw or {}).get("author_id"), (b.raw or {}).get("author_id")
    return ida is not None and idb is not None and ida != idb


def other_customer(ticket: Ticket, mention: Mention, cfg: ResponderConfig) -> bool:
    """True when the ticket has a linked customer and the message names only other customers' orders."""
    theirs = set(ticket.order_links.exclude(order__customer=None).values_list("order__customer_id", flat=True))
    if not theirs:
        return False
    refs = extract_references(f"{mention.title}\n{mention.text}", cfg)
    named = {o.customer_id for o, _ in match_orders(refs) if o.customer_id is not None}
    return bool(named) and not (named & theirs)


# pg_advisory_xact_lock's first key: the routers' conversation locks (the second is the key's hash).
LOCK_NAMESPACE = 0x6F746B31


def lock_conversations(mentions: list[Mention]) -> None:
    """On PostgreSQL, hold the batch's conversations until the routing transaction ends.

    Several routers (workers) route claimed chunks at once; without this, a follow-up routed while its first
    message's ticket is still uncommitted in another router's transaction would open a second ticket. A router
    waits here for any other router routing the same conversations, then reads the tickets it committed. The
    locks are taken in the order of their hashes, so two routers never wait for each other. SQLite needs
    none (one writer at a time), nor does a caller outside a transaction (nothing to hold the lock for)."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return
    keys = sorted({c[1] for m in mentions if (c := conversation(m)) is not None})
    if keys:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s, h) FROM (SELECT DISTINCT hashtext(k) AS h "
                        "FROM unnest(%s::text[]) AS k ORDER BY h) AS ordered", [LOCK_NAMESPACE, keys])


def tickets_by_conversation(mentions: list[Mention]) -> dict[tuple[str, str, str], list[Ticket]]:
    """The tickets (not dismissed) of the mentions' conversations, newest first, in one query."""
    keys = {c[1] for m in mentions if (c := conversation(m)) is not None}
    out: dict[tuple[str, str, str], list[Ticket]] = defaultdict(list)
    if keys:
        for t in (Ticket.objects.filter(mention__conversation_key__in=keys, dismissed=False)
                  .select_related("mention__source").order_by("-opened_at", "-id")):
            out[(t.mention.source.kind, t.mention.conversation_key, t.mention.author)].append(t)
    return out


def find_ticket(mention: Mention, cfg: ResponderConfig,
                known: dict[tuple[str, str, str], list[Ticket]] | None = None) -> Ticket | None:
    """The ticket a mention joins: the same customer's open one in the conversation, else one closed within
    the window before the message; None for a ticket of its own. `known`: tickets_by_conversation() of the batch."""
    conv = conversation(mention)
    if conv is None or not enabled(cfg):
        return None
    if known is None:
        known = tickets_by_conversation([mention])
    tickets = [t for t in known.get(conv, []) if t.mention_id != mention.pk]
    since = mention.posted_at - reopen_window(cfg)
    candidates = [t for t in tickets if t.state != TicketState.CLOSED] or sorted(
        (t for t in tickets if t.closed_at is not None and t.closed_at >= since),
        key=lambda t: (t.closed_at, t.pk), reverse=True)
    for ticket in candidates[:5]:
        if not other_id(ticket.mention, mention) and not other_customer(ticket, mention, cfg):
            return ticket
    return None


def _event_time(ticket: Ticket, mention: Mention, now: datetime) -> datetime:
    """When the customer's answer enters the history: when they wrote (at most now), but never before the
    ticket's last event, so the history stays in order."""
    last = TicketEvent.objects.filter(ticket=ticket).aggregate(t=Max("at"))["t"]
    at = min(mention.posted_at, now)
    return max(at, last) if last else at


def attach(ticket: Ticket, mention: Mention, cfg: ResponderConfig, now: datetime) -> TicketMessage | None:
    """Join `mention` to `ticket` (once: None if it already joined one), link the orders it names and let the
    workflow react. A message written before the ticket opened only joins the thread."""
    refs = extract_references(f"{mention.title}\n{mention.text}", cfg)
    found = match_orders(refs)
    try:
        with transaction.atomic():
            entry = TicketMessage.objects.create(ticket=ticket, mention=mention, attached_at=now,
                                                 effect=TicketMessage.Effect.ATTACHED)
            TicketOrderLink.objects.bulk_create(
                [TicketOrderLink(ticket=ticket, order=o, matched_by=r.kind, matched_value=r.value) for o, r in found],
                ignore_conflicts=True)
            if mention.posted_at < ticket.opened_at:
                workflow.log_change(ticket, None, "В ветку добавлено более раннее сообщение клиента",
                                    _event_time(ticket, mention, now))
                return entry
            note = workflow.EDIT_NOTE if is_edit(mention) else workflow.FOLLOWUP_NOTE
            _, effect = workflow.customer_answered(ticket.pk, note=note, now=_event_time(ticket, mention, now), cfg=cfg)
            entry.effect = effect
            entry.save(update_fields=["effect"])
            return entry
    except IntegrityError:
        return None  # another router attached it first
