"""`otklik report`."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import click

from otklik.clitools import console, django


def _date(value: str | None, default: datetime) -> datetime:
    if not value:
        return default
    from django.utils import timezone

    d = datetime.fromisoformat(value)
    return timezone.make_aware(d) if timezone.is_naive(d) else d


@click.command()
@click.option("--from", "date_from", default=None, help="Start date (YYYY-MM-DD), default: 14 days ago.")
@click.option("--to", "date_to", default=None, help="End date, exclusive (YYYY-MM-DD), default: tomorrow.")
@click.option("--format", "fmt", type=click.Choice(["html", "csv"]), default="html", show_default=True)
@click.option("--source", "sources", multiple=True, help="Only these sources (repeatable).")
@click.option("--topic", "topics", multiple=True, help="Only these topics (repeatable).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None, help="Output folder.")
def report(date_from, date_to, fmt, sources, topics, out_dir) -> None:
    """Write the topic report for a period."""
    django()
    from django.conf import settings
    from django.utils import timezone

    from reports.build import build_report

    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    start = _date(date_from, today - timedelta(days=13))
    end = _date(date_to, today + timedelta(days=1))
    files = build_report(
        start, end, Path(out_dir or settings.OTKLIK["REPORTS_DIR"]), list(sources) or None, list(topics) or None
    )
    console.print(f"Report: {files.csv if fmt == 'csv' else files.html} ({files.data.total} mentions)")


COMMANDS = [report]
