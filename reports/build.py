"""Write a topic report for a period: a self-contained HTML file, CSV tables, an XLSX workbook, a PDF."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone

from reports import charts
from reports.config import ReportConfig, load_config
from reports.data import SENTIMENT_RU, ReportData, collect
from reports.service import service_summary
from reports.tables import Table, report_tables, safe_cell

FORMATS = ("html", "csv", "xlsx", "pdf")


class ReportError(RuntimeError):
    pass


@dataclass
class ReportFiles:
    data: ReportData
    paths: dict[str, list[Path]] = field(default_factory=dict)

    @property
    def html(self) -> Path | None:
        return (self.paths.get("html") or [None])[0]

    @property
    def csv(self) -> Path | None:
        """The volume-by-day CSV (the first of the CSV tables)."""
        return (self.paths.get("csv") or [None])[0]

    def all(self) -> list[Path]:
        return [p for paths in self.paths.values() for p in paths]


def _share(counter) -> list[tuple[str, str, int, float]]:
    total = sum(counter.values())
    return [(s, SENTIMENT_RU[s], counter.get(s, 0), round(100 * counter.get(s, 0) / total, 1) if total else 0.0)
            for s in ("negative", "neutral", "positive")]


def report_context(start: datetime, end: datetime, sources: list[str] | None = None, topics: list[str] | None = None,
                   config: ReportConfig | None = None, now: datetime | None = None, charts_too: bool = True) -> dict:
    """Everything the report template and the table writers need (charts only with `charts_too`)."""
    config = config or load_config()
    data = collect(start, end, sources=sources, topics=topics, config=config)
    metrics, trend = service_summary(start, end, now=now)
    rows = []
    for topic, total in data.topic_totals():
        rows.append({
            "code": topic, "name": data.topic_names.get(topic, topic), "total": total,
            "weeks": data.week_volume(topic), "previous": data.previous_volume.get(topic, 0),
            "change_pct": data.change_pct(topic), "share": _share(data.sentiment_by_topic.get(topic, {})),
            "quotes": data.quotes.get(topic, []),
        })
    channels = [{"code": k, "name": data.channel_names.get(k, k), "total": sum(c.values()), "share": _share(c)}
                for k, c in sorted(data.sentiment_by_channel.items(), key=lambda x: -sum(x[1].values()))]
    sov_total = sum(sum(c.values()) for c in data.share_of_voice.values())
    share_of_voice = [{"brand": b, "total": sum(c.values()), "own": b == data.brand,
                       "pct": round(100 * sum(c.values()) / sov_total, 1) if sov_total else 0.0,
                       "share": _share(c)}
                      for b, c in sorted(data.share_of_voice.items(), key=lambda x: -sum(x[1].values()))]
    return {
        "data": data, "rows": rows, "channels": channels, "metrics": metrics, "trend": trend,
        "generated_at": now or timezone.now(), "sources": sources or [], "topics": topics or [],
        "overall_share": _share(data.sentiment), "total_change_pct": data.change_pct(),
        "spikes": [{"s": s, "chart": charts.spike_chart(s) if charts_too else ""} for s in data.spikes],
        "share_of_voice": share_of_voice,
        "volume_chart": charts.volume_chart(data) if charts_too and data.total else "",
        "sentiment_chart": charts.sentiment_chart(data) if charts_too and data.total else "",
        "channel_chart": charts.channel_chart(data) if charts_too and data.total else "",
        "service_chart": charts.service_chart(trend) if charts_too and metrics.tickets else "",
        "sov_chart": charts.share_of_voice_chart(data) if charts_too and share_of_voice else "",
        "tables": report_tables(data, metrics, trend),
    }


def render_html(context: dict) -> str:
    return render_to_string("reports/topic_report.html", context)


def write_csv(tables: list[Table], out_dir: Path, stem: str) -> list[Path]:
    """One UTF-8 CSV per table: `<stem>-<table>.csv`."""
    paths = []
    for t in tables:
        path = out_dir / f"{stem}-{t.name}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(t.header)
            w.writerows([[safe_cell(v) for v in row] for row in t.rows])
        paths.append(path)
    return paths


def write_xlsx(tables: list[Table], path: Path) -> Path:
    """One workbook, one sheet per table, header row frozen."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for t in tables:
        ws = wb.create_sheet(t.title[:31])
        ws.append(t.header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in t.rows:
            ws.append([safe_cell(v) for v in row])
        ws.freeze_panes = "A2"
        for col in ws.columns:
            width = max(len(str(c.value or "")) for c in col[:200])
            ws.column_dimensions[col[0].column_letter].width = min(max(8, width + 2), 60)
    wb.save(path)
    return path


def chromium_path() -> str:
    """The Chromium binary that prints PDFs (OTKLIK_CHROMIUM, else chromium on PATH)."""
    found = os.environ.get("OTKLIK_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise ReportError("PDF needs Chromium: apt-get install chromium (or set OTKLIK_CHROMIUM)")
    return found


def write_pdf(html_path: Path, pdf_path: Path, timeout: float = 120) -> Path:
    """Print the HTML report to PDF with headless Chromium (no network: the HTML is self-contained)."""
    with tempfile.TemporaryDirectory(prefix="otklik-chromium-") as profile:
        cmd = [chromium_path(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-extensions", f"--user-data-dir={profile}", "--no-pdf-header-footer",
               f"--print-to-pdf={pdf_path}", html_path.resolve().as_uri()]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0 or not pdf_path.exists() or pdf_path.stat().st_size == 0:
        raise ReportError(f"Chromium could not print {html_path}: {proc.stderr.strip()[-500:]}")
    return pdf_path


def build_report(start: datetime, end: datetime, out_dir: Path, sources: list[str] | None = None,
                 topics: list[str] | None = None, formats: tuple[str, ...] | list[str] = ("html", "csv"),
                 config: ReportConfig | None = None) -> ReportFiles:
    """Render the report for [start, end) into `out_dir` in the given formats; return the paths written."""
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ReportError(f"unknown report format(s): {', '.join(sorted(unknown))} (one of {', '.join(FORMATS)})")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    context = report_context(start, end, sources, topics, config, charts_too="html" in formats or "pdf" in formats)
    tz = timezone.get_current_timezone()
    stem = f"topic-report-{start.astimezone(tz):%Y%m%d}-{end.astimezone(tz):%Y%m%d}"
    files = ReportFiles(context["data"])
    if "html" in formats or "pdf" in formats:
        html_path = out_dir / f"{stem}.html"
        html_path.write_text(render_html(context), encoding="utf-8")
        files.paths["html"] = [html_path]
        if "pdf" in formats:
            files.paths["pdf"] = [write_pdf(html_path, out_dir / f"{stem}.pdf")]
    if "csv" in formats:
        files.paths["csv"] = write_csv(context["tables"], out_dir, stem)
    if "xlsx" in formats:
        files.paths["xlsx"] = [write_xlsx(context["tables"], out_dir / f"{stem}.xlsx")]
    return files
