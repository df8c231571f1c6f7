"""`otklik crawl` and `otklik sources`."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from otklik.clitools import console, django


@click.command()
@click.argument("sources", nargs=-1)
@click.option(
    "--sources-file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Sources YAML to load first (default: $OTKLIK_SOURCES or ./sources.yaml).",
)
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


@click.command("sources")
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
        table.add_row(
            s.name,
            s.kind,
            "yes" if s.enabled else "no",
            s.schedule,
            str(s.mentions.count()),
            f"{s.last_run_at:%Y-%m-%d %H:%M}" if s.last_run_at else "never",
            s.last_status,
        )
    console.print(table)


COMMANDS = [crawl, sources_cmd]
