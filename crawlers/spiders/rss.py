"""RSS and Atom feeds (news and blog mentions), parsed with feedparser."""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone
from urllib.parse import urljoin

import feedparser
from scrapy.http import Response

from crawlers.parsing import html_to_text, parse_datetime
from crawlers.spiders.base import OtklikSpider
from store.services.validation import is_future


def _text(response: Response) -> str:
    return response.text if hasattr(response, "text") else response.body.decode("utf-8", "replace")


_CHARREF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")


def _valid_charrefs(body: bytes) -> bytes:
    """Replace character references no text can hold (NUL, surrogates, past U+10FFFF) with U+FFFD.

    feedparser's loose parser calls chr() on them and crashes on a surrogate: one such reference would lose
    the whole feed.
    """

    def fix(m: re.Match) -> bytes:
        code = int(m.group(1), 16) if m.group(1) else int(m.group(2))
        return b"&#xFFFD;" if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF else m.group(0)

    return _CHARREF.sub(fix, body)


FEED_STARTS = (b"<rss", b"<feed", b"<rdf:rdf")  # RSS 2.0, Atom, RSS 1.0
FEED_ENDS = (b"</rss>", b"</feed>", b"</rdf:rdf>")


class RssSpider(OtklikSpider):
    name = "rss"
    kind = "rss"

    def page_request(self, cursor: None, chain: dict):
        """A feed is one page: no cursor."""
        return self.request(self.config["url"], self.parse, chain=chain)

    def parse(self, response: Response):
        empty = self.empty_page(response)
        if empty:
            yield self.page_failed(response.url, empty)
            return
        head = response.body[:4096].lower()
        if any(tag in head for tag in FEED_STARTS):
            truncated = self.truncated_page(response, FEED_ENDS, "feed")
            if truncated:
                yield self.page_failed(response.url, truncated, _text(response)[-2000:])
                return
        headers = {"content-type": response.headers.get("Content-Type", b"").decode("latin-1")}
        try:
            feed = feedparser.parse(_valid_charrefs(response.body), response_headers=headers)
        except Exception as exc:  # noqa: BLE001 - a parser crash on hostile bytes is a failed page, not a lost run
            yield self.page_failed(response.url, f"malformed feed: {type(exc).__name__}: {exc}", _text(response)[:2000])
            return
        if feed.bozo and not feed.entries:
            yield self.page_failed(response.url, f"malformed feed: {feed.get('bozo_exception')}", _text(response)[:2000])
            return
        undated = _undated_date(feed.feed, response)
        feed_author = _author(feed.feed)  # Atom: an entry without an author has the feed's (RFC 4287 4.2.1)
        for entry in feed.entries:
            key = entry.get("id") or entry.get("link")
            if not key:
                yield self.quarantine(response.url, "feed entry without guid or link", str(entry)[:2000])
                continue
            posted, raw = _entry_date(entry), {}
            if posted is None and not (entry.get("published") or entry.get("updated")):
                # RSS 0.9x and small CMSs date no item: the feed's date, else when it was read (a date that is
                # there but unreadable is quarantined, as on every channel, so the parser can learn it)
                posted, raw["date_estimated"] = undated
            yield self.item(
                key,
                entry_text(entry),
                posted,
                response,
                title=html_to_text(entry.get("title", "")),
                author=_author(entry) or feed_author,
                url=entry_url(entry, response.url),
                raw=raw,
            )


def _entry_date(entry: dict) -> datetime | None:
    posted = parse_datetime(entry.get("published") or entry.get("updated"))
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if posted is None and parsed:
        posted = datetime(*parsed[:6], tzinfo=timezone.utc)
    return posted


def _undated_date(channel: dict, response: Response) -> tuple[datetime, str]:
    """The date an undated entry is given and how it was chosen: the feed's own date (`lastBuildDate`, `pubDate`,
    Atom `updated`) when it is not in the future, else when the feed was read (the server's `Date`, else now)."""
    fetched = parse_datetime(response.headers.get("Date", b"").decode("latin-1")) or datetime.now(timezone.utc)
    built = _entry_date(channel)
    return (built, "feed date") if built is not None and not is_future(built) else (fetched, "fetched")


def _author(node: dict) -> str:
    return html_to_text((node.get("author_detail") or {}).get("name") or node.get("author", ""))


FULL_TEXT_KEYS = ("yandex_full-text", "turbo_content")  # Yandex News' and Turbo pages' full article, escaped HTML


def entry_text(entry: dict) -> str:
    """The entry's full text (`content:encoded`, Atom content, `yandex:full-text`, `turbo:content`) when it says
    more than its summary (often a one-line teaser), else the summary."""
    summary = html_to_text(entry.get("summary", ""))
    full = [c.get("value", "") if "html" in (c.get("type") or "html") else _plain(c.get("value", ""))
            for c in entry.get("content") or [] if isinstance(c, dict)]
    full += [entry.get(k) or "" for k in FULL_TEXT_KEYS]
    longest = max((html_to_text(x) for x in full if isinstance(x, str)), key=len, default="")
    return longest if len(longest) > len(summary) else summary


def _plain(text: str) -> str:
    """Plain text as an HTML fragment that reads back as the same text."""
    return html.escape(text).replace("\n", "<br>")


def entry_url(entry: dict, feed_url: str) -> str:
    """The entry's web address: its link, else an alternate or related one (a path is read against the feed's
    address); a guid that is no address (`1001`) is none."""
    links = [entry.get("link")] + [x.get("href") for rel in ("alternate", "related")
                                   for x in entry.get("links") or [] if isinstance(x, dict) and x.get("rel") == rel]
    for link in links:
        if isinstance(link, str) and link.startswith("/"):
            link = urljoin(feed_url, link)
        if isinstance(link, str) and link.lower().startswith(("http://", "https://")):
            return link
    return ""
