"""The report's tables as plain rows, shared by the CSV and XLSX writers."""

from __future__ import annotations

from dataclasses import dataclass

from reports.data import ReportData
from responders.services.metrics import ServiceMetrics

SENTIMENTS = ("negative", "neutral", "positive")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Table:
    name: str
    title: str
    header: list[str]
    rows: list[list]


def safe_cell(value):
    """Neutralise crawled text that a spreadsheet would run as a formula (CSV/XLSX injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _pct(n: int, total: int) -> float | None:
    return round(100.0 * n / total, 1) if total else None


def volume_table(data: ReportData) -> Table:
    header = ["topic", "name", *[d.isoformat() for d in data.days], "total", "previous_period", "change_pct"]
    rows = [[t, data.topic_names.get(t, t), *[data.volume[t].get(d, 0) for d in data.days], n,
             data.previous_volume.get(t, 0), data.change_pct(t)] for t, n in data.topic_totals()]
    return Table("volume", "Объём по дням", header, rows)


def weekly_table(data: ReportData) -> Table:
    header = ["topic", "name", *[f"{a.isoformat()}..{b.isoformat()}" for a, b in data.weeks], "total"]
    rows = [[t, data.topic_names.get(t, t), *data.week_volume(t), n] for t, n in data.topic_totals()]
    return Table("weekly", "Объём по неделям", header, rows)


def sentiment_table(data: ReportData) -> Table:
    header = ["scope", "key", "name", *SENTIMENTS, "total", *[f"{s}_pct" for s in SENTIMENTS]]
    rows = []

    def add(scope, key, name, counter):
        total = sum(counter.values())
        rows.append([scope, key, name, *[counter.get(s, 0) for s in SENTIMENTS], total,
                     *[_pct(counter.get(s, 0), total) for s in SENTIMENTS]])

    add("overall", "*", "Все упоминания", data.sentiment)
    for t, _ in data.topic_totals():
        add("topic", t, data.topic_names.get(t, t), data.sentiment_by_topic[t])
    for k in sorted(data.sentiment_by_channel):
        add("channel", k, data.channel_names.get(k, k), data.sentiment_by_channel[k])
    return Table("sentiment", "Тональность", header, rows)


def spikes_table(data: ReportData) -> Table:
    header = ["kind", "topic", "name", "bucket", "start", "end", "peak_at", "peak_count", "baseline", "threshold",
              "rise", "ratio", "total", "p_value", "top_terms", "quotes"]
    rows = [[s.kind, s.topic, s.topic_name, s.bucket, s.start.isoformat(), s.end.isoformat(), s.peak_at.isoformat(),
             s.count, round(s.baseline, 2), round(s.threshold, 2), round(s.rise, 2),
             round(s.ratio, 2) if s.ratio else None, s.total, float(f"{s.p_value:.3g}"),
             ", ".join(w for w, _ in s.terms), " | ".join(q.text for q in s.quotes)] for s in data.spikes]
    return Table("spikes", "Всплески", header, rows)


def quotes_table(data: ReportData) -> Table:
    rows = [[t, data.topic_names.get(t, t), i + 1, q.text, q.source, q.url, q.posted_at.isoformat()]
            for t, _ in data.topic_totals() for i, q in enumerate(data.quotes.get(t, []))]
    return Table("quotes", "Типичные цитаты", ["topic", "name", "rank", "text", "source", "url", "posted_at"], rows)


SERVICE_FIELDS = ["tickets", "closed", "sl_pct", "closed_24h_pct", "close_mean_h", "close_median_h", "close_p90_h",
                  "first_reply_mean_h", "fcr_pct", "backlog", "at_risk", "breached_open", "complaints",
                  "active_customers", "claim_rate_per_1000", "csat"]


def service_row(label: str, m: ServiceMetrics) -> list:
    def r(v):
        return round(v, 2) if isinstance(v, float) else v

    return [label, m.tickets, m.closed, m.sl_pct, m.closed_24h_pct, r(m.close.mean_h), r(m.close.median_h),
            r(m.close.p90_h), r(m.first_reply.mean_h), m.fcr_pct, m.backlog, m.at_risk, m.breached_open,
            m.complaints, m.active_customers, m.claim_rate_per_1000, m.csat]


def service_table(metrics: ServiceMetrics, trend: list[tuple[str, ServiceMetrics]]) -> Table:
    rows = [service_row("period", metrics), *[service_row(label, m) for label, m in trend]]
    return Table("service", "Сервисные показатели", ["slice", *SERVICE_FIELDS], rows)


def share_table(data: ReportData) -> Table:
    total = sum(sum(c.values()) for c in data.share_of_voice.values())
    rows = [[b, sum(c.values()), _pct(sum(c.values()), total), _pct(c.get("negative", 0), sum(c.values()))]
            for b, c in sorted(data.share_of_voice.items(), key=lambda x: -sum(x[1].values()))]
    return Table("share_of_voice", "Доля голоса", ["brand", "mentions", "share_pct", "negative_pct"], rows)


def report_tables(data: ReportData, metrics: ServiceMetrics, trend: list[tuple[str, ServiceMetrics]]) -> list[Table]:
    tables = [volume_table(data), weekly_table(data), sentiment_table(data), spikes_table(data), quotes_table(data),
              service_table(metrics, trend)]
    if data.share_of_voice:
        tables.append(share_table(data))
    return tables
