"""The query interface every backend implements: desk search (full text + filters) and report aggregations."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils.safestring import SafeString


@dataclass
class Query:
    """What to look for: free text in the desk syntax plus exact filters (an empty list means 'any')."""

    text: str = ""
    sources: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    sentiments: list[str] = field(default_factory=list)
    ticket_states: list[str] = field(default_factory=list)
    date_from: datetime | None = None  # inclusive
    date_to: datetime | None = None  # exclusive
    classified: bool | None = None
    include_duplicates: bool = False


@dataclass
class Hit:
    mention_id: int
    score: float
    snippet: SafeString  # HTML-escaped text with <mark> around matches
    title: str
    source: str
    channel: str
    url: str
    posted_at: datetime
    sentiment: str
    topics: list[str]
    ticket_id: int | None
    ticket_state: str


@dataclass
class SearchPage:
    hits: list[Hit]
    total: int
    page: int
    per_page: int
    backend: str

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass
class Aggregates:
    """Counts over the matching documents: a mention with two topics counts once for each topic."""

    total: int = 0
    sentiment: Counter = field(default_factory=Counter)
    channel: Counter = field(default_factory=Counter)
    source: Counter = field(default_factory=Counter)
    topic: Counter = field(default_factory=Counter)
    volume_by_day: dict[date, int] = field(default_factory=dict)
    topic_by_day: dict[str, dict[date, int]] = field(default_factory=dict)
    sentiment_by_topic: dict[str, Counter] = field(default_factory=dict)

    def sentiment_shares(self) -> dict[str, float]:
        """Each sentiment's share of the documents that have one."""
        n = sum(self.sentiment.values())
        return {s: c / n for s, c in self.sentiment.items()} if n else {}


class BackendUnavailable(RuntimeError):
    """The index cannot be reached or refuses whole requests; outbox rows stay for a later sync."""


@dataclass
class ApplyResult:
    """What happened to a batch: per-document failures by mention id (the rest succeeded)."""

    indexed: int = 0
    deleted: int = 0
    failed: dict[int, str] = field(default_factory=dict)
