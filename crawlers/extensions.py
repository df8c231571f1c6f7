"""Scrapy extensions: save each source's incremental state and record the run's outcome."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.utils import timezone
from scrapy import signals


def _save_state(source: str, state: dict, status: str) -> None:
    from store.models import Source

    Source.objects.filter(name=source).update(state=state, last_run_at=timezone.now(), last_status=status[:200])


class SourceStateExtension:
    """On close, store the spider's new watermark, unless the crawl failed (then the next run retries the window)."""

    def __init__(self, crawler):
        self.crawler = crawler
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.spider_error, signal=signals.spider_error)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_error(self, failure, response, spider):
        from store.services.ingest import quarantine

        spider.crawler.stats.inc_value("otklik/spider_errors")
        reason = f"spider error: {failure.type.__name__}: {failure.getErrorMessage()}"[:500]
        return sync_to_async(quarantine, thread_sensitive=True)(spider.source, response.url, reason, response.text[:2000])

    async def spider_closed(self, spider, reason):
        stats = spider.crawler.stats
        ok = reason == "finished" and not stats.get_value("otklik/spider_errors")
        state = spider.new_state if ok else spider.state
        status = f"{reason}: {stats.get_value('otklik/new', 0)} new, {stats.get_value('otklik/quarantined', 0)} quarantined"
        await sync_to_async(_save_state, thread_sensitive=True)(spider.source, state, status)
