"""The desk queue's text search, answered by the search index (word forms, phrases, exclusions)."""

from __future__ import annotations

import logging

from django.db.models import Q, QuerySet

from search.query import BackendUnavailable, Query
from search.services.search import search

log = logging.getLogger(__name__)
# The queue shows open tickets; more matches than this are not worth narrowing by text.
MAX_HITS = 5000


def narrow_tickets(tickets: QuerySet, query: str) -> QuerySet:
    """Keep tickets whose mention matches `query` in the index, or whose order/tracking number is `query`."""
    from responders.services.search import orm_search

    try:
        page = search(Query(text=query), per_page=MAX_HITS)
    except BackendUnavailable as exc:  # the desk keeps working on the database alone
        log.warning("search index unavailable, queue search falls back to the database: %s", exc)
        return orm_search(tickets, query)
    ids = [hit.mention_id for hit in page.hits]
    word = query.strip()
    return tickets.filter(
        Q(mention_id__in=ids) | Q(order_links__order__order_number=word) | Q(order_links__order__tracking_number__iexact=word)
    ).distinct()
