"""The `otklik` command line: one entry point over the same services the flows and the desk use."""

from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

console = Console()


def django():
    """Set Django up (and create the database schema if it does not exist yet)."""
    from store.django_setup import setup

    setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        call_command("migrate", interactive=False, verbosity=0)


def _prefect_home() -> None:
    """Keep Prefect's local state beside Otklik's unless the user points Prefect elsewhere."""
    from store.paths import home

    os.environ.setdefault("PREFECT_HOME", str(home() / "prefect"))
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="otklik")
def main() -> None:
    """Otklik: crawl feedback, classify it, answer it within 48 hours, report on it."""


@main.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    from store.django_setup import setup

    setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False)


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def manage(args: tuple[str, ...]) -> None:
    """Run a Django management command (e.g. `otklik manage createsuperuser`)."""
    from store.django_setup import setup

    setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["otklik manage", *args])


@main.command()
@click.option("--model", default=None, help="Classifier checkpoint directory (default: the shipped model).")
@click.option("--snapshot", type=click.Path(exists=True, file_okay=False), default=None,
              help="Snapshot folder (manifest.json, sources.yaml, orders.csv); default: the bundled one.")
def demo(model: str | None, snapshot: str | None) -> None:
    """Run the offline demo batch over the bundled snapshot: crawl → classify → queue → report."""
    django()
    _prefect_home()
    from flows.demo import demo_batch
    from otklik.summary import print_demo_summary

    started = datetime.now().astimezone()
    with console.status("Running the demo batch (crawl → classify → queue → report)…"):
        result = demo_batch(snapshot_dir=snapshot, model=model)
    print_demo_summary(console, result, started)


@main.command()
@click.argument("sources", nargs=-1)
@click.option("--sources-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Sources YAML to load first (default: $OTKLIK_SOURCES or ./sources.yaml).")
def crawl(sources: tuple[str, ...], sources_file: str | None) -> None:
    """Crawl the configured sources (all enabled ones, or only SOURCES)."""
    django()
    from django.conf import settings

    from crawlers.runner import crawl as run_crawl
    from store.services.sources import crawl_specs, sync_sources

    path = sources_file or settings.OTKLIK["SOURCES_FILE"]
    if Path(path).exists():
        sync_sources(path)
    stats = run_crawl(crawl_specs(list(sources) or None))
    table = Table("source", "pages", "new", "copies", "repeats", "quarantined", title="Crawl")
    for name, s in sorted(stats.per_source.items()):
        table.add_row(name, *(str(s.get(k, 0)) for k in ("pages", "new", "near_duplicate", "repeat", "quarantined")))
    console.print(table)


@main.command("sources")
def sources_cmd() -> None:
    """List the configured sources with their last run."""
    django()
    from django.conf import settings

    from store.models import Source
    from store.services.sources import sync_sources

    if Path(settings.OTKLIK["SOURCES_FILE"]).exists():
        sync_sources(settings.OTKLIK["SOURCES_FILE"])
    table = Table("name", "kind", "enabled", "schedule", "mentions", "last run", "status")
    for s in Source.objects.all():
        table.add_row(s.name, s.kind, "yes" if s.enabled else "no", s.schedule, str(s.mentions.count()),
                      f"{s.last_run_at:%Y-%m-%d %H:%M}" if s.last_run_at else "never", s.last_status)
    console.print(table)


@main.command()
@click.option("--input", "input_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="JSONL file with `id` and `text` per line; without it, stored mentions are classified.")
@click.option("--output", "output_path", type=click.Path(dir_okay=False), default=None, help="JSONL output file.")
@click.option("--model", default=None, help="Checkpoint directory (default: the shipped model).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto")
@click.option("--batch-size", type=int, default=64, show_default=True)
@click.option("--fast", is_flag=True, help="Use the distilled fast model.")
def classify(input_path, output_path, model, device, batch_size, fast) -> None:
    """Classify sentiment and topics: a JSONL file, or every stored mention not yet classified."""
    if input_path:
        if not output_path:
            raise click.UsageError("--output is required with --input")
        from classifiers.cli import classify_jsonl

        classify_jsonl(input_path, output_path, model=model, device=device, batch_size=batch_size, fast=fast)
        return
    django()
    from classifiers.registry import load_classifier
    from store.models import Mention
    from store.services.classify import classify_pending

    clf = load_classifier(model, device=device) if not fast else load_classifier(model or "fast", device=device)
    todo = Mention.objects.unclassified_by(clf.version).count()
    from rich.progress import Progress

    with Progress(console=console) as progress:
        bar = progress.add_task(f"Classifying with {clf.version}", total=todo)
        n = classify_pending(clf, batch_size=batch_size, progress=lambda k: progress.advance(bar, k))
    console.print(f"Classified {n} mentions with {clf.name} {clf.version}.")


@main.command()
def route() -> None:
    """Open tickets for classified mentions and link them to orders."""
    django()
    from responders.services.routing import route_pending

    s = route_pending()
    console.print(f"Opened {s.opened} tickets, dismissed {s.dismissed}, skipped {s.skipped_duplicates} copies; "
                  f"{s.linked_to_order} linked to an order.")


@main.command()
@click.option("--limit", type=int, default=30, show_default=True)
@click.option("--all", "show_all", is_flag=True, help="Include closed tickets.")
def queue(limit: int, show_all: bool) -> None:
    """Show the moderators' queue, earliest due first."""
    django()
    from responders.models import Ticket

    qs = Ticket.objects.all() if show_all else Ticket.objects.open()
    qs = qs.by_due().select_related("mention", "mention__source", "assignee")
    table = Table("#", "due", "kind", "topic", "channel", "state", "order", "text", title=f"Queue ({qs.count()})")
    for t in qs[:limit]:
        link = t.order_links.first()
        table.add_row(str(t.pk), f"{t.resolution_due:%d.%m %H:%M}", t.kind, t.topic, t.channel, t.state,
                      link.order.order_number if link else "", t.mention.text[:60].replace("\n", " "))
    console.print(table)


def _date(value: str | None, default: datetime) -> datetime:
    if not value:
        return default
    from django.utils import timezone

    d = datetime.fromisoformat(value)
    return timezone.make_aware(d) if timezone.is_naive(d) else d


@main.command()
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
    files = build_report(start, end, Path(out_dir or settings.OTKLIK["REPORTS_DIR"]), list(sources) or None,
                         list(topics) or None)
    console.print(f"Report: {files.csv if fmt == 'csv' else files.html} ({files.data.total} mentions)")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def desk(host: str, port: int) -> None:
    """Run the moderators' web desk."""
    django()
    from django.core.management import call_command

    console.print(f"Desk on http://{host}:{port}/ (create a login with `otklik manage createsuperuser`)")
    call_command("runserver", f"{host}:{port}", use_reloader=False)


@main.group()
def orders() -> None:
    """Orders and customers."""


@orders.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def orders_import(path: str) -> None:
    """Upsert orders and customers from a CSV file (idempotent)."""
    django()
    from responders.services.orders import import_orders_csv

    s = import_orders_csv(path)
    console.print(f"Orders: {s.created} created, {s.updated} updated; {s.customers} new customers.")
    for err in s.errors or []:
        console.print(f"[red]{err}[/red]")
    if s.errors:
        sys.exit(1)


@main.group()
def templates() -> None:
    """Reply templates."""


@templates.command("load")
def templates_load() -> None:
    """Create the starter reply templates that do not exist yet."""
    django()
    from responders.services.templates import load_templates

    console.print(f"{load_templates()} templates created.")


def _mount_classifier_commands() -> None:
    try:
        from classifiers import cli as clf_cli
    except ImportError:  # classifier commands arrive with the classifier package
        return
    for name in ("train", "evaluate", "convert-e5"):
        cmd = getattr(clf_cli, "COMMANDS", {}).get(name)
        if cmd is not None:
            main.add_command(cmd, name)


_mount_classifier_commands()
