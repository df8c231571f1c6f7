"""Ticket search for the desk queue: a pluggable backend, the ORM's icontains by default.

A search index plugs in by naming a callable `backend(queryset, query) -> queryset` in
settings.OTKLIK["TICKET_SEARCH_BACKEND"] (dotted path); it must only narrow the queryset it is given.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.module_loading import import_string


def _contains(field: str, word: str) -> Q:
    # SQLite's LIKE folds only ASCII case; its REGEXP is Python's re (Unicode-aware), so Cyrillic matches too.
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__iregex": re.escape(word)})
    return Q(**{f"{field}__icontains": word})


def orm_search(tickets: QuerySet, query: str) -> QuerySet:
    """Case-insensitive substring match of every word on the mention's text, title or author, or an order number."""
    q = Q()
    for word in query.split():
        q &= (_contains("mention__text", word) | _contains("mention__title", word)
              | _contains("mention__author", word) | Q(order_links__order__order_number=word)
              | Q(order_links__order__tracking_number__iexact=word))
    return tickets.filter(q).distinct()


def search_tickets(tickets: QuerySet, query: str) -> QuerySet:
    """Narrow `tickets` to those matching `query` with the configured backend (blank query: unchanged)."""
    query = (query or "").strip()[:200]
    if not query:
        return tickets
    path = settings.OTKLIK.get("TICKET_SEARCH_BACKEND")
    backend = import_string(path) if path else orm_search
    return backend(tickets, query)
