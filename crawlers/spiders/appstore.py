"""App Store customer reviews from the public RSS JSON feed (up to 10 pages of 50, newest first)."""

from __future__ import annotations

import re

from scrapy.http import Response

from crawlers.parsing import parse_datetime, parse_score, rating_from_score
from crawlers.spiders.base import OtklikSpider

LAST_PAGE = 10  # the feed serves at most 10 pages of 50 reviews
HOST = "https://itunes.apple.com"
FEED_PATH = "/{country}/rss/customerreviews/page={page}/id={app_id}/sortBy=mostRecent/json"
_PAGE = re.compile(r"/page=(\d+)/")
_REVIEWER = re.compile(r"/reviews/id(\d+)")


def _label(entry: dict, key: str) -> str:
    """The feed's {"key": {"label": "…"}}; anything else (null, a list, a nested object) counts as missing."""
    value = entry.get(key)
    label = value.get("label") if isinstance(value, dict) else None
    return str(label) if isinstance(label, (str, int, float)) and not isinstance(label, bool) else ""


def _links(node: dict) -> dict[str, str]:
    """The feed's or an entry's links by rel ({"attributes": {"rel": "next", "href": "…"}}, one or a list)."""
    links = node.get("link")
    links = [links] if isinstance(links, dict) else links if isinstance(links, list) else []
    out = {}
    for link in links:
        attrs = link.get("attributes") if isinstance(link, dict) else None
        if isinstance(attrs, dict) and isinstance(attrs.get("href"), str):
            out.setdefault(str(attrs.get("rel", "")), attrs["href"])
    return out


def last_page(feed: dict) -> int:
    """The feed's own last page (its rel=last link), capped at the feed's depth limit of 10."""
    m = _PAGE.search(_links(feed).get("last", ""))
    return min(int(m.group(1)), LAST_PAGE) if m else LAST_PAGE


class AppStoreSpider(OtklikSpider):
    name = "appstore"
    kind = "appstore"

    def start_url(self, page: int) -> str:
        path = FEED_PATH.format(country=self.config.get("country", "ru"), page=page, app_id=self.config["app_id"])
        return self.base_url(HOST) + path

    def page_request(self, cursor: int | None, chain: dict):
        """The cursor is the feed's page number (1..10)."""
        page = int(cursor or 1)
        return self.request(self.start_url(page), self.parse, chain=chain, cb_kwargs={"page": page})

    def parse(self, response: Response, page: int):
        try:
            feed = self.load_json(response)["feed"]
            if not isinstance(feed, dict):
                raise TypeError("feed is not an object")
        except (ValueError, KeyError, TypeError) as exc:
            yield self.page_failed(response.url, f"malformed feed: {exc}", response.text[:2000])
            return
        if page == 1 and "entry" not in feed:
            # Apple's answer for an app without reviews in this storefront, and for an unknown app id or country
            self.warn("no reviews in the feed (an app without reviews here, or a wrong app_id or country)")
        entries = feed.get("entry") or []
        if isinstance(entries, dict):  # a feed with one review has an object, not a list
            entries = [entries]
        # Older feeds (2020-2021, the ru storefront still) carry no per-review date: the review takes the
        # feed's own `updated` (when the feed was generated, so at or after the review), marked as estimated.
        feed_updated = parse_datetime(_label(feed, "updated"))
        dates = []
        for entry in entries:
            if not isinstance(entry, dict) or "im:rating" not in entry:  # older feeds start with the app's own entry
                continue
            posted = parse_datetime(_label(entry, "updated"))
            raw = {"version": _label(entry, "im:version"), "vote_sum": _label(entry, "im:voteSum")}
            author = entry.get("author")
            reviewer = _REVIEWER.search(_label(author, "uri")) if isinstance(author, dict) else None
            if reviewer:
                raw["author_id"] = reviewer.group(1)  # the reviewer's Apple id: one customer's reviews of the app
            if posted is None and feed_updated is not None and not _label(entry, "updated"):
                posted, raw["date_estimated"] = feed_updated, "feed updated"
            dates.append(posted)
            score = parse_score(_label(entry, "im:rating"))
            yield self.item(
                _label(entry, "id"),
                _label(entry, "content"),
                posted,
                response,
                title=_label(entry, "title"),
                author=_label(author, "name") if isinstance(author, dict) else "",
                rating=rating_from_score(score),
                url=_links(entry).get("related") or response.url.split("/sortBy")[0],
                raw=raw,
            )
        more = entries and page < last_page(feed)
        yield from self.follow(response, dates, page + 1 if more else None)
