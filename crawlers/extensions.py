"""Scrapy extension: save each source's incremental state and record the run's outcome."""

from __future__ import annotations

import asyncio

from asgiref.sync import sync_to_async
from django.utils import timezone
from scrapy import signals

from crawlers.middlewares.snapshot import real_url


def _save_state(source: str, state: dict | None, status: str) -> None:
    from store.models import Source

    fields = {"last_run_at": timezone.now(), "last_status": status[:200]}
    if state is not None:
        fields["state"] = state
    Source.objects.filter(name=source).update(**fields)


def run_status(reason: str, stats: dict, failed_pages: int, errors: int) -> tuple[bool, str]:
    """Summarise a finished run in one line; True when it succeeded (then its state may be saved).

    A run fails when the spider did not finish, a page failed, the spider raised, or every item it found was
    quarantined (a page whose layout changed under the selectors, a feed whose dates no longer parse).
    The first failure's reason ends the line.
    """
    stored = sum(int(stats.get(f"otklik/{k}", 0)) for k in ("new", "near_duplicate", "repeat"))
    bad_items = int(stats.get("otklik/quarantined", 0)) - failed_pages
    all_quarantined = stored == 0 and bad_items > 0
    ok = reason == "finished" and not failed_pages and not errors and not all_quarantined
    counts = (
        f"{stats.get('otklik/new', 0)} new, {stats.get('otklik/near_duplicate', 0)} copies, "
        f"{stats.get('otklik/repeat', 0)} known, {stats.get('otklik/quarantined', 0)} quarantined"
    ) + (f", {stats['otklik/media_only']} without words skipped" if stats.get("otklik/media_only") else "")
    if ok:
        warning = stats.get("otklik/warning")
        return True, f"ok: {counts}" + (f"; warning: {warning}" if warning else "")
    why = [reason] if reason != "finished" else []
    why += [f"{failed_pages} failed page(s)"] if failed_pages else []
    why += [f"{errors} spider error(s)"] if errors else []
    why += [f"all {bad_items} item(s) quarantined"] if all_quarantined and not failed_pages and not errors else []
    first = stats.get("otklik/fail_reason") or (stats.get("otklik/item_reason") if all_quarantined else "")
    return False, f"failed ({', '.join(why)}), state kept: {counts}" + (f"; {first}" if first else "")


class SourceStateExtension:
    """On close, store the spider's new state, unless the crawl failed (then the next run retries the window)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self._pending: set[asyncio.Future] = set()
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.spider_error, signal=signals.spider_error)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_error(self, failure, response, spider):
        """Count the error and quarantine the page with the exception.

        Scrapy sends spider_error synchronously and drops a returned coroutine unawaited (the quarantine row was
        never written), so the write runs as a task on the reactor's loop, awaited before the spider closes.
        """
        from store.services.ingest import quarantine

        spider.crawler.stats.inc_value("otklik/spider_errors")
        redact = getattr(spider, "redact", str)
        reason = redact(f"spider error: {failure.type.__name__}: {failure.getErrorMessage()}")[:500]
        if not spider.crawler.stats.get_value("otklik/fail_reason"):
            spider.crawler.stats.set_value("otklik/fail_reason", reason)
        text = redact(response.text[:2000]) if hasattr(response, "text") else ""
        url = redact(real_url(response) if response.request else response.url)
        write = sync_to_async(quarantine, thread_sensitive=True)(spider.source, url, reason, text)
        self._pending.add(asyncio.ensure_future(write))

    async def spider_closed(self, spider, reason):
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        stats = spider.crawler.stats.get_stats()
        ok, status = run_status(reason, stats, spider.failed_pages, int(stats.get("otklik/spider_errors", 0)))
        state = spider.new_state if ok else None
        spider.crawler.stats.set_value("otklik/ok", ok)
        spider.crawler.stats.set_value("otklik/status", status)
        spider.crawler.stats.set_value("otklik/state", state if ok else spider.state)
        await sync_to_async(_save_state, thread_sensitive=True)(spider.source, state, status)
