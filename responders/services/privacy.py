"""A customer's personal data on request (152-FZ): export what is stored about them, or erase it.

`forget` blanks the customer's name, phone and e-mail, and removes the same strings (the full name and each part of
it as a whole word; the phone written any usual way) from the mentions about them
(text, title, author, raw payload), from the replies to those mentions (and their publishing attempts and audit
snapshots), from order links matched by phone or e-mail and from survey comments; the search index re-indexes
those mentions. Orders, tickets, classifications and their dates stay, so the metrics keep their anonymous
counts. The customer is marked forgotten: a later orders import does not bring their personal data back.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from responders.models import CsatSurvey, Reply, ReplyAttempt, Ticket, TicketOrderLink
from store.models import AuditEvent, Customer, Mention
from store.services.audit import record
from store.services.classify import enqueue_for_index

NAME_MARK, PHONE_MARK, EMAIL_MARK = "[имя удалено]", "[телефон удалён]", "[email удалён]"
_SEP = r"[\s()-]*"


@dataclass
class ForgetResult:
    customer: str
    mentions: int = 0
    replies: int = 0
    links: int = 0
    surveys: int = 0
    audit_entries: int = 0


def _phone_pattern(phone: str) -> str | None:
    """A regex for the phone written any usual way: +7 900 111-22-33, 8 (900) 1112233, 9001112233."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) != 11:
        return None
    return r"(?:\+?7|8)?" + _SEP + _SEP.join(digits[1:])


def _patterns(c: Customer) -> list[tuple[re.Pattern, str]]:
    out = []
    if c.email:
        out.append((re.compile(re.escape(c.email), re.IGNORECASE), EMAIL_MARK))
    if (phone := _phone_pattern(c.phone)) is not None:
        out.append((re.compile(phone), PHONE_MARK))
    parts = [p for p in c.name.split() if len(p) >= 3]
    if parts:  # the full name, then each part alone ("Анна, ваш заказ…"), as whole words
        out.append((re.compile(r"\s+".join(map(re.escape, c.name.split())), re.IGNORECASE), NAME_MARK))
        out += [(re.compile(rf"\b{re.escape(p)}\b", re.IGNORECASE), NAME_MARK) for p in parts]
    return out


def _scrub(text: str, patterns) -> str:
    for pattern, mark in patterns:
        text = pattern.sub(mark, text)
    return text


def _scrub_json(value, patterns):
    if isinstance(value, str):
        return _scrub(value, patterns)
    if isinstance(value, list):
        return [_scrub_json(v, patterns) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_json(v, patterns) for k, v in value.items()}
    return value


def customer_mentions(c: Customer) -> QuerySet:
    """Mentions about the customer: linked to their orders (a ticket's own mention or a later message in its
    thread), or carrying their phone or e-mail."""
    q = Q(ticket__order_links__order__customer=c) | Q(thread_entry__ticket__order_links__order__customer=c)
    if c.email:
        q |= Q(text__icontains=c.email) | Q(title__icontains=c.email)
    if (phone := _phone_pattern(c.phone)) is not None:
        q |= Q(text__regex=phone) | Q(title__regex=phone)
    return Mention.objects.filter(q).distinct()


def find_customer(external_id: str) -> Customer:
    try:
        return Customer.objects.get(external_id=external_id)
    except Customer.DoesNotExist:
        raise LookupError(f"нет клиента с id {external_id!r}") from None


def export_customer(external_id: str) -> dict:
    """Everything stored about the customer, as JSON-ready data."""
    c = find_customer(external_id)
    mentions = list(customer_mentions(c).select_related("source").order_by("posted_at", "id"))
    tickets = Ticket.objects.filter(mention__in=mentions).order_by("opened_at", "id")
    return {
        "customer": {"id": c.external_id, "name": c.name, "phone": c.phone, "email": c.email, "city": c.city,
                     "forgotten_at": c.forgotten_at.isoformat() if c.forgotten_at else None},
        "orders": [{"order_number": o.order_number, "tracking_number": o.tracking_number, "status": o.status,
                    "city": o.city, "amount": str(o.amount) if o.amount is not None else None,
                    "created_at": o.created_at.isoformat()} for o in c.orders.order_by("created_at", "id")],
        "mentions": [{"id": m.pk, "source": m.source.name, "url": m.url, "author": m.author, "title": m.title,
                      "text": m.text, "posted_at": m.posted_at.isoformat()} for m in mentions],
        "tickets": [{"id": t.pk, "mention": t.mention_id, "state": t.state, "opened_at": t.opened_at.isoformat(),
                     "replies": [{"text": r.text, "status": r.status, "created_at": r.created_at.isoformat()}
                                 for r in t.replies.all()],
                     "surveys": [{"score": s.score, "comment": s.comment} for s in t.surveys.all()]}
                    for t in tickets],
    }


def forget_customer(external_id: str, actor=None) -> ForgetResult:
    """Erase the customer's personal data everywhere it is stored; keep anonymous counts; write an audit entry."""
    with transaction.atomic():
        c = Customer.objects.select_for_update().get(pk=find_customer(external_id).pk)
        patterns = _patterns(c)
        result = ForgetResult(customer=c.external_id)
        mentions = list(customer_mentions(c))
        for m in mentions:
            m.text, m.title, m.author = (_scrub(m.text, patterns), _scrub(m.title, patterns),
                                         _scrub(m.author, patterns))
            m.raw = _scrub_json(m.raw, patterns)
            m.save(update_fields=["text", "title", "author", "raw"])
        result.mentions = len(mentions)
        enqueue_for_index([m.pk for m in mentions], "forget")
        replies = list(Reply.objects.filter(ticket__mention__in=mentions))
        for r in replies:
            r.text, r.last_error = _scrub(r.text, patterns), _scrub(r.last_error, patterns)
            r.save(update_fields=["text", "last_error"])
        result.replies = len(replies)
        for a in ReplyAttempt.objects.filter(reply__in=replies):
            a.request = _scrub_json(a.request, patterns)
            a.response, a.error = _scrub(a.response, patterns), _scrub(a.error, patterns)
            a.save(update_fields=["request", "response", "error"])
        values = {v for v in (c.phone, c.email) if v}
        result.links = TicketOrderLink.objects.filter(order__customer=c, matched_value__in=values).update(
            matched_value="[удалено]")
        surveys = CsatSurvey.objects.filter(ticket__mention__in=mentions).exclude(comment="")
        for s in surveys:
            s.comment = _scrub(s.comment, patterns)
            s.save(update_fields=["comment"])
            result.surveys += 1
        # The audit log is append-only, except for this: snapshots of the replies' text hold the same data.
        for event in AuditEvent.objects.filter(object_type="responders.reply", object_id__in=[str(r.pk) for r in replies]):
            QuerySet.update(AuditEvent.objects.filter(pk=event.pk), before=_scrub_json(event.before, patterns),
                            after=_scrub_json(event.after, patterns))
            result.audit_entries += 1
        c.name = c.phone = c.email = ""
        c.forgotten_at = timezone.now()
        c.save(update_fields=["name", "phone", "email", "forgotten_at"])
        record("customer.forget", c, actor=actor, label="" if actor else "cli", after=asdict(result))
    return result


def export_json(external_id: str) -> str:
    return json.dumps(export_customer(external_id), ensure_ascii=False, indent=2)
