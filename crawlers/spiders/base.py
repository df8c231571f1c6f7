"""Behaviour every Otklik spider shares: configuration, incremental watermarks, quarantine on failure."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawlers.items import MentionItem, QuarantineItem


class OtklikSpider(scrapy.Spider):
    """A spider bound to one configured source.

    `config` comes from the source's configuration, `state` from its last run. A spider
    records the newest item date it saw in `new_state["newest"]`; on the next run it stops
    paging once a whole page is at or before that watermark.
    """

    kind: str = ""

    def __init__(self, source: str, config: dict | str | None = None, state: dict | str | None = None, **kwargs: Any):
        super().__init__(name=self.name, **kwargs)
        self.source = source
        self.config: dict = json.loads(config) if isinstance(config, str) else dict(config or {})
        self.state: dict = json.loads(state) if isinstance(state, str) else dict(state or {})
        self.new_state: dict = dict(self.state)
        self.max_pages = int(self.config.get("max_pages", 10))

    # -- incremental crawling -------------------------------------------------------------
    @property
    def watermark(self) -> str | None:
        return self.state.get("newest")

    def note_seen(self, posted_at: datetime | None) -> None:
        if posted_at is None:
            return
        iso = posted_at.isoformat()
        current = self.new_state.get("newest")
        if current is None or datetime.fromisoformat(current) < posted_at:
            self.new_state["newest"] = iso

    def page_is_known(self, dates: Iterable[datetime | None]) -> bool:
        """True when every dated item on a page is at or before the last run's newest item."""
        if not self.watermark:
            return False
        mark = datetime.fromisoformat(self.watermark)
        dated = [d for d in dates if d is not None]
        return bool(dated) and all(d <= mark for d in dated)

    # -- requests and failures ------------------------------------------------------------
    def request(self, url: str, callback, **kwargs: Any) -> scrapy.Request:
        """Build a request whose failure (HTTP error after retries, DNS, timeout) is quarantined."""
        return scrapy.Request(url, callback=callback, errback=self.on_error, **kwargs)

    def on_error(self, failure: Failure):
        request = failure.request
        response = getattr(failure.value, "response", None)
        reason = f"HTTP {response.status}" if response is not None else f"{failure.type.__name__}: {failure.getErrorMessage()}"
        body = response.text[:2000] if response is not None and hasattr(response, "text") else ""
        yield self.quarantine(request.meta.get("snapshot_original_url", request.url), f"request failed: {reason}", body)

    def quarantine(self, url: str, reason: str, payload: str = "") -> QuarantineItem:
        self.crawler.stats.inc_value("otklik/quarantined_pages")
        return QuarantineItem(source=self.source, url=url, reason=reason, payload=payload)

    def item(self, external_id: str, text: str, posted_at: datetime | None, response: Response, **fields: Any) -> MentionItem:
        self.note_seen(posted_at)
        return MentionItem(
            source=self.source,
            external_id=str(external_id),
            text=text,
            posted_at=posted_at.isoformat() if posted_at else "",
            **fields,
        )

    def load_json(self, response: Response) -> Any:
        """Parse a JSON response or raise ValueError with a short reason."""
        try:
            return json.loads(response.text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError(f"malformed JSON: {exc}") from None
