"""Build index documents from the system of record: one document per mention, with its classification and ticket."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from django.core.exceptions import ObjectDoesNotExist

from store.models import Mention

# The document schema shared by every backend (Elasticsearch's mapping is `dynamic: strict` on the same fields).
FIELDS: dict[str, type | tuple[type, ...]] = {
    "mention_id": int,
    "source": str,
    "channel": str,
    "lang": str,
    "author": str,
    "url": str,
    "title": str,
    "text": str,
    "rating": (int, type(None)),
    "posted_at": datetime,
    "duplicate_of": (int, type(None)),
    "classified": bool,
    "sentiment": str,
    "topics": list,
    "primary_topic": str,
    "model_version": str,
    "ticket_id": (int, type(None)),
    "ticket_state": str,
    "ticket_kind": str,
    "sla_state": str,
    "assignee": str,
}

# Classified mentions without a topic count under this one, as in the topic report.
NO_TOPIC = "other"


class InvalidDocument(ValueError):
    """A document that does not fit the schema (the backend rejects it; the outbox row stays)."""


def validate(doc: dict) -> dict:
    """Check a document against FIELDS; raise InvalidDocument naming what is wrong."""
    unknown = set(doc) - set(FIELDS)
    if unknown:
        raise InvalidDocument(f"unknown field(s): {', '.join(sorted(unknown))}")
    missing = set(FIELDS) - set(doc)
    if missing:
        raise InvalidDocument(f"missing field(s): {', '.join(sorted(missing))}")
    for name, kind in FIELDS.items():
        if not isinstance(doc[name], kind):
            raise InvalidDocument(f"field {name!r} has type {type(doc[name]).__name__}")
    return doc


def to_document(m: Mention) -> dict:
    """Return the index document of one mention (classifications and ticket prefetched)."""
    c = m.current_classification
    try:
        ticket = m.ticket
    except ObjectDoesNotExist:
        ticket = None
    topics = (list(c.topics) or [NO_TOPIC]) if c else []
    return {
        "mention_id": m.pk,
        "source": m.source.name,
        "channel": m.source.kind,
        "lang": m.lang,
        "author": m.author,
        "url": m.url,
        "title": m.title,
        "text": m.text,
        "rating": m.rating,
        "posted_at": m.posted_at,
        "duplicate_of": m.duplicate_of_id,
        "classified": c is not None,
        "sentiment": c.sentiment if c else "",
        "topics": topics,
        "primary_topic": (c.primary_topic or topics[0]) if c else "",
        "model_version": c.model_version if c else "",
        "ticket_id": ticket.pk if ticket else None,
        "ticket_state": ticket.state if ticket else "",
        "ticket_kind": ticket.kind if ticket else "",
        "sla_state": ticket.sla_state if ticket else "",
        "assignee": ticket.assignee.get_username() if ticket and ticket.assignee else "",
    }


def _mentions():
    return Mention.objects.select_related("source", "ticket", "ticket__assignee").prefetch_related("classifications")


def build_documents(mention_ids: Iterable[int]) -> dict[int, dict]:
    """Return {mention id: document} for the mentions that exist; a missing id means 'delete it from the index'."""
    return {m.pk: to_document(m) for m in _mentions().filter(pk__in=list(mention_ids))}


def iter_documents(batch_size: int = 1000) -> Iterator[list[dict]]:
    """Yield every mention's document in batches, in id order (for rebuilds)."""
    last = 0
    while True:
        ids = list(Mention.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return
        docs = build_documents(ids)
        yield [docs[i] for i in ids if i in docs]
        last = ids[-1]
