"""Review sites (otzovik-style listings): one generic spider driven by a per-site selector config.

A new site is an entry in crawlers/sites.yaml, not code. Selectors are CSS; a value ending
in `::attr(x)` or `::text` works as in Scrapy, `::html` keeps the element's HTML for
conversion to text, and a value starting with `xpath:` is an XPath expression. Encodings (e.g. windows-1251) come from the
page's headers and meta tags, which Scrapy honours.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml
from scrapy.http import Response

from crawlers.parsing import html_to_text, parse_datetime, parse_rating
from crawlers.spiders.base import OtklikSpider

SITES_FILE = Path(__file__).resolve().parent.parent / "sites.yaml"


@lru_cache(maxsize=4)
def load_sites(path: str = str(SITES_FILE)) -> dict[str, dict]:
    return (yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}).get("sites", {})


class ReviewSiteSpider(OtklikSpider):
    name = "review_site"
    kind = "review_site"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        site = self.config.get("site")
        base = dict(load_sites().get(site, {})) if site else {}
        if site and not base:
            raise ValueError(f"unknown review site {site!r}: add it to {SITES_FILE}")
        base.update(self.config.get("selectors", {}))
        self.selectors = base
        for key in ("item", "id", "text"):
            if key not in self.selectors:
                raise ValueError(f"review site config for {self.source!r} lacks the {key!r} selector")

    def page_request(self, cursor: str | None, chain: dict):
        """The cursor is the next page's URL."""
        return self.request(cursor or self.config["start_url"], self.parse, chain=chain)

    def _one(self, node, key: str) -> str:
        sel = self.selectors.get(key)
        if not sel:
            return ""
        if sel.startswith("xpath:"):
            return " ".join(v.strip() for v in node.xpath(sel[len("xpath:") :]).getall() if v.strip())
        if sel.endswith("::html"):
            return node.css(sel[: -len("::html")]).get("") or ""
        return " ".join(v.strip() for v in node.css(sel).getall() if v.strip())

    def parse(self, response: Response):
        if not hasattr(response, "css"):
            yield self.page_failed(response.url, "not an HTML page", "")
            return
        nodes = response.css(self.selectors["item"])
        if not nodes and self.chain_of(response)["page"] == 1:
            yield self.page_failed(response.url, "no review items matched the site's item selector", response.text[:2000])
            return
        dates = []
        id_pattern = re.compile(self.selectors.get("id_pattern", r"(.+)"))
        for node in nodes:
            raw_id = self._one(node, "id")
            m = id_pattern.search(raw_id or "")
            if not m:
                yield self.quarantine(response.url, "review without an id", node.get()[:2000])
                continue
            posted = parse_datetime(self._one(node, "date"))
            dates.append(posted)
            url = self._one(node, "url")
            yield self.item(
                m.group(1),
                html_to_text(self._one(node, "text")),
                posted,
                response,
                title=html_to_text(self._one(node, "title")),
                author=self._one(node, "author"),
                rating=parse_rating(self._one(node, "rating")),
                url=response.urljoin(url) if url else response.url,
            )
        nxt = self._one(response, "next_page")
        yield from self.follow(response, dates, response.urljoin(nxt.split()[0]) if nxt and nodes else None)
