"""`otklik report` and `otklik alerts …`."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import click

from otklik.clitools import console, django


def _moment(value: str | None, default: datetime) -> datetime:
    """Parse an ISO date or date-time; naive values are in the configured time zone."""
    if not value:
        return default
    from django.utils import timezone

    try:
        d = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD) or ISO date-time") from exc
    return timezone.make_aware(d) if timezone.is_naive(d) else d


@click.command()
@click.option("--from", "date_from", default=None, help="Start date (YYYY-MM-DD), default: 14 days ago.")
@click.option("--to", "date_to", default=None, help="End date, exclusive (YYYY-MM-DD), default: tomorrow.")
@click.option("--format", "formats", type=click.Choice(["html", "csv", "xlsx", "pdf"]), multiple=True,
              help="Output format (repeatable); default: html.")
@click.option("--source", "sources", multiple=True, help="Only these sources (repeatable).")
@click.option("--topic", "topics", multiple=True, help="Only these topics (repeatable).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Output folder, default: $OTKLIK_HOME/reports.")
def report(date_from, date_to, formats, sources, topics, out_dir) -> None:
    """Write the topic report for a period (HTML with charts, CSV or XLSX tables, PDF)."""
    django()
    from django.conf import settings
    from django.utils import timezone

    from classifiers.taxonomy import load_taxonomy
    from reports.build import ReportError, build_report
    from reports.config import ConfigError
    from store.models import Source

    unknown_topics = set(topics) - set(load_taxonomy().codes)
    if unknown_topics:
        raise click.BadParameter(f"unknown topic(s): {', '.join(sorted(unknown_topics))}", param_hint="--topic")
    unknown_sources = set(sources) - set(Source.objects.filter(name__in=sources).values_list("name", flat=True))
    if unknown_sources:
        raise click.BadParameter(f"unknown source(s): {', '.join(sorted(unknown_sources))}", param_hint="--source")
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    start = _moment(date_from, today - timedelta(days=13))
    end = _moment(date_to, today + timedelta(days=1))
    if end <= start:
        raise click.BadParameter("--to must be after --from", param_hint="--to")
    try:
        files = build_report(start, end, Path(out_dir or settings.OTKLIK["REPORTS_DIR"]), list(sources) or None,
                             list(topics) or None, formats=formats or ("html",))
    except (ReportError, ConfigError) as exc:
        raise click.ClickException(str(exc)) from exc
    console.print(f"{files.data.total} mentions, {len(files.data.spikes)} spikes.")
    for path in files.all():
        console.print(f"  {path}")


@click.group()
def alerts() -> None:
    """Spike and negative-surge alerts."""


@alerts.command("check")
@click.option("--now", "now_value", default=None, help="Pretend it is this ISO date-time (replays, tests).")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send and record nothing.")
def alerts_check(now_value, dry_run) -> None:
    """Alert on new spikes (webhook and e-mail as configured); run it hourly."""
    django()
    from django.utils import timezone

    from reports.alerts import check_alerts, summary
    from reports.config import ConfigError

    try:
        result = check_alerts(now=_moment(now_value, timezone.now()), dry_run=dry_run)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    for s in result.found:
        console.print(f"spike: {summary(s)}", markup=False, highlight=False)
    recorded = sum(1 for a in result.sent if a.status == "recorded")
    console.print(f"{len(result.found)} under way; sent {len(result.sent) - recorded}, recorded without channels "
                  f"{recorded}, failed {len(result.failed)}, already alerted {result.known}, in cooldown "
                  f"{result.cooling}, retried {result.retried}" + (" (dry run)" if dry_run else ""))
    if result.failed:
        raise SystemExit(1)


@alerts.command("list")
@click.option("--limit", type=int, default=20, show_default=True)
def alerts_list(limit: int) -> None:
    """Show the latest alerts and how they were delivered."""
    django()
    from reports.models import Alert

    for a in Alert.objects.all()[:limit]:
        console.print(f"{a.created_at:%Y-%m-%d %H:%M} {a.status:8} {a.kind:14} {a.topic_name or a.topic}: "
                      f"{a.peak_count} vs {a.baseline:.1f} {a.channels}", markup=False, highlight=False)


COMMANDS = [report, alerts]
