"""Collect what a topic report shows from the system of record."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from datetime import timezone as dt_timezone

from django.utils import timezone

from classifiers.taxonomy import load_taxonomy
from reports.config import ReportConfig, load_config
from store.models import Classification, Mention, SourceKind

ALL_TOPICS = "*"
SENTIMENT_RU = {"negative": "негатив", "neutral": "нейтрально", "positive": "позитив"}


@dataclass(frozen=True)
class Row:
    """One original, classified mention as the report sees it."""

    id: int
    text: str
    url: str
    source: str
    kind: str
    brand: str  # "" for our own sources, else the competitor's name
    posted_at: datetime
    sentiment: str
    topics: tuple[str, ...]


@dataclass
class Quote:
    text: str
    url: str
    source: str
    posted_at: datetime

    @classmethod
    def of(cls, row: Row, limit: int = 500) -> "Quote":
        text = row.text if len(row.text) <= limit else row.text[: limit - 1].rstrip() + "…"
        return cls(text, row.url, row.source, row.posted_at)


@dataclass
class SpikeReport:
    """A spike of one topic (kind "spike") or of negative mentions over all topics (kind "negative_surge")."""

    kind: str
    topic: str
    topic_name: str
    bucket: str
    start: datetime  # start of the first flagged bucket
    end: datetime  # end of the last flagged bucket
    peak_at: datetime
    count: int  # mentions in the peak bucket
    baseline: float  # mean of the baseline buckets before the peak
    threshold: float
    total: int  # mentions over the flagged buckets
    p_value: float
    terms: list[tuple[str, int]] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    series: list[tuple[datetime, int]] = field(default_factory=list)  # the analysed series, for charts
    flagged: list[datetime] = field(default_factory=list)

    @property
    def rise(self) -> float:
        return self.count - self.baseline

    @property
    def ratio(self) -> float | None:
        return self.count / self.baseline if self.baseline > 0 else None


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
    previous_volume: Counter = field(default_factory=Counter)  # topic -> mentions in the previous period
    previous_total: int = 0
    spikes: list[SpikeReport] = field(default_factory=list)
    share_of_voice: dict[str, Counter] = field(default_factory=dict)  # brand -> sentiment -> mentions
    brand: str = ""
    channel_names: dict[str, str] = field(default_factory=lambda: dict(SourceKind.choices))

    def topic_totals(self) -> list[tuple[str, int]]:
        return sorted(((t, sum(c.values())) for t, c in self.volume.items()), key=lambda x: (-x[1], x[0]))

    @property
    def previous_start(self) -> datetime:
        return self.start - (self.end - self.start)

    @property
    def weeks(self) -> list[tuple[date, date]]:
        """Seven-day slices of the period from its first day (the last may be shorter), as inclusive ranges."""
        return [(self.days[i], self.days[min(i + 6, len(self.days) - 1)]) for i in range(0, len(self.days), 7)]

    def week_volume(self, topic: str) -> list[int]:
        counts = self.volume.get(topic, Counter())
        return [sum(counts.get(d, 0) for d in self.days if a <= d <= b) for a, b in self.weeks]

    def change_pct(self, topic: str | None = None) -> float | None:
        """Change of mentions against the previous period of the same length, in % (None if it had none)."""
        now = self.total if topic is None else sum(self.volume.get(topic, Counter()).values())
        before = self.previous_total if topic is None else self.previous_volume.get(topic, 0)
        return round(100.0 * (now - before) / before, 1) if before else None


def safe_url(url: str) -> str:
    """Only http(s) links from crawled data may become hrefs (never javascript: or data:)."""
    return url if url.lower().startswith(("http://", "https://")) else ""


def bucket_starts(start: datetime, end: datetime, bucket: str, tz: tzinfo) -> list[datetime]:
    """Starts of the local days (or hours) that cover [start, end)."""
    if bucket == "hour":
        t = start.astimezone(dt_timezone.utc).replace(minute=0, second=0, microsecond=0)
        out = []
        while t < end:
            out.append(t.astimezone(tz))
            t += timedelta(hours=1)
        return out
    first, last = start.astimezone(tz).date(), (end - timedelta(microseconds=1)).astimezone(tz).date()
    return [datetime.combine(date.fromordinal(o), time(), tzinfo=tz) for o in range(first.toordinal(), last.toordinal() + 1)]


def bucket_of(moment: datetime, bucket: str, tz: tzinfo) -> datetime:
    """Start of the local day (or hour) that holds `moment`."""
    if bucket == "hour":
        return moment.astimezone(dt_timezone.utc).replace(minute=0, second=0, microsecond=0).astimezone(tz)
    return datetime.combine(moment.astimezone(tz).date(), time(), tzinfo=tz)


def bucket_length(bucket: str) -> timedelta:
    return timedelta(hours=1) if bucket == "hour" else timedelta(days=1)


def collection_start() -> datetime | None:
    """When collection began: the earliest stored mention (spike baselines do not reach before it)."""
    from django.db.models import Min

    return Mention.objects.aggregate(first=Min("posted_at"))["first"]


def load_rows(start: datetime, end: datetime, sources: list[str] | None = None,
              topics: list[str] | None = None) -> list[Row]:
    """Original classified mentions posted in [start, end); with `topics`, only those topics are kept.

    Reads plain values (no model instances): two queries however many mentions there are. The classification
    that counts is the one `Mention.current_classification` picks: a moderator's correction, else the newest.
    """
    mentions = Mention.objects.originals().filter(posted_at__gte=start, posted_at__lt=end)
    if sources:
        mentions = mentions.filter(source__name__in=sources)
    current: dict[int, tuple] = {}
    labels = Classification.objects.filter(mention__in=mentions.values("id")).order_by("created_at", "id")
    for mid, sentiment, labelled, corrected in labels.values_list("mention_id", "sentiment", "topics",
                                                                  "corrected_by_id").iterator(chunk_size=5000):
        if corrected is not None or mid not in current or current[mid][2] is None:
            current[mid] = (sentiment, labelled, corrected)
    rows = []
    fields = ("id", "text", "url", "posted_at", "source__name", "source__kind", "source__config")
    for mid, text, url, posted_at, name, kind, config in mentions.order_by("posted_at", "id").values_list(
            *fields).iterator(chunk_size=5000):
        if mid not in current:
            continue
        sentiment, labelled, _ = current[mid]
        row_topics = tuple(t for t in (labelled or ["other"]) if not topics or t in topics)
        if row_topics:
            brand = str((config or {}).get("competitor") or "")
            rows.append(Row(mid, text, safe_url(url), name, kind, brand, posted_at, sentiment, row_topics))
    return rows


def collect(start: datetime, end: datetime, sources: list[str] | None = None, topics: list[str] | None = None,
            quotes_per_topic: int | None = None, config: ReportConfig | None = None) -> ReportData:
    """Aggregate mentions posted in [start, end): volumes, change, sentiment, typical quotes, spikes, share of voice."""
    from reports.surges import find_spikes
    from reports.textstats import typical_indices

    if end <= start:
        raise ValueError("the report period is empty: --to must be after --from")
    config = config or load_config()
    n_quotes = quotes_per_topic if quotes_per_topic is not None else config.quotes_per_topic
    tz = timezone.get_current_timezone()
    params = config.spikes
    history = max(end - start, params.window * bucket_length(params.bucket))
    rows = load_rows(start - history, end, sources, topics)
    period = [r for r in rows if r.posted_at >= start]
    ours = [r for r in period if not r.brand]
    previous = [r for r in rows if start - (end - start) <= r.posted_at < start and not r.brand]

    volume: dict[str, Counter] = defaultdict(Counter)
    by_topic: dict[str, Counter] = defaultdict(Counter)
    by_channel: dict[str, Counter] = defaultdict(Counter)
    members: dict[str, list[Row]] = defaultdict(list)
    for r in ours:
        day = r.posted_at.astimezone(tz).date()
        by_channel[r.kind][r.sentiment] += 1
        for t in r.topics:
            volume[t][day] += 1
            by_topic[t][r.sentiment] += 1
            members[t].append(r)
    quotes = {t: [Quote.of(ms[i]) for i in typical_indices([m.text for m in ms], n_quotes)]
              for t, ms in members.items()}

    share: dict[str, Counter] = {}
    if any(r.brand for r in period):
        for r in period:
            share.setdefault(r.brand or config.brand, Counter())[r.sentiment] += 1
        share.setdefault(config.brand, Counter())

    duplicates = Mention.objects.filter(posted_at__gte=start, posted_at__lt=end, duplicate_of__isnull=False)
    if sources:
        duplicates = duplicates.filter(source__name__in=sources)
    names = {t.code: t.name for t in load_taxonomy().topics}
    return ReportData(
        start=start, end=end, days=[b.date() for b in bucket_starts(start, end, "day", tz)], total=len(ours),
        duplicates=duplicates.count(), volume=dict(volume), sentiment=Counter(r.sentiment for r in ours),
        sentiment_by_topic=dict(by_topic), sentiment_by_channel=dict(by_channel), quotes=quotes, topic_names=names,
        previous_volume=Counter(t for r in previous for t in r.topics), previous_total=len(previous),
        spikes=find_spikes([r for r in rows if not r.brand], start, end, params, names, tz,
                           terms=config.terms_per_spike, quotes=n_quotes, data_start=collection_start()),
        share_of_voice=share, brand=config.brand,
    )
