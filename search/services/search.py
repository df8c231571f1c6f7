"""The query interface the desk, the reports and the CLI call: one function each, any backend."""

from __future__ import annotations

from datetime import tzinfo

from search.backends import get_backend
from search.backends.base import Backend
from search.query import Aggregates, Query, SearchPage

MAX_PER_PAGE = 100


def search(query: Query, page: int = 1, per_page: int = 20, backend: Backend | None = None) -> SearchPage:
    """Full-text search with filters: best matches first (newest first without text), snippets highlighted."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    return (backend or get_backend()).search(query, page=page, per_page=per_page)


def aggregate(query: Query, tz: tzinfo | None = None, backend: Backend | None = None) -> Aggregates:
    """Report numbers: counts by sentiment, channel, source, topic, day (in `tz`), and topic × sentiment."""
    return (backend or get_backend()).aggregate(query, tz=tz)
