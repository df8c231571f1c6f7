"""App Store customer reviews from the public RSS JSON feed (up to 10 pages of 50, newest first)."""

from __future__ import annotations

from scrapy.http import Response

from crawlers.parsing import parse_datetime, parse_rating
from crawlers.spiders.base import OtklikSpider

LAST_PAGE = 10  # the feed serves at most 10 pages of 50 reviews
FEED_URL = "https://itunes.apple.com/{country}/rss/customerreviews/page={page}/id={app_id}/sortBy=mostRecent/json"


def _label(entry: dict, key: str) -> str:
    """The feed's {"key": {"label": "…"}}; anything else (null, a list, a nested object) counts as missing."""
    value = entry.get(key)
    label = value.get("label") if isinstance(value, dict) else None
    return str(label) if isinstance(label, (str, int, float)) and not isinstance(label, bool) else ""


class AppStoreSpider(OtklikSpider):
    name = "appstore"
    kind = "appstore"

    def start_url(self, page: int) -> str:
        return FEED_URL.format(country=self.config.get("country", "ru"), page=page, app_id=self.config["app_id"])

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
        entries = feed.get("entry") or []
        if isinstance(entries, dict):  # a feed with one review has an object, not a list
            entries = [entries]
        dates = []
        for entry in entries:
            if not isinstance(entry, dict) or "im:rating" not in entry:  # older feeds start with the app's own entry
                continue
            posted = parse_datetime(_label(entry, "updated"))
            dates.append(posted)
            author = entry.get("author")
            yield self.item(
                _label(entry, "id"),
                _label(entry, "content"),
                posted,
                response,
                title=_label(entry, "title"),
                author=_label(author, "name") if isinstance(author, dict) else "",
                rating=parse_rating(_label(entry, "im:rating")),
                url=response.url.split("/sortBy")[0],
                raw={"version": _label(entry, "im:version"), "vote_sum": _label(entry, "im:voteSum")},
            )
        yield from self.follow(response, dates, page + 1 if entries and page < LAST_PAGE else None)
