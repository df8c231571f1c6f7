"""The desk queue's text search, answered by the search index (word forms, phrases, exclusions)."""

from __future__ import annotations

import logging

from django.db.models import Q, QuerySet

from search.models import IndexOutbox
from search.query import BackendUnavailable, Query
from search.services.search import search

log = logging.getLogger(__name__)
# The queue shows open tickets; more matches than this are not worth narrowing by text.
MAX_HITS = 5000


def narrow_tickets(tickets: QuerySet, query: str) -> QuerySet:
    """Keep tickets whose mention matches `query` in the index (any word form), or in the database.

    The database's substring match covers what the index has not caught up with yet (an Elasticsearch
    outbox drains every few minutes), and order or tracking numbers.
    """
    from responders.services.search import orm_search

    try:
        page = search(Query(text=query), per_page=MAX_HITS)
    except BackendUnavailable as exc:  # the desk keeps working on the database alone
        log.warning("search index unavailable, queue search falls back to the database: %s", exc)
        return orm_search(tickets, query)
    ids = [hit.mention_id for hit in page.hits]
    # The substring match runs only where the index cannot answer: mentions still waiting in the outbox,
    # and tickets linked to an order (numbers). Over every ticket it would cost a Python regex call per row
    # on SQLite (its LIKE folds only ASCII), holding the GIL for seconds at 100k tickets.
    pending = IndexOutbox.objects.values("mention_id")
    fresh = orm_search(tickets.filter(Q(mention_id__in=pending) | Q(order_links__isnull=False)), query).values("pk")
    return tickets.filter(Q(mention_id__in=ids) | Q(pk__in=fresh))
