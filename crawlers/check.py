"""`otklik sources check`: a dry run of a review-site config over one page (a file or a URL), storing nothing.

It says how many reviews the selectors find, shows the first ones' fields, and names every selector that
matched nothing, so a user can add a site by editing crawlers/sites.yaml and rerunning the check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scrapy.http import HtmlResponse

from crawlers.spiders.review_site import FIELDS, ReviewSiteSpider, block_reason


@dataclass
class CheckResult:
    url: str
    found: int
    first: list[dict[str, Any]] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)  # selectors that matched nothing on any review
    unset: list[str] = field(default_factory=list)  # optional selectors the config does not set
    problems: list[str] = field(default_factory=list)  # why the page gave no reviews, ids that did not match
    next_page: str = ""
    full_text: bool = False  # cut reviews are read whole from their own pages


def check_page(name: str, config: dict, body: bytes, url: str, content_type: str = "", show: int = 3) -> CheckResult:
    """Run the review-site config of source `name` over one page and report what it finds."""
    spider = ReviewSiteSpider(source=name, config=config)
    headers = {"Content-Type": content_type} if content_type else {}
    page = HtmlResponse(url, body=body, headers=headers)
    records = spider.records(page.selector)
    result = CheckResult(url=url, found=len(records), full_text=bool(spider.selectors.get("full_text")))
    if not records:
        what = "embedded_json" if "embedded_json" in spider.selectors else "item"
        result.problems.append(block_reason(page.selector) or
                               f"selector {what} {spider.selectors[what]!r} matched no review on this page")
        return result
    keys = [k for k in FIELDS if spider.selectors.get(k)]
    result.unset = [k for k in FIELDS if not spider.selectors.get(k)]
    result.empty = [k for k in keys if not any(r.get(k) for r in records)]
    fields = [spider.fields(r, url) for r in records]
    missing_ids = sum(1 for f in fields if not f["id"])
    if missing_ids:
        result.problems.append(f"{missing_ids} of {len(records)} reviews have no id (selector id / id_pattern)")
    undated = sum(1 for r, f in zip(records, fields) if r.get("date") and f["posted_at"] is None)
    if undated:
        result.problems.append(f"{undated} of {len(records)} dates could not be read (they would be quarantined)")
    result.first = fields[:show]
    if "next_page" in spider.selectors:
        result.next_page = spider.select(page, "next_page")
    return result


def check_review_page(name: str, config: dict, body: bytes, url: str, content_type: str = "") -> tuple[str, str]:
    """The whole text the config's `full_text` finds on one review's own page, and what went wrong ("" if nothing)."""
    spider = ReviewSiteSpider(source=name, config=config)
    if not spider.selectors.get("full_text"):
        return "", "the site has no full_text selector: its reviews are read from the listing only"
    headers = {"Content-Type": content_type} if content_type else {}
    return spider.review_page_text(HtmlResponse(url, body=body, headers=headers))
