"""Behaviour every Otklik spider shares: configuration, incremental state, paging chains, quarantine on failure.

Incremental state (Source.state, saved by crawlers.extensions.SourceStateExtension):

    {"newest": "2026-11-22T17:00:00+00:00",   # newest item date seen so far
     "newest_id": "chat/105",                 # that item's external id
     "resume": {"cursor": 95, "floor": null}} # an unfinished walk to continue next run

A run walks pages from the newest one (the *head* chain) and stops at the first page whose
dated items are all at or before the chain's floor (the last run's `newest`): everything
older is known. A chain that hits `max_pages` first leaves a *resume* cursor (the next page)
with its floor, and the next run walks on from there too, so a burst of new items or a long
backfill is fetched over several runs with nothing skipped. Cursors are the spiders' own
paging positions: the App Store page, Telegram's `before` id, VK's offset or `next_from`,
a review site's next-page URL. A run in which any page failed keeps the old state, so the
next run fetches the same window again (the store skips what it already has).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawlers.items import MentionItem, QuarantineItem
from crawlers.middlewares.snapshot import real_url
from crawlers.parsing import parse_datetime
from crawlers.redact import Redactor
from store.failpoints import failpoint
from store.services.validation import is_future

CHAIN = "otklik_chain"


def failure_reason(failure: Failure) -> str:
    """Why a request failed: the HTTP status it got after retries, else the error (DNS, timeout, robots.txt)."""
    response = getattr(failure.value, "response", None)
    if response is not None:
        return f"HTTP {response.status}"
    return f"{failure.type.__name__}: {failure.getErrorMessage()}"


def _earlier(a: str | None, b: str | None) -> str | None:
    """The lower of two floors; None (no floor: walk to the end) is the lowest."""
    if a is None or b is None:
        return None
    return min(a, b, key=datetime.fromisoformat)


class OtklikSpider(scrapy.Spider):
    """A spider bound to one configured source; subclasses implement `page_request` and `parse`."""

    kind: str = ""

    def __init__(self, source: str, config: dict | str | None = None, state: dict | str | None = None, **kwargs: Any):
        super().__init__(name=self.name, **kwargs)
        self.source = source
        self.config: dict = json.loads(config) if isinstance(config, str) else dict(config or {})
        self.state: dict = json.loads(state) if isinstance(state, str) else dict(state or {})
        self.max_pages = int(self.config.get("max_pages", 10))
        self.failed_pages = 0
        self._newest: tuple[datetime, str] | None = None
        if self.state.get("newest"):
            self._newest = (datetime.fromisoformat(self.state["newest"]), str(self.state.get("newest_id", "")))
        self._cuts: dict[str, dict] = {}
        self.redact = Redactor([self.config["token_env"]] if self.config.get("token_env") else [])
        self._chains_started: set[str] = set()

    def base_url(self, default: str) -> str:
        """The scheme and host of every request: the source's `base_url` (a proxy, a mirror, a test server) or
        the channel's real host."""
        return str(self.config.get("base_url") or default).rstrip("/")

    # -- paging chains --------------------------------------------------------------------
    def page_request(self, cursor: Any, chain: dict) -> scrapy.Request:
        """Build the request for the page at `cursor` (None: the newest page)."""
        raise NotImplementedError

    def head_floor(self) -> str | None:
        """Where the head chain stops: the newest known item, or the configured `since` date on a first run."""
        if self.state.get("newest"):
            return self.state["newest"]
        since = parse_datetime(str(self.config["since"])) if self.config.get("since") else None
        return since.isoformat() if since else None

    async def start(self):
        yield self.page_request(None, self._chain("head", self.head_floor()))
        resume = self.state.get("resume")
        if resume and resume.get("cursor") is not None:
            yield self.page_request(resume["cursor"], self._chain("resume", resume.get("floor")))

    def _chain(self, name: str, floor: str | None, page: int = 1) -> dict:
        self._chains_started.add(name)
        return {"name": name, "floor": floor, "page": page}

    def chain_of(self, response: Response) -> dict:
        return response.meta.get(CHAIN) or {"name": "head", "floor": self.head_floor(), "page": 1}

    def follow(self, response: Response, dates: Iterable[datetime | None], cursor: Any) -> Iterator[scrapy.Request]:
        """Yield the next page's request unless the chain ends here: no next page, known items, or max_pages."""
        chain = self.chain_of(response)
        if cursor is None or self.page_is_known(dates, chain["floor"]):
            return
        if chain["page"] >= self.max_pages:
            self._cuts[chain["name"]] = {"cursor": cursor, "floor": chain["floor"]}
            return
        yield self.page_request(cursor, {**chain, "page": chain["page"] + 1})

    @staticmethod
    def page_is_known(dates: Iterable[datetime | None], floor: str | None) -> bool:
        """True when every dated item on a page is at or before the floor (and at least one is dated)."""
        if not floor:
            return False
        mark = datetime.fromisoformat(floor)
        dated = [d for d in dates if d is not None]
        return bool(dated) and all(d <= mark for d in dated)

    # -- state ----------------------------------------------------------------------------
    @property
    def watermark(self) -> str | None:
        return self.state.get("newest")

    def note_seen(self, posted_at: datetime | None, external_id: str = "") -> None:
        """Move the watermark past a stored item (never past a quarantined one); a date in the future (a wrong
        clock, a hostile value) never does, or it would hide every later item behind it."""
        if is_future(posted_at):
            return
        if posted_at is not None and (self._newest is None or posted_at > self._newest[0]):
            self._newest = (posted_at, external_id)

    @property
    def crawl_ok(self) -> bool:
        return self.failed_pages == 0

    @property
    def new_state(self) -> dict:
        """The state to save after a successful run."""
        state = {k: v for k, v in self.state.items() if k not in ("newest", "newest_id", "resume")}
        if self._newest:
            state["newest"], state["newest_id"] = self._newest[0].isoformat(), self._newest[1]
        resume = self._cuts.get("resume")
        if resume is None and "resume" not in self._chains_started and self.state.get("resume"):
            resume = self.state["resume"]  # a resume the spider never walked (e.g. a kind without paging)
        head = self._cuts.get("head")
        if head:
            # One resume chain at most: walk from the head's cut down to the lower of the two floors.
            resume = {"cursor": head["cursor"], "floor": _earlier(head["floor"], resume["floor"]) if resume else head["floor"]}
        if resume:
            state["resume"] = resume
        return state

    # -- requests and failures ------------------------------------------------------------
    def request(self, url: str, callback, chain: dict | None = None, **kwargs: Any) -> scrapy.Request:
        """Build a request whose failure (HTTP error after retries, DNS, timeout, robots.txt) is quarantined."""
        meta = {**kwargs.pop("meta", {}), **({CHAIN: chain} if chain else {})}
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta, **kwargs)

    def on_error(self, failure: Failure):
        response = getattr(failure.value, "response", None)
        body = response.text[:2000] if response is not None and hasattr(response, "text") else ""
        yield self.page_failed(real_url(failure.request), f"request failed: {failure_reason(failure)}", body)

    def page_failed(self, url: str, reason: str, payload: str = "") -> QuarantineItem:
        """Quarantine a page that could not be fetched or parsed; the run's state will not advance."""
        url, reason = self.redact(url), self.redact(reason)
        self.failed_pages += 1
        self.crawler.stats.inc_value("otklik/failed_pages")
        if not self.crawler.stats.get_value("otklik/fail_reason"):
            self.crawler.stats.set_value("otklik/fail_reason", reason)
        return self.quarantine(url, reason, payload)

    def skip_media_only(self) -> None:
        """Count a post with media and no words: nothing to classify or answer, so neither stored nor quarantined."""
        self.crawler.stats.inc_value("otklik/media_only")

    def warn(self, message: str) -> None:
        """Note something an operator should check in a run that still succeeds (the first note ends its status)."""
        if not self.crawler.stats.get_value("otklik/warning"):
            self.crawler.stats.set_value("otklik/warning", self.redact(message))

    def quarantine(self, url: str, reason: str, payload: str = "") -> QuarantineItem:
        """Quarantine one record (the rest of the page goes on)."""
        url, reason, payload = self.redact(url), self.redact(reason), self.redact(payload)
        if not self.crawler.stats.get_value("otklik/item_reason"):
            self.crawler.stats.set_value("otklik/item_reason", reason)
        return QuarantineItem(source=self.source, url=url, reason=reason, payload=payload)

    def item(self, external_id: str, text: str, posted_at: datetime | None, response: Response | None,
             **fields: Any) -> MentionItem:
        """One mention; the watermark moves when the store has it (crawlers.pipelines.store calls note_seen)."""
        failpoint("spider.item")
        if fields.get("url"):
            fields["url"] = self.redact(fields["url"])
        return MentionItem(
            source=self.source,
            external_id=str(external_id),
            text=text,
            posted_at=posted_at.isoformat() if posted_at else "",
            **fields,
        )

    @staticmethod
    def empty_page(response: Response) -> str | None:
        """Why a page holds nothing at all (an empty 200 body), or None."""
        if not response.body.strip():
            return f"empty response (HTTP {response.status}, {len(response.body)} bytes)"
        return None

    @staticmethod
    def truncated_page(response: Response, closing: tuple[bytes, ...] = (b"</html>",), what: str = "page") -> str | None:
        """Why a page that looks right cannot be trusted whole, or None: it is cut off before its closing tag
        (a dropped connection, a size limit). Items from such a page are not stored; the run fails."""
        if any(tag in response.body[-4096:].lower() for tag in closing):
            return None
        ends = " or ".join(t.decode() for t in closing)
        return f"truncated {what}: ends without {ends} ({len(response.body)} bytes)"

    def load_json(self, response: Response) -> Any:
        """Parse a JSON response or raise ValueError with a short reason."""
        try:
            return json.loads(response.text)
        except (ValueError, UnicodeDecodeError, AttributeError) as exc:
            raise ValueError(f"malformed JSON: {exc}") from None
