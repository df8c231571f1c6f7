"""The contract every search backend fulfils."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import tzinfo

from search.query import Aggregates, ApplyResult, Query, SearchPage


class Backend(ABC):
    """An index of mention documents: write batches, search for the desk, aggregate for reports."""

    name: str = ""

    @abstractmethod
    def setup(self) -> None:
        """Create the index if it does not exist yet (idempotent)."""

    @abstractmethod
    def apply(self, docs: list[dict], delete_ids: list[int]) -> ApplyResult:
        """Write documents and delete ids; report per-document failures instead of raising for them.

        Raise BackendUnavailable when the index cannot take the batch at all.
        """

    @abstractmethod
    def begin_rebuild(self) -> object:
        """Start a rebuild; return a token for `rebuild_batch` and `finish_rebuild`."""

    @abstractmethod
    def rebuild_batch(self, token: object, docs: list[dict]) -> ApplyResult:
        """Load documents into the rebuild, never overwriting one a concurrent sync wrote meanwhile."""

    @abstractmethod
    def finish_rebuild(self, token: object) -> None:
        """Make the rebuilt index the one searches read, and drop what it replaced."""

    @abstractmethod
    def search(self, query: Query, page: int = 1, per_page: int = 20) -> SearchPage:
        """Return one page of hits, best first when there is text, newest first otherwise."""

    @abstractmethod
    def aggregate(self, query: Query, tz: tzinfo | None = None) -> Aggregates:
        """Count the matching documents by sentiment, channel, source, topic and day (in `tz`)."""

    @abstractmethod
    def count(self) -> int:
        """Number of documents in the index."""

    def refresh(self) -> None:
        """Make everything written so far visible to searches (a no-op for SQL backends)."""

    def drop(self) -> None:
        """Remove every document (and, for Elasticsearch, the indices themselves)."""

    def describe(self) -> dict:
        """Facts for `otklik index status`."""
        return {"backend": self.name, "documents": self.count()}
