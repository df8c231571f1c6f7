"""Hand items to the store in batches: validate, tag language, insert or link as duplicate, quarantine the rest.

Items are buffered per spider and written with store.services.bulk_ingest.ingest_many (a handful
of queries per batch instead of several per item) when BATCH_SIZE items are waiting, when the
oldest waited FLUSH_SECONDS, and when the spider closes, before the source's state is saved
(crawlers.extensions), so a run's state never advances past items that were not stored.
"""

from __future__ import annotations

import time
from dataclasses import asdict

from asgiref.sync import sync_to_async
from django.db import DatabaseError

from crawlers.items import MentionItem, QuarantineItem
from crawlers.language import detect_language
from crawlers.parsing import parse_datetime
from crawlers.redact import Redactor
from store.failpoints import failpoint

BATCH_SIZE = 200
FLUSH_SECONDS = 2.0


def _prepare(item: MentionItem):
    from store.services.ingest import MentionInput

    data = MentionInput(**{**asdict(item), "posted_at": parse_datetime(item.posted_at)})
    data.lang = detect_language(f"{item.title} {item.text}")
    return data


def _ingest_one(data):
    """`ingest()` one item; return its outcome, or the exception that makes it unstorable."""
    from store.services.ingest import ingest

    try:
        return ingest(data)
    except DatabaseError:
        raise
    except Exception as exc:  # noqa: BLE001 - InvalidItem or hostile content: quarantined by the caller
        return exc


def _quarantine_failed(item: MentionItem, exc: Exception) -> str:
    from store.services.ingest import InvalidItem, quarantine

    if isinstance(exc, InvalidItem):
        reason = f"invalid item {item.external_id!r:.80}: {exc}"
    else:
        reason = f"unstorable item {item.external_id!r:.80}: {type(exc).__name__}: {exc}"
    redact = Redactor()
    reason = redact(reason)
    quarantine(item.source, redact(item.url), reason, redact(str(asdict(item))[:4000]))
    return reason


def _store(items: list[MentionItem | QuarantineItem], reasons: dict[int, str] | None = None) -> list[str]:
    """Store a batch in order; return each item's outcome (new, near_duplicate, repeat, quarantined), and put
    the quarantine reason of each quarantined item into `reasons` (by index) when given.

    Hostile content must end in quarantine, never vanish: an item that cannot even be prepared is quarantined
    on its own; if one breaks the bulk write, the batch is redone item by item so only that item is quarantined.
    A database error is the database, not the items: it propagates, the run fails and keeps its state.
    """
    from store.services.bulk_ingest import ingest_many
    from store.services.ingest import quarantine

    outcomes: list[str] = [""] * len(items)
    reasons = {} if reasons is None else reasons
    inputs: list[tuple[int, object]] = []
    for i, item in enumerate(items):
        if isinstance(item, QuarantineItem):
            quarantine(item.source, item.url, item.reason, item.payload)
            outcomes[i], reasons[i] = "quarantined", item.reason
            continue
        try:
            inputs.append((i, _prepare(item)))
        except DatabaseError:
            raise
        except Exception as exc:  # noqa: BLE001
            reasons[i] = _quarantine_failed(item, exc)
            outcomes[i] = "quarantined"
    try:
        results = ingest_many([d for _, d in inputs])
    except DatabaseError:
        raise
    except Exception:  # noqa: BLE001 - one item broke the batch's transaction: redo them one by one
        results = [_ingest_one(d) for _, d in inputs]
    for (i, _), result in zip(inputs, results):
        if isinstance(result, Exception):
            reasons[i] = _quarantine_failed(items[i], result)
            outcomes[i] = "quarantined"
        else:
            outcomes[i] = result[0].value
    return outcomes


class StorePipeline:
    """Write items through store.services.bulk_ingest in batches; count outcomes in the crawl stats."""

    def __init__(self, stats, batch_size: int = BATCH_SIZE, flush_seconds: float = FLUSH_SECONDS, crawler=None):
        self.stats = stats
        self.crawler = crawler
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.buffer: list[MentionItem | QuarantineItem] = []
        self.oldest = 0.0

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        return cls(crawler.stats, s.getint("OTKLIK_STORE_BATCH", BATCH_SIZE),
                   s.getfloat("OTKLIK_STORE_FLUSH_SECONDS", FLUSH_SECONDS), crawler=crawler)

    async def process_item(self, item):
        if not self.buffer:
            self.oldest = time.monotonic()
        self.buffer.append(item)
        failpoint("crawl.item")
        if len(self.buffer) >= self.batch_size or time.monotonic() - self.oldest >= self.flush_seconds:
            await self.flush()
        return item

    async def flush(self) -> None:
        # Take the buffer before awaiting: items arriving meanwhile start the next batch. The ORM is
        # synchronous and thread_sensitive runs every batch on one thread, in the order they were taken.
        batch, self.buffer = self.buffer, []
        if not batch:
            return
        reasons: dict[int, str] = {}
        try:
            outcomes = await sync_to_async(_store, thread_sensitive=True)(batch, reasons)
        except DatabaseError:
            # Count it as a spider error, so the source's state is kept and the next run fetches the items again.
            self.stats.inc_value("otklik/spider_errors")
            raise
        spider = getattr(self.crawler, "spider", None)
        for i, (item, outcome) in enumerate(zip(batch, outcomes)):
            self.stats.inc_value(f"otklik/{outcome}")
            if outcome != "quarantined" and isinstance(item, MentionItem) and hasattr(spider, "note_seen"):
                spider.note_seen(parse_datetime(item.posted_at), item.external_id)  # the state follows the store
            elif i in reasons and not isinstance(item, QuarantineItem) and not self.stats.get_value("otklik/item_reason"):
                self.stats.set_value("otklik/item_reason", reasons[i])

    async def close_spider(self):
        await self.flush()
