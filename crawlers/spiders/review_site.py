"""Review sites: one generic spider driven by a per-site config in crawlers/sites.yaml (no code per site).

HTML listings use selectors: CSS, where a value ending in `::attr(x)` or `::text` works as in
Scrapy, `::html` keeps the element's HTML for conversion to text, and a value starting with
`xpath:` is an XPath expression; a list of selectors means "the first that matches".
Sites that ship their reviews as JSON inside the page (2GIS) name the script variable
(`embedded_json`) and give dotted paths instead of selectors (`items: data.review.*.data`).
Encodings (e.g. windows-1251) come from the page's headers and meta tags, which Scrapy honours.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from parsel import Selector
from scrapy.http import Response
from twisted.python.failure import Failure

from crawlers.parsing import decode_entities, html_to_text, parse_datetime, parse_score, rating_from_score
from crawlers.items import MentionItem
from crawlers.middlewares.snapshot import real_url
from crawlers.sites import SITES_FILE, embedded_json, json_values, load_sites, site_problem
from crawlers.spiders.base import OtklikSpider, failure_reason

FIELDS = ("id", "text", "author", "rating", "date", "title", "url")
SINGLE = {"id", "rating", "date", "url", "next_page", "author", "total"}
_COUNT = re.compile(r"[0-9]{1,9}")  # a review count as a site writes it, spaces removed ("1 234")
_CAPTCHA_NODES = "form[class*=captcha], input[name*=captcha], img[src*=captcha], .smart-captcha, #captcha"
_CAPTCHA_TITLE = re.compile(r"робот|captcha|капч|are you (?:a )?human|access denied|доступ ограничен", re.IGNORECASE)


UNREAD = object()  # a page whose embedded JSON the caller has not read yet
_HIDDEN = "ancestor-or-self::*[@hidden or contains(translate(@style, ' ', ''), 'display:none')]"


def block_reason(page: Selector) -> str | None:
    """Why a page without reviews is a wall rather than an empty listing: a captcha or bot check (a captcha field
    hidden in a login pop-up of an ordinary page is none)."""
    title = " ".join(page.css("title::text").getall()).strip()
    shown = [node for node in page.css(_CAPTCHA_NODES) if not node.xpath(_HIDDEN)]
    if shown or _CAPTCHA_TITLE.search(title):
        return f"blocked by a captcha or bot check (page title {title[:80]!r})"
    return None


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
        problem = site_problem(base)
        if problem:
            raise ValueError(f"review site config for {self.source!r} {problem}")
        self.selectors = base

    def page_request(self, cursor: str | None, chain: dict):
        """The cursor is the next page's URL."""
        return self.request(cursor or self.config["start_url"], self.parse, chain=chain)

    # -- extraction (also used by `otklik sources check`) ----------------------------------
    def select(self, node, key: str) -> str:
        """The value of selector `key` in `node` ("" when it is not configured or matches nothing)."""
        sels = self.selectors.get(key)
        for sel in [sels] if isinstance(sels, str) else sels or []:
            # One value for keys naming one thing (the first: a nested review's id is not this one's).
            value = self.select_one(node, sel, single=key in SINGLE)
            if value:
                return value
        return ""

    @staticmethod
    def select_one(node, sel: str, single: bool) -> str:
        """One selector's value in `node`: `::html` the first match's HTML, `xpath:` XPath, else CSS; the first
        match when `single`, else every match joined by spaces."""
        if sel.endswith("::html"):
            return node.css(sel[: -len("::html")]).get("") or ""
        found = node.xpath(sel[len("xpath:"):]) if sel.startswith("xpath:") else node.css(sel)
        values = [v.strip() for v in found.getall() if v.strip()]
        return (values[0] if values else "") if single else " ".join(values)

    def page_json(self, page: Selector) -> Any | None:
        """The JSON the page assigns to the site's `embedded_json` variable (None: none, or not a JSON site)."""
        var = self.selectors.get("embedded_json")
        return embedded_json(page.get(), var) if var else None

    def records(self, page: Selector, data: Any = UNREAD) -> list[dict[str, str]]:
        """Every review on a page as raw field strings (the HTML of `::html` fields still HTML); `data`: the page's
        JSON when the caller has read it (`page_json`)."""
        if "embedded_json" in self.selectors:
            data = self.page_json(page) if data is UNREAD else data
            if data is None:
                return []
            out = []
            for node in json_values(data, self.selectors["items"]):
                if isinstance(node, dict):
                    rec = {k: _scalar(json_values(node, self.selectors[k])) for k in FIELDS if self.selectors.get(k)}
                    out.append(rec | {"_plain": "1"})
            return out
        return [{k: self.select(node, k) for k in FIELDS} | {"_html": node.get(), "_more": self.more_text(node)}
                for node in self.item_nodes(page)]

    def more_text(self, node) -> str:
        """Each `text_more` selector's value (pros, cons…) as a paragraph of HTML, to follow the text."""
        sels = self.selectors.get("text_more") or []
        values = [self.select_one(node, sel, single=True) for sel in ([sels] if isinstance(sels, str) else sels)]
        return "".join(f"<p>{v}</p>" for v in values if v)

    def no_reviews_reason(self, page: Selector, data: Any = UNREAD) -> str:
        """Why a page gave no review: the selector that matched nothing, or what the embedded JSON lacked."""
        var = self.selectors.get("embedded_json")
        if not var:
            return "no review items matched the site's item selector"
        if (self.page_json(page) if data is UNREAD else data) is None:
            return f"the page assigns no JSON to {var!r} (a changed layout, or not the site's page)"
        return f"no reviews under {self.selectors['items']!r} in the page's {var!r} JSON"

    def warn_when_partial(self, page: Selector, found: int, data: Any = UNREAD) -> None:
        """Warn when the page says the site holds more reviews than it shows and there is no next page to read."""
        if "total" not in self.selectors or self.select(page, "next_page"):
            return
        data = self.page_json(page) if data is UNREAD else data
        total = _scalar(json_values(data, self.selectors["total"])) if data is not None else self.select(page, "total")
        total = re.sub(r"[\s\u00a0\u202f]", "", total)
        if _COUNT.fullmatch(total) and int(total) > found:
            self.warn(f"the page shows {found} of {total} reviews and links no next page: the rest are not read")

    def item_nodes(self, page: Selector):
        """The review nodes: those of the first `item` selector that matches any."""
        sels = self.selectors["item"]
        for sel in [sels] if isinstance(sels, str) else sels:
            nodes = page.xpath(sel[len("xpath:"):]) if sel.startswith("xpath:") else page.css(sel)
            if nodes:
                return nodes
        return []

    def fields(self, record: dict[str, str], base_url: str) -> dict[str, Any]:
        """A record's stored fields: the id through id_pattern (None when missing), text, date, rating…"""
        m = re.search(self.selectors.get("id_pattern", r"(.+)"), record.get("id") or "")
        score = parse_score(record.get("rating"))
        url = record.get("url")
        text = (lambda v: decode_entities(v).strip()) if record.get("_plain") else html_to_text
        body = text(record.get("text"))
        return {
            "id": m.group(1) if m else None,
            "text": "\n\n".join(t for t in (body, html_to_text(record.get("_more"))) if t),
            "preview": self.preview_words(body),
            "posted_at": parse_datetime(record.get("date")),
            "title": text(record.get("title")),
            "author": text(record.get("author")),
            "rating": rating_from_score(score),
            "score": score,
            "url": urljoin(base_url, url) if url else base_url,
        }

    def preview_words(self, body: str) -> str:
        """The words of a listing's cut preview without the site's `preview_end` mark; "" when the text is whole."""
        end = self.selectors.get("preview_end")
        marks = tuple(end) if isinstance(end, list) else (end,) if end else ()
        text = body.rstrip()
        for mark in marks:
            if text.endswith(mark):
                return text[: -len(mark)].rstrip()
        return ""

    def wants_full_text(self, f: dict[str, Any], listing: str, floor: str | None) -> bool:
        """Fetch a review's own page for its whole text: the listing shows a preview, the site says where the
        whole text is (`full_text`), the page is on the listing's host, and the review is not known yet: newer
        than the chain's floor, or as old but not the newest stored (day-only dates tie; reading known reviews'
        pages on every run would be impolite)."""
        url, home = urlsplit(f["url"] or ""), urlsplit(listing)
        if not (f["preview"] and self.selectors.get("full_text") and f["url"] != listing
                and url.scheme in ("http", "https") and url.hostname and _site(url.hostname) == _site(home.hostname)):
            return False
        if floor is None:
            return True
        posted, mark = f["posted_at"], datetime.fromisoformat(floor)
        return posted is not None and (posted > mark or (posted == mark and f["id"] != self.state.get("newest_id")))

    def full_text_request(self, f: dict[str, Any], more: str, listing: str) -> scrapy.Request:
        """The request for a review's own page; whatever it gives, the review is stored (`parse_review_page`)."""
        return scrapy.Request(f["url"], callback=self.parse_review_page, errback=self.review_page_failed,
                              cb_kwargs={"found": f, "more": more, "listing": listing}, dont_filter=True)

    def review_page_text(self, response: Response) -> tuple[str, str]:
        """The whole text `full_text` finds on a review's own page, or ("", why there is none): a page cut
        before `</html>`, a captcha wall, selectors that match nothing (also `otklik sources check --review-file`)."""
        if not hasattr(response, "css"):
            return "", "not an HTML page"
        cut = self.truncated_page(response)
        body = "" if cut else html_to_text(self.select(response.selector, "full_text"))
        if body:
            return body, ""
        return "", cut or block_reason(response.selector) or f"no text under full_text {self.selectors['full_text']!r}"

    def parse_review_page(self, response: Response, found: dict[str, Any], more: str, listing: str):
        """The review with the whole text of its own page, or the listing's preview when the page shows none."""
        body, why = self.review_page_text(response)
        if not body:
            yield from self.preview_item(found, listing, f"{real_url(response)}: {why}")
            return
        yield self.review_item(found, "\n\n".join(t for t in (body, more) if t), {})

    def review_page_failed(self, failure: Failure):
        """A review page that could not be fetched: the review is stored with the listing's preview."""
        kw = failure.request.cb_kwargs
        why = f"{real_url(failure.request)}: {failure_reason(failure)}"
        yield from self.preview_item(kw["found"], kw["listing"], why)

    def preview_item(self, f: dict[str, Any], listing: str, why: str):
        """The review with its listing's preview (nothing lost); the run's status says the whole text was not read."""
        self.warn(f"a review's own page gave no text ({why}): stored the listing's preview")
        yield self.review_item(f, f["text"], self.preview_raw(f, listing))

    @staticmethod
    def preview_raw(f: dict[str, Any], listing: str | None = None) -> dict[str, Any]:
        """raw of a review stored with its listing's preview: the flag, the preview's own words (the store tells a
        repeat from an edit by them) and, when its own page failed, the listing it came from."""
        return {"preview": True, "preview_words": f["preview"], **({"listing": listing} if listing else {})}

    def review_item(self, f: dict[str, Any], text: str, raw: dict[str, Any]) -> MentionItem:
        """The stored review of fields `f` with `text` (raw.score keeps a rating's decimals)."""
        if f["score"] is not None and f["score"] != f["rating"]:
            raw = {**raw, "score": f["score"]}
        return self.item(f["id"], text, f["posted_at"], None, title=f["title"], author=f["author"],
                         rating=f["rating"], url=f["url"], raw=raw)

    # -- crawling -------------------------------------------------------------------------
    def parse(self, response: Response):
        if not hasattr(response, "css"):
            yield self.page_failed(response.url, "not an HTML page", "")
            return
        empty = self.empty_page(response)
        if empty:
            yield self.page_failed(response.url, empty)
            return
        data = self.page_json(response.selector)  # read once: a 2GIS page carries ~0.5 MB of it
        records = self.records(response.selector, data)
        first_page = self.chain_of(response)["page"] == 1
        if not records and first_page:
            reason = block_reason(response.selector) or self.no_reviews_reason(response.selector, data)
            yield self.page_failed(response.url, reason, response.text[:2000])
            return
        if first_page:
            self.warn_when_partial(response.selector, len(records), data)
        truncated = self.truncated_page(response) if records and b"<html" in response.body[:4096].lower() else None
        if truncated:
            yield self.page_failed(response.url, truncated, response.text[-2000:])
            return
        dates, floor, listing = [], self.chain_of(response)["floor"], real_url(response)
        for record in records:
            f = self.fields(record, response.url)
            if not f["id"]:
                yield self.quarantine(response.url, "review without an id", str(record.get("_html", record))[:2000])
                continue
            dates.append(f["posted_at"])
            if not self.wants_full_text(f, listing, floor):
                yield self.review_item(f, f["text"], self.preview_raw(f) if f["preview"] else {})
                continue
            try:
                yield self.full_text_request(f, html_to_text(record.get("_more")), listing)
            except ValueError as exc:  # an address Scrapy cannot request: keep the preview
                yield from self.preview_item(f, listing, f"{f['url'][:200]}: {exc}")
        nxt = self.select(response, "next_page") if "next_page" in self.selectors else ""
        yield from self.follow(response, dates, response.urljoin(nxt.split()[0]) if nxt and records else None)


def _scalar(values: list) -> str:
    """The first usable JSON value of a path as text."""
    for v in values:
        if isinstance(v, (str, int, float)) and not isinstance(v, bool) and str(v).strip():
            return str(v)
    return ""


def _site(host: str | None) -> str:
    """A host without its `www.`: a review page on www.example.ru belongs to a listing on example.ru."""
    return (host or "").removeprefix("www.")
