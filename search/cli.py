"""`otklik index sync|rebuild|status|stats` and `otklik search`."""

from __future__ import annotations

from datetime import datetime

import click

from otklik.clitools import console, django


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    from django.utils import timezone

    try:
        d = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None
    return timezone.make_aware(d) if timezone.is_naive(d) else d


def _query(text, sources, topics, sentiments, states, date_from, date_to, duplicates=False):
    from search.query import Query

    return Query(text=text or "", sources=list(sources), topics=list(topics), sentiments=list(sentiments),
                 ticket_states=list(states), date_from=_when(date_from), date_to=_when(date_to),
                 include_duplicates=duplicates)


def _filters(f):
    for opt in reversed([
        click.option("--source", "sources", multiple=True, help="Only this source (repeatable)."),
        click.option("--topic", "topics", multiple=True, help="Only this topic (repeatable)."),
        click.option("--sentiment", "sentiments", multiple=True, help="Only this sentiment (repeatable)."),
        click.option("--state", "states", multiple=True, help="Only tickets in this state (repeatable)."),
        click.option("--from", "date_from", default=None, help="Posted at or after (YYYY-MM-DD)."),
        click.option("--to", "date_to", default=None, help="Posted before (YYYY-MM-DD, exclusive)."),
    ]):
        f = opt(f)
    return f


def _unavailable(exc: Exception) -> click.ClickException:
    return click.ClickException(f"{exc}\nNothing is lost: the outbox keeps every pending change for the next sync.")


@click.group("index")
def index() -> None:
    """Keep the search index in step with the database (Elasticsearch, or SQLite/PostgreSQL full text)."""


@index.command("sync")
@click.option("--batch-size", type=int, default=500, show_default=True)
@click.option("--retry-failed", is_flag=True, help="Retry rejected documents now, not after their backoff.")
def sync_cmd(batch_size: int, retry_failed: bool) -> None:
    """Index every change waiting in the outbox."""
    django()
    from search.backends import backend_name
    from search.query import BackendUnavailable
    from search.services.sync import sync

    try:
        stats = sync(batch_size=batch_size, retry_failed=retry_failed)
    except BackendUnavailable as exc:
        raise _unavailable(exc) from exc
    console.print(f"[{backend_name()}] indexed {stats.indexed}, deleted {stats.deleted}, "
                  f"rejected {stats.failed}; {stats.pending} change(s) still pending.")
    for mention_id, error in list(stats.errors.items())[:10]:
        console.print(f"  mention {mention_id}: {error}", markup=False)
    if stats.failed:
        raise SystemExit(1)


@index.command("rebuild")
@click.option("--batch-size", type=int, default=1000, show_default=True)
def rebuild_cmd(batch_size: int) -> None:
    """Reindex every mention into a fresh index, then switch searches to it (no downtime)."""
    django()
    from rich.progress import Progress

    from search.backends import backend_name
    from search.query import BackendUnavailable
    from search.services.sync import rebuild
    from store.models import Mention

    total = Mention.objects.count()
    try:
        with Progress(console=console) as progress:
            bar = progress.add_task(f"Rebuilding the {backend_name()} index", total=total)
            stats = rebuild(batch_size=batch_size, progress=lambda n: progress.advance(bar, n))
    except BackendUnavailable as exc:
        raise _unavailable(exc) from exc
    console.print(f"Indexed {stats.indexed} of {total} mentions; {stats.failed} rejected (queued for `otklik index sync`).")
    if stats.failed:
        raise SystemExit(1)


@index.command("status")
def status_cmd() -> None:
    """Show the backend, the document count and what waits in the outbox."""
    django()
    from search.backends import get_backend
    from search.query import BackendUnavailable
    from search.services.sync import outbox_status

    try:
        info = get_backend().describe()
    except BackendUnavailable as exc:
        info = {"backend": "unavailable", "error": str(exc)}
    info.update(outbox_status())
    errors = info.pop("errors")
    for key, value in info.items():
        console.print(f"{key}: {value}", markup=False)
    for mention_id, attempts, error in errors:
        console.print(f"  mention {mention_id} ({attempts} attempts): {error}", markup=False)


@index.command("stats")
@_filters
def stats_cmd(sources, topics, sentiments, states, date_from, date_to) -> None:
    """Print report aggregates: volume by topic, sentiment shares, channels."""
    django()
    from classifiers.taxonomy import load_taxonomy
    from search.query import BackendUnavailable
    from search.services.search import aggregate

    query = _query("", sources, topics, sentiments, states, date_from, date_to)
    query.classified = True  # what the topic report counts
    try:
        agg = aggregate(query)
    except BackendUnavailable as exc:
        raise _unavailable(exc) from exc
    taxonomy = load_taxonomy()
    console.print(f"{agg.total} classified mentions (duplicates excluded)")
    for s, share in sorted(agg.sentiment_shares().items()):
        console.print(f"  {s}: {agg.sentiment[s]} ({share:.1%})")
    for topic, n in agg.topic.most_common():
        console.print(f"  {taxonomy.name(topic)} [{topic}]: {n}", markup=False)
    for channel, n in agg.channel.most_common():
        console.print(f"  channel {channel}: {n}", markup=False)


@click.command("search")
@click.argument("text", required=False, default="")
@_filters
@click.option("--duplicates", is_flag=True, help="Include duplicates of earlier mentions.")
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True)
def search_cmd(text, sources, topics, sentiments, states, date_from, date_to, duplicates, limit) -> None:
    """Search mentions: words in any form, "exact phrase", -excluded."""
    django()
    from html import unescape

    from django.utils.html import strip_tags

    from search.query import BackendUnavailable
    from search.services.search import search

    try:
        page = search(_query(text, sources, topics, sentiments, states, date_from, date_to, duplicates), per_page=limit)
    except BackendUnavailable as exc:
        raise _unavailable(exc) from exc
    console.print(f"{page.total} found ({page.backend})")
    for h in page.hits:
        ticket = f" ticket #{h.ticket_id} {h.ticket_state}" if h.ticket_id else ""
        console.print(f"#{h.mention_id} {h.posted_at:%Y-%m-%d} {h.source} {h.sentiment} {','.join(h.topics)}{ticket}",
                      markup=False)
        console.print("   " + unescape(strip_tags(h.snippet)),
                      markup=False, highlight=False)


COMMANDS = [index, search_cmd]
