"""Find spikes of topic volume and of negative mentions in report rows, with their top terms and typical quotes."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, tzinfo

from reports.config import SpikeParams
from reports.data import (
    ALL_TOPICS,
    Quote,
    Row,
    SpikeReport,
    bucket_length,
    bucket_of,
    bucket_starts,
)
from reports.spikes import find_runs
from reports.textstats import top_terms, typical_indices

NEGATIVE_NAME = "Негатив по всем темам"


def _series_spikes(kind: str, topic: str, name: str, members: list[Row], buckets: list[datetime], first_index: int,
                   params: SpikeParams, tz: tzinfo, terms: int, quotes: int, data_index: int = 0) -> list[SpikeReport]:
    step = bucket_length(params.bucket)
    index = {b: i for i, b in enumerate(buckets)}
    slot = [index.get(bucket_of(r.posted_at, params.bucket, tz)) for r in members]
    counts = Counter(i for i in slot if i is not None)
    series = [counts.get(i, 0) for i in range(len(buckets))]
    out = []
    for run in find_runs(series, params, data_index):
        if run.last < first_index:
            continue
        inside = [r for r, i in zip(members, slot) if i is not None and run.first <= i <= run.last]
        before = [r for r, i in zip(members, slot) if i is not None and run.first - params.window <= i < run.first]
        picked = typical_indices([r.text for r in inside], quotes)
        out.append(SpikeReport(
            kind=kind, topic=topic, topic_name=name, bucket=params.bucket, start=buckets[run.first],
            end=buckets[run.last] + step, peak_at=buckets[run.peak.index], count=run.peak.count,
            baseline=run.peak.baseline, threshold=run.peak.threshold, total=run.total, p_value=run.p_value,
            terms=top_terms([r.text for r in inside], [r.text for r in before], terms),
            quotes=[Quote.of(inside[i]) for i in picked], series=list(zip(buckets, series)),
            flagged=[buckets[f.index] for f in run.flags],
        ))
    return out


def find_spikes(rows: list[Row], start: datetime, end: datetime, params: SpikeParams, names: dict[str, str],
                tz: tzinfo, terms: int = 8, quotes: int = 3, negative: bool = True,
                data_start: datetime | None = None) -> list[SpikeReport]:
    """Spikes of each topic, and of negative mentions over all topics, that reach into [start, end).

    `rows` must cover the baseline window before `start`; each series starts `params.window` buckets before it.
    `data_start` is when collection began (the earliest stored mention): earlier buckets are not history.
    """
    step = bucket_length(params.bucket)
    buckets = bucket_starts(start - params.window * step, end, params.bucket, tz)
    first_index = next((i for i, b in enumerate(buckets) if b + step > start), len(buckets))
    data_index = next((i for i, b in enumerate(buckets) if b + step > data_start), len(buckets)) if data_start else 0
    by_topic: dict[str, list[Row]] = {}
    for r in rows:
        for t in r.topics:
            by_topic.setdefault(t, []).append(r)
    out = []
    for topic in sorted(by_topic):
        out += _series_spikes("spike", topic, names.get(topic, topic), by_topic[topic], buckets, first_index,
                              params, tz, terms, quotes, data_index)
    if negative:
        out += _series_spikes("negative_surge", ALL_TOPICS, NEGATIVE_NAME,
                              [r for r in rows if r.sentiment == "negative"], buckets, first_index, params, tz,
                              terms, quotes, data_index)
    return sorted(out, key=lambda s: (s.start, -s.rise, s.topic))
