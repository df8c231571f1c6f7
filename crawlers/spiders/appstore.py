"""App Store customer reviews from the public RSS JSON feed (up to 10 pages of 50, newest first)."""

from __future__ import annotations

from scrapy.http import Response

from crawlers.parsing import parse_datetime, parse_rating
from crawlers.spiders.base import OtklikSpider

FEED_URL = "https://itunes.apple.com/{country}/rss/customerreviews/page={page}/id={app_id}/sortBy=mostRecent/json"


def _label(entry: dict, key: str) -> str:
    value = entry.get(key) or {}
    return str(value.get("label", "")) if isinstance(value, dict) else ""


class AppStoreSpider(OtklikSpider):
    name = "appstore"
    kind = "appstore"

    def start_url(self, page: int) -> str:
        return FEED_URL.format(country=self.config.get("country", "ru"), page=page, app_id=self.config["app_id"])

    async def start(self):
        yield self.request(self.start_url(1), self.parse, cb_kwargs={"page": 1})

    def parse(self, response: Response, page: int):
        try:
            feed = self.load_json(response)["feed"]
        except (ValueError, KeyError, TypeError) as exc:
            yield self.quarantine(response.url, str(exc) or "no feed object", response.text[:2000])
            return
        entries = feed.get("entry") or []
        if isinstance(entries, dict):  # a feed with one review has an object, not a list
            entries = [entries]
        dates = []
        for entry in entries:
            if "im:rating" not in entry:  # older feeds start with the app's own entry
                continue
            posted = parse_datetime(_label(entry, "updated"))
            dates.append(posted)
            author = (entry.get("author") or {}).get("name") or {}
            yield self.item(
                _label(entry, "id"),
                _label(entry, "content"),
                posted,
                response,
                title=_label(entry, "title"),
                author=str(author.get("label", "")),
                rating=parse_rating(_label(entry, "im:rating")),
                url=response.url.split("/sortBy")[0],
                raw={"version": _label(entry, "im:version"), "vote_sum": _label(entry, "im:voteSum")},
            )
        if entries and page < min(self.max_pages, 10) and not self.page_is_known(dates):
            yield self.request(self.start_url(page + 1), self.parse, cb_kwargs={"page": page + 1})
