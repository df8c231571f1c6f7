"""Paging chains and saved state, Retry-After parsing and VK error detection, without a crawl process."""

from datetime import datetime, timedelta, timezone

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, TextResponse

from crawlers.middlewares.retry import retry_after_seconds
from crawlers.spiders.base import CHAIN
from crawlers.spiders.telegram import TelegramSpider
from crawlers.spiders.vk import VkSpider, transient_api_error

T0 = datetime(2026, 11, 20, tzinfo=timezone.utc)


def page(spider, chain, url="https://t.me/s/chat"):
    return HtmlResponse(url, body=b"<html></html>", request=Request(url, meta={CHAIN: chain}))


def walk(spider, chain, dates, cursor):
    return list(spider.follow(page(spider, chain), dates, cursor))


def test_head_chain_stops_at_known_items_and_saves_newest():
    spider = TelegramSpider(source="tg", config={"channel": "chat"}, state={"newest": T0.isoformat(), "newest_id": "chat/9"})
    head = {"name": "head", "floor": spider.head_floor(), "page": 1}
    assert walk(spider, head, [T0 + timedelta(hours=1), T0], 90)  # one item is new: go on
    (req,) = walk(spider, head, [T0 + timedelta(hours=1), None], 90)
    assert req.url == "https://t.me/s/chat?before=90" and req.meta[CHAIN]["page"] == 2
    assert walk(spider, head, [T0, T0 - timedelta(hours=1)], 80) == []  # all known: stop
    spider.note_seen(T0 + timedelta(hours=2), "chat/12")
    assert spider.new_state == {"newest": (T0 + timedelta(hours=2)).isoformat(), "newest_id": "chat/12"}


def test_cut_chains_merge_into_one_resume_with_the_lower_floor():
    old = {"newest": T0.isoformat(), "resume": {"cursor": 40, "floor": (T0 - timedelta(days=9)).isoformat()}}
    spider = TelegramSpider(source="tg", config={"channel": "chat", "max_pages": 2}, state=old)
    new = [T0 + timedelta(hours=3)]
    assert walk(spider, {"name": "head", "floor": T0.isoformat(), "page": 2}, new, 70) == []  # max_pages: cut
    assert walk(spider, {"name": "resume", "floor": old["resume"]["floor"], "page": 2}, [T0 - timedelta(days=1)], 20) == []
    assert spider.new_state["resume"] == {"cursor": 70, "floor": old["resume"]["floor"]}


def test_finished_resume_is_dropped_and_first_run_floor_comes_from_since():
    spider = TelegramSpider(source="tg", config={"channel": "chat", "since": "2026-09-01"},
                            state={"newest": T0.isoformat(), "resume": {"cursor": 5, "floor": None}})
    spider._chains_started.add("resume")
    assert "resume" not in spider.new_state
    first = TelegramSpider(source="tg", config={"channel": "chat", "since": "2026-09-01"})
    assert first.head_floor() == "2026-09-01T00:00:00+03:00"


def test_vk_search_floor_becomes_start_time():
    spider = VkSpider(source="vk", config={"mode": "search", "q": "скоро", "count": 500})
    req = spider.page_request("abc", {"name": "resume", "floor": T0.isoformat(), "page": 1})
    assert f"start_time={int(T0.timestamp())}" in req.url and "start_from=abc" in req.url and "count=200" in req.url


@pytest.mark.parametrize(
    "value, seconds",
    [(b"120", 120.0), ("0", 0.0), (b"Fri, 20 Nov 2026 00:01:00 GMT", 60.0), (b"Thu, 19 Nov 2026 00:00:00 GMT", 0.0),
     (b"soon", None), (None, None)],
)
def test_retry_after_values(value, seconds):
    assert retry_after_seconds(value, now=T0) == seconds


def test_vk_transient_errors_are_recognised():
    def resp(url, body):
        return TextResponse(url, body=body.encode(), encoding="utf-8")

    err6 = '{"error": {"error_code": 6, "error_msg": "Too many requests per second"}}'
    assert transient_api_error(resp("https://api.vk.com/method/wall.get?x=1", err6)) == 6
    assert transient_api_error(resp("https://api.vk.com/method/wall.get", '{"error": {"error_code": 15}}')) is None
    assert transient_api_error(resp("https://example.com/api", err6)) is None
    assert transient_api_error(resp("https://api.vk.com/method/wall.get", '{"response": {"items": []}}')) is None
