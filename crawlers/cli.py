"""`otklik crawl`, `otklik sources` and `otklik reindex-duplicates`."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from otklik.clitools import console, django


def _load_sources(path: str | None) -> None:
    """Sync the sources file into the database (a missing default file is fine: the admin may hold them)."""
    from django.conf import settings

    from store.services.sources import SourceConfigError, sync_sources

    path = path or settings.OTKLIK["SOURCES_FILE"]
    if not Path(path).exists():
        return
    try:
        sync_sources(path)
    except SourceConfigError as exc:
        raise click.ClickException(str(exc)) from None


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
    from crawlers.runner import CrawlFailed
    from crawlers.runner import crawl as run_crawl
    from store.services.sources import SourceConfigError, crawl_specs

    _load_sources(sources_file)
    try:
        specs = crawl_specs(list(sources) or None)
    except SourceConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if not specs:
        raise click.ClickException("no enabled sources: add some to the sources file or the admin")
    try:
        stats = run_crawl(specs)
    except CrawlFailed as exc:
        raise click.ClickException(f"the crawl process failed: {exc}") from None
    table = Table("source", "pages", "new", "copies", "known", "quarantined", "retries", "result", title="Crawl")
    for name, s in sorted(stats.per_source.items()):
        counts = (str(s.get(k, 0)) for k in ("pages", "new", "near_duplicate", "repeat", "quarantined", "retries"))
        result = ("ok" if s.get("ok") else "[yellow]busy: another run is crawling it[/yellow]" if s.get("busy")
                  else "[red]failed, state kept[/red]")
        table.add_row(name, *counts, result)
    console.print(table)


@click.command("sources")
@click.option("--sources-file", type=click.Path(exists=True, dir_okay=False), default=None, help="Sources YAML to load first.")
def sources_cmd(sources_file: str | None) -> None:
    """List the configured sources with their incremental state and last run."""
    django()
    from django.db.models import Count, Q

    from store.models import Source

    _load_sources(sources_file)
    table = Table("name", "kind", "enabled", "schedule", "mentions", "copies", "quarantined", "newest", "resume", "last run", "status")
    rows = Source.objects.annotate(
        n=Count("mentions", distinct=True),
        copies=Count("mentions", filter=Q(mentions__duplicate_of__isnull=False), distinct=True),
        quarantined=Count("quarantine", filter=Q(quarantine__resolved=False), distinct=True),
    )
    for s in rows:
        state = s.state or {}
        resume = state.get("resume")
        table.add_row(
            s.name,
            s.kind,
            "yes" if s.enabled else "no",
            s.schedule,
            str(s.n),
            str(s.copies),
            str(s.quarantined),
            (state.get("newest") or "—")[:16].replace("T", " "),
            "—" if not resume else f"from {resume.get('cursor')}",
            f"{s.last_run_at:%Y-%m-%d %H:%M}" if s.last_run_at else "never",
            s.last_status or "",
        )
    console.print(table)


@click.command("reindex-duplicates")
def reindex_duplicates() -> None:
    """Rebuild the near-duplicate (MinHash LSH) index from the stored original mentions."""
    django()
    from store.services.neardup import rebuild_index

    console.print(f"indexed {rebuild_index()} original mentions")


COMMANDS = [crawl, sources_cmd, reindex_duplicates]
