"""RSS and Atom feeds (news and blog mentions), parsed with feedparser."""

from __future__ import annotations

from datetime import datetime, timezone

import feedparser
from scrapy.http import Response

from crawlers.parsing import html_to_text, parse_datetime
from crawlers.spiders.base import OtklikSpider


def _text(response: Response) -> str:
    return response.text if hasattr(response, "text") else response.body.decode("utf-8", "replace")


class RssSpider(OtklikSpider):
    name = "rss"
    kind = "rss"

    def page_request(self, cursor: None, chain: dict):
        """A feed is one page: no cursor."""
        return self.request(self.config["url"], self.parse, chain=chain)

    def parse(self, response: Response):
        feed = feedparser.parse(response.body, response_headers={"content-type": response.headers.get("Content-Type", b"").decode("latin-1")})
        if feed.bozo and not feed.entries:
            yield self.page_failed(response.url, f"malformed feed: {feed.get('bozo_exception')}", _text(response)[:2000])
            return
        for entry in feed.entries:
            key = entry.get("id") or entry.get("link")
            if not key:
                yield self.quarantine(response.url, "feed entry without guid or link", str(entry)[:2000])
                continue
            posted = parse_datetime(entry.get("published") or entry.get("updated"))
            if posted is None and entry.get("published_parsed"):
                posted = datetime(*entry["published_parsed"][:6], tzinfo=timezone.utc)
            yield self.item(
                key,
                html_to_text(entry.get("summary", "")),
                posted,
                response,
                title=html_to_text(entry.get("title", "")),
                author=entry.get("author", ""),
                url=entry.get("link", ""),
            )
