"""RSS and Atom feeds (news and blog mentions), parsed with feedparser."""

from __future__ import annotations

import feedparser
from scrapy.http import Response

from crawlers.parsing import html_to_text, parse_datetime
from crawlers.spiders.base import OtklikSpider


class RssSpider(OtklikSpider):
    name = "rss"
    kind = "rss"

    async def start(self):
        yield self.request(self.config["url"], self.parse)

    def parse(self, response: Response):
        feed = feedparser.parse(response.body)
        if feed.bozo and not feed.entries:
            yield self.quarantine(response.url, f"malformed feed: {feed.get('bozo_exception')}", response.text[:2000])
            return
        for entry in feed.entries:
            key = entry.get("id") or entry.get("link")
            if not key:
                yield self.quarantine(response.url, "feed entry without guid or link", str(entry)[:2000])
                continue
            posted = parse_datetime(entry.get("published") or entry.get("updated"))
            yield self.item(
                key,
                html_to_text(entry.get("summary", "")),
                posted,
                response,
                title=html_to_text(entry.get("title", "")),
                author=entry.get("author", ""),
                url=entry.get("link", ""),
            )
