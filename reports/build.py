"""Write a topic report for a period: a self-contained HTML file and CSV tables."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone

from reports import charts
from reports.data import ReportData, collect
from responders.services.metrics import service_metrics


@dataclass
class ReportFiles:
    html: Path
    csv: Path
    data: ReportData


def build_report(start: datetime, end: datetime, out_dir: Path, sources: list[str] | None = None,
                 topics: list[str] | None = None) -> ReportFiles:
    """Render the report for [start, end) into `out_dir`; return the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    data = collect(start, end, sources=sources, topics=topics)
    metrics = service_metrics(start, end)
    stem = f"topic-report-{start:%Y%m%d}-{end:%Y%m%d}"
    html_path, csv_path = out_dir / f"{stem}.html", out_dir / f"{stem}-volume.csv"
    rows = []
    for topic, total in data.topic_totals():
        s = data.sentiment_by_topic.get(topic, {})
        rows.append({
            "code": topic, "name": data.topic_names.get(topic, topic), "total": total,
            "negative_pct": round(100 * s.get("negative", 0) / total, 1) if total else 0,
            "positive_pct": round(100 * s.get("positive", 0) / total, 1) if total else 0,
            "quotes": data.quotes.get(topic, []),
        })
    context = {
        "data": data, "rows": rows, "metrics": metrics, "generated_at": timezone.now(),
        "volume_chart": charts.volume_chart(data) if data.total else "",
        "sentiment_chart": charts.sentiment_chart(data) if data.total else "",
        "sentiment_share": {s: round(100 * n / data.total, 1) for s, n in data.sentiment.items()} if data.total else {},
    }
    html_path.write_text(render_to_string("reports/topic_report.html", context), encoding="utf-8")
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["topic", "name", *[d.isoformat() for d in data.days], "total"])
        for topic, total in data.topic_totals():
            w.writerow([topic, data.topic_names.get(topic, topic), *[data.volume[topic].get(d, 0) for d in data.days], total])
    return ReportFiles(html_path, csv_path, data)
