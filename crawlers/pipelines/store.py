"""Hand items to the store: validate, tag language, insert or link as duplicate, quarantine the rest."""

from __future__ import annotations

from dataclasses import asdict

from asgiref.sync import sync_to_async
from django.db import DatabaseError

from crawlers.items import MentionItem, QuarantineItem
from crawlers.language import detect_language
from crawlers.parsing import parse_datetime
from otklik.failpoints import failpoint


def _store(item: MentionItem | QuarantineItem) -> str:
    from store.services.ingest import InvalidItem, MentionInput, ingest, quarantine

    if isinstance(item, QuarantineItem):
        quarantine(item.source, item.url, item.reason, item.payload)
        return "quarantined"
    try:
        data = MentionInput(**{**asdict(item), "posted_at": parse_datetime(item.posted_at)})
        data.lang = detect_language(f"{item.title} {item.text}")
        result, _ = ingest(data)
    except InvalidItem as exc:
        quarantine(item.source, item.url, f"invalid item {item.external_id!r:.80}: {exc}", str(asdict(item))[:4000])
        return "quarantined"
    except DatabaseError:
        raise  # the database, not the item: the run fails and keeps its state (see StorePipeline)
    except Exception as exc:  # noqa: BLE001 - hostile content must end in quarantine, never vanish
        reason = f"unstorable item {item.external_id!r:.80}: {type(exc).__name__}: {exc}"
        quarantine(item.source, item.url, reason, str(asdict(item))[:4000])
        return "quarantined"
    return result.value


class StorePipeline:
    """Write each item through store.services.ingest; count outcomes in the crawl stats."""

    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    async def process_item(self, item):
        # The ORM is synchronous; run it off the reactor's event loop.
        try:
            outcome = await sync_to_async(_store, thread_sensitive=True)(item)
        except DatabaseError:
            # Count it as a spider error, so the source's state is kept and the next run fetches the item again.
            self.stats.inc_value("otklik/spider_errors")
            raise
        self.stats.inc_value(f"otklik/{outcome}")
        failpoint("crawl.item")
        return item
