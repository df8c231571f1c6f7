"""Collect what a topic report shows from the system of record."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from classifiers.taxonomy import SENTIMENTS, load_taxonomy
from store.models import Mention


@dataclass
class Quote:
    text: str
    url: str
    source: str
    posted_at: datetime
    score: float


@dataclass
class ReportData:
    start: datetime
    end: datetime
    days: list[date]
    total: int
    duplicates: int
    volume: dict[str, Counter]  # topic -> day -> mentions
    sentiment: Counter  # sentiment -> mentions
    sentiment_by_topic: dict[str, Counter]
    sentiment_by_channel: dict[str, Counter]
    quotes: dict[str, list[Quote]] = field(default_factory=dict)
    topic_names: dict[str, str] = field(default_factory=dict)

    def topic_totals(self) -> list[tuple[str, int]]:
        return sorted(((t, sum(c.values())) for t, c in self.volume.items()), key=lambda x: (-x[1], x[0]))


def safe_url(url: str) -> str:
    """Only http(s) links from crawled data may become hrefs (never javascript: or data:)."""
    return url if url.lower().startswith(("http://", "https://")) else ""


def collect(start: datetime, end: datetime, sources: list[str] | None = None, topics: list[str] | None = None,
            quotes_per_topic: int = 3) -> ReportData:
    """Aggregate original mentions posted in [start, end): volume by topic and day, sentiment shares, quotes."""
    qs = Mention.objects.filter(posted_at__gte=start, posted_at__lt=end).select_related("source").prefetch_related(
        "classifications"
    )
    if sources:
        qs = qs.filter(source__name__in=sources)
    tz = timezone.get_current_timezone()
    volume: dict[str, Counter] = defaultdict(Counter)
    sentiment: Counter = Counter()
    by_topic: dict[str, Counter] = defaultdict(Counter)
    by_channel: dict[str, Counter] = defaultdict(Counter)
    candidates: dict[str, list[Quote]] = defaultdict(list)
    total = duplicates = 0
    for m in qs.iterator(chunk_size=2000):
        if m.duplicate_of_id:
            duplicates += 1
            continue
        c = m.current_classification
        if c is None:
            continue
        mention_topics = [t for t in (c.topics or ["other"]) if not topics or t in topics]
        if not mention_topics:
            continue
        total += 1
        day = m.posted_at.astimezone(tz).date()
        sentiment[c.sentiment] += 1
        by_channel[m.source.kind][c.sentiment] += 1
        for t in mention_topics:
            volume[t][day] += 1
            by_topic[t][c.sentiment] += 1
            candidates[t].append(Quote(m.text[:400], safe_url(m.url), m.source.name, m.posted_at, float(c.topic_scores.get(t, 0.0))))
    first, last = start.astimezone(tz).date(), (end - timedelta(microseconds=1)).astimezone(tz).date()
    days = [date.fromordinal(o) for o in range(first.toordinal(), last.toordinal() + 1)]
    taxonomy = load_taxonomy()
    quotes = {t: sorted(q, key=lambda x: (-x.score, -len(x.text)))[:quotes_per_topic] for t, q in candidates.items()}
    return ReportData(start, end, days, total, duplicates, dict(volume), sentiment, dict(by_topic), dict(by_channel),
                      quotes, {t.code: t.name for t in taxonomy.topics} | {s: s for s in SENTIMENTS})
