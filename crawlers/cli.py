"""`otklik crawl`, `otklik sources` and `otklik reindex-duplicates`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from otklik.clitools import console, django


def _load_sources(path: str | None) -> None:
    """Sync the sources file into the database (a missing default file is fine: the admin may hold them)."""
    from django.conf import settings

    from crawlers.sources import SourceConfigError, sync_sources

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
@click.option("--due", is_flag=True, help="Only the sources whose own schedule makes them due now (for cron).")
def crawl(sources: tuple[str, ...], sources_file: str | None, due: bool) -> None:
    """Crawl the configured sources (all enabled ones, only SOURCES, or with --due those due by their schedule)."""
    django()
    from django.utils import timezone

    from crawlers.runner import CrawlFailed
    from crawlers.runner import crawl as run_crawl
    from crawlers.sources import SourceConfigError, crawl_specs, due_sources

    _load_sources(sources_file)
    names = list(sources) or None
    if due:
        names = due_sources(timezone.now(), names)
        if not names:
            console.print("Ни один источник сейчас не в очереди по расписанию: обходить нечего.")
            return
    try:
        specs = crawl_specs(names)
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
    fail_if_sources_failed(stats.per_source)


def fail_if_sources_failed(per_source: dict[str, dict]) -> None:
    """Print each failed source with its reason and exit non-zero (cron and CI see a failed crawl).

    A busy source is not a failure: another run holds its lock and is crawling it now.
    """
    failed = sorted(name for name, s in per_source.items() if not s.get("ok") and not s.get("busy"))
    for name in failed:
        console.print(f"[red]{escape(name)}[/red]: {escape(per_source[name].get('status') or 'failed')}", highlight=False)
    if failed:
        raise click.ClickException(
            f"не удалось обойти {len(failed)} из {len(per_source)} источников: {', '.join(failed)} "
            "(их состояние не сдвинуто, следующий запуск повторит; причины выше и в карантине)"
        )


@click.group("sources", invoke_without_command=True)
@click.option("--sources-file", type=click.Path(exists=True, dir_okay=False), default=None, help="Sources YAML to load first.")
@click.pass_context
def sources_cmd(ctx: click.Context, sources_file: str | None) -> None:
    """List the configured sources with their incremental state and last run (`sources check` tests a site)."""
    ctx.obj = {"sources_file": sources_file}
    if ctx.invoked_subcommand is not None:
        return
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
            _when(state.get("newest")),
            "—" if not resume else f"from {resume.get('cursor')}",
            f"{s.last_run_at:%Y-%m-%d %H:%M}" if s.last_run_at else "never",
            s.last_status or "",
        )
    console.print(table)


@sources_cmd.command("check")
@click.argument("name")
@click.option("--url", default=None, help="Fetch this page instead of the source's start_url (with --file: the saved "
              "page's address, for its relative links).")
@click.option("--file", "page_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Read a saved page (HTML) instead of fetching one.")
@click.option("--show", type=int, default=3, show_default=True, help="How many reviews to show.")
@click.option("--review-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Instead: read a saved page of one review with the site's full_text selectors.")
@click.pass_context
def sources_check(ctx: click.Context, name: str, url: str | None, page_file: str | None, show: int,
                  review_file: str | None) -> None:
    """Dry-run a review-site source (or a site of crawlers/sites.yaml) over one page; nothing is stored.

    Prints how many reviews the selectors find, the first ones' fields, and each selector that matched nothing.
    With --review-file, the whole text the site's full_text selectors find on one review's own page.
    """
    django()
    from crawlers.check import check_page
    from crawlers.sites import load_sites
    from store.models import Source

    _load_sources((ctx.obj or {}).get("sources_file"))
    source = Source.objects.filter(name=name).first()
    if source is not None and source.kind != "review_site":
        raise click.ClickException(f"источник {name} — {source.kind}, а проверка селекторов только для review_site")
    if source is None and name not in load_sites():
        raise click.ClickException(f"нет ни источника, ни сайта {name!r} в crawlers/sites.yaml")
    config = dict(source.config) if source else {"site": name}
    if review_file:
        _check_review_page(name, config, Path(review_file), url)
        return
    if page_file:
        body, where, ctype = Path(page_file).read_bytes(), url or config.get("start_url") or Path(page_file).resolve().as_uri(), ""
    else:
        where = url or config.get("start_url")
        if not where:
            raise click.ClickException("нет адреса: укажите --url или --file")
        body, ctype = _fetch(where)
    try:
        result = check_page(name, config, body, where, ctype, show=show)
    except ValueError as exc:
        raise click.ClickException(f"конфигурация сайта с ошибкой: {exc}") from None
    console.print(f"Проверка {escape(name)} на странице {escape(where)}: найдено отзывов — [bold]{result.found}[/bold]")
    for problem in result.problems:
        console.print(f"[red]Проблема:[/red] {escape(problem)}")
    for key in result.empty:
        console.print(f"[yellow]Селектор {key} ничего не нашёл ни в одном отзыве[/yellow]")
    if result.unset:
        console.print(f"Не заданы (необязательные): {', '.join(result.unset)}")
    if result.next_page:
        console.print(f"Следующая страница: {escape(result.next_page)}")
    for f in result.first:
        table = Table("поле", "значение", show_header=False)
        for key in ("id", "posted_at", "rating", "author", "title", "url", "text"):
            value = f[key]
            text = "" if value is None else value.isoformat() if hasattr(value, "isoformat") else str(value)
            table.add_row(key, escape(text[:300] + ("…" if len(text) > 300 else "")))
        if f["preview"]:
            table.add_row("превью", "да: сайт показал только начало отзыва" +
                          (" (полный текст — со страницы отзыва, full_text)" if result.full_text else ""))
        console.print(table)
    if not result.found:
        raise click.ClickException("селекторы не нашли ни одного отзыва")


def _check_review_page(name: str, config: dict, path: Path, url: str | None) -> None:
    """`sources check --review-file`: what the site's full_text selectors read on one saved review page."""
    from crawlers.check import check_review_page

    where = url or path.resolve().as_uri()
    try:
        text, problem = check_review_page(name, config, path.read_bytes(), where)
    except ValueError as exc:
        raise click.ClickException(f"конфигурация сайта с ошибкой: {exc}") from None
    if problem:
        raise click.ClickException(f"на странице отзыва не найден текст: {problem}")
    console.print(f"Текст отзыва со страницы {escape(where)} ({len(text)} символов):")
    console.print(escape(text[:1000] + ("…" if len(text) > 1000 else "")))


def _fetch(url: str) -> tuple[bytes, str]:
    """One GET with the crawler's User-Agent; (body, Content-Type)."""
    import httpx

    from crawlers.settings import USER_AGENT

    try:
        resp = httpx.get(url, headers={"User-Agent": USER_AGENT}, follow_redirects=True, timeout=30)
    except httpx.HTTPError as exc:
        raise click.ClickException(f"не удалось загрузить {url}: {exc}") from None
    if resp.status_code >= 400:
        raise click.ClickException(f"{url} ответил HTTP {resp.status_code}")
    return resp.content, resp.headers.get("content-type", "")


@click.command("reindex-duplicates")
def reindex_duplicates() -> None:
    """Rebuild the near-duplicate (MinHash LSH) index from the stored original mentions."""
    django()
    from store.services.neardup import rebuild_index

    console.print(f"indexed {rebuild_index()} original mentions")


def _when(iso: str | None) -> str:
    """An ISO date as "2026-11-20 10:00+03:00": minutes, with its UTC offset."""
    if not iso:
        return "—"
    try:
        return datetime.fromisoformat(iso).isoformat(sep=" ", timespec="minutes")
    except ValueError:
        return iso


COMMANDS = [crawl, sources_cmd, reindex_duplicates]
