"""Every spider kind against a fake internet on 127.0.0.1, over four crawls of the same thirteen sources.

Run 1 backfills (with a 429 + Retry-After, a VK "too many requests", robots.txt, cp1251, malformed
pages and HTTP errors on the way); run 2 brings new posts, near copies and a failing Telegram page;
run 3 recovers; run 4 has nothing new and touches one page per paging chain.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from crawlers.runner import crawl
from store.models import Mention, QuarantinedItem, Source
from crawlers.sources import crawl_specs, sync_sources
from tests.crawlers.scenario import T0, Post, Web, salad

SETTINGS = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "RETRY_TIMES": 1, "RETRY_BACKOFF_BASE": 0.05}
PAGING = ("app", "vk-wall", "vk-search", "otzovik", "yandex", "news")


def _run(web: Web) -> dict[str, dict[str, int]]:
    return crawl(crawl_specs(), settings={**SETTINGS, "OTKLIK_SNAPSHOT_URL": web.web.url}).per_source


def _new(stats: dict) -> dict[str, tuple[int, int]]:
    return {name: (s["new"], s["near_duplicate"]) for name, s in stats.items() if s["new"] or s["near_duplicate"]}


def _state(name: str) -> dict:
    return Source.objects.get(name=name).state


def _iso(dt) -> str:
    return dt.isoformat()


@pytest.fixture
def web(shared_db, tmp_path):
    w = Web()
    sync_sources(w.write_sources(tmp_path / "sources.yaml"))
    with w.web:
        yield w


def test_four_crawls_of_every_channel(web):
    # -- run 1: backfill -------------------------------------------------------------------------------
    stats = _run(web)
    assert _new(stats) == {
        "app": (11, 0), "tg": (40, 0), "vk-wall": (7, 0), "vk-search": (5, 0), "otzovik": (23, 0), "yandex": (4, 0), "news": (3, 0),
    }
    _check_items()
    _check_quarantine_after_first_run()
    _check_politeness(web, stats)
    ok = {name for name, s in stats.items() if s["ok"]}
    assert ok == {"app", "tg", "vk-wall", "vk-search", "otzovik", "yandex", "news"}
    assert _state("app") == {"newest": _iso(T0 + timedelta(hours=12)), "newest_id": "12"}
    # Telegram stopped at max_pages=2 (messages 45..6) and left a cursor to go on from next time.
    assert _state("tg") == {"newest": _iso(T0 + timedelta(minutes=450)), "newest_id": "skoro_chat/45",
                            "resume": {"cursor": 6, "floor": None}}
    assert _state("vk-search")["newest_id"] == "305_5" and _state("vk-wall")["newest_id"] == "-100_7"
    assert _state("otzovik") == {"newest": "2026-11-26T00:00:00+03:00", "newest_id": "525"}
    for failed in ("tg-broken", "vk-flood", "vk-denied", "blocked", "news-down", "app-broken"):
        assert _state(failed) == {} and Source.objects.get(name=failed).last_status.startswith("failed (1 failed page(s))")

    # -- run 2: new posts and copies; Telegram's second page fails ---------------------------------------
    web.app.posts += [Post(i, salad(i), T0 + timedelta(hours=i), author=f"user{i}", rating=5) for i in (13, 14)]
    web.tg.posts += [Post(i, salad(100 + i), T0 + timedelta(minutes=10 * i)) for i in range(46, 71)]
    web.tg_down.add("51")
    tg30 = Mention.objects.get(source__name="tg", external_id="skoro_chat/30")
    copy = tg30.text.replace(".", "!!!").replace(" ", "  ", 2) + " Жесть"  # copy-paste with small edits
    web.vk.search("скородоставка").append(Post(6, copy, T0 + timedelta(hours=6), extra={"owner_id": 306, "from_id": 306}))
    web.news.posts += [
        Post(4, "ЁЛКИ-ПАЛКИ, «Скородоставка» опять потеряла посылку - заказ 40012345! Деньги не вернули", T0 + timedelta(days=4)),
        Post(5, "Коробку разбили при доставке, заказ 40099999, требую компенсацию за вазу!", T0 + timedelta(days=5)),
    ]
    stats = _run(web)
    assert _new(stats) == {"app": (2, 0), "tg": (25, 0), "vk-search": (0, 1), "news": (1, 1)}
    assert stats["app"]["pages"] == 2  # page 1 had new reviews, page 2 was all known
    assert Mention.objects.get(source__name="vk-search", external_id="306_6").duplicate_of == tg30
    otz510 = Mention.objects.get(source__name="otzovik", external_id="510")
    news4 = Mention.objects.get(source__name="news", external_id="https://news.example.ru/a/4")
    # The news item was posted before the review it copies, so it is the original (crawl order does not matter).
    assert news4.posted_at < otz510.posted_at
    assert (news4.duplicate_of, otz510.duplicate_of) == (None, news4)
    other_order = Mention.objects.get(source__name="news", external_id="https://news.example.ru/a/5")
    assert other_order.duplicate_of is None  # same words, another order number: another complaint
    # The failed Telegram run stored what it could but kept its old state, so nothing is skipped.
    assert not stats["tg"]["ok"] and _state("tg")["newest_id"] == "skoro_chat/45"
    assert QuarantinedItem.objects.filter(source__name="tg", reason="request failed: HTTP 500").count() == 1

    # -- run 3: Telegram recovers and fetches the five messages behind the failed page ------------------
    web.tg_down.clear()
    stats = _run(web)
    assert _new(stats) == {"tg": (5, 0)}
    assert _state("tg") == {"newest": _iso(T0 + timedelta(minutes=700)), "newest_id": "skoro_chat/70",
                            "resume": {"cursor": 31, "floor": _iso(T0 + timedelta(minutes=450))}}
    assert set(Mention.objects.filter(source__name="tg").values_list("external_id", flat=True)) == {
        f"skoro_chat/{i}" for i in range(1, 71)
    }

    # -- run 4: nothing new; one page per chain -----------------------------------------------------------
    before = Mention.objects.count()
    stats = _run(web)
    assert _new(stats) == {} and Mention.objects.count() == before
    assert {name: stats[name]["pages"] for name in PAGING} == dict.fromkeys(PAGING, 1)
    assert stats["tg"]["pages"] == 2 and "resume" not in _state("tg")  # head page + the resume's known page
    assert Mention.objects.originals().count() == before - 2


def _check_items():
    review = Mention.objects.get(source__name="app", external_id="12")
    assert (review.text, review.title, review.author, review.rating) == (salad(12), "Отзыв 12", "user12", 3)
    assert review.posted_at == T0 + timedelta(hours=12) and review.lang == "ru"
    emoji = Mention.objects.get(source__name="tg", external_id="skoro_chat/43")
    assert emoji.text == "Спасибо 👨\u200d👩\u200d👧 курьеру Дмитрию!\n\n@skoro_support https://skoro.ru/track?id=1"
    assert emoji.author == "Автор 43" and emoji.url == "https://t.me/skoro_chat/43"
    long = Mention.objects.get(source__name="tg", external_id="skoro_chat/44")
    assert len(long.text) == 20_000 and long.raw["truncated_from_chars"] == len("Очень длинное сообщение. " * 40_000) - 1
    repost = Mention.objects.get(source__name="vk-wall", external_id="502_77")
    assert repost.text.startswith("Сравнил службы доставки") and repost.raw["reposted_by"] == "-100_6"
    assert set(Mention.objects.filter(source__name="vk-wall").values_list("external_id", flat=True)) == {
        "-100_1", "-100_2", "-100_3", "-100_4", "-100_5", "502_77", "-100_7"}
    otz = Mention.objects.get(source__name="otzovik", external_id="510")  # decoded from windows-1251
    assert otz.text == "Ёлки-палки, «СкороДоставка» опять потеряла посылку, заказ 40012345, деньги не вернули."
    assert (otz.rating, otz.author, otz.url) == (1, "автор510", "https://otzovik.com/review_510.html")
    ya = Mention.objects.get(source__name="yandex", external_id="ya3")
    assert (ya.rating, ya.author, ya.posted_at) == (3, "Гость 3", T0 + timedelta(hours=3))
    news = Mention.objects.get(source__name="news", external_id="https://news.example.ru/a/2")
    assert (news.title, news.text, news.posted_at) == ("Новость 2", salad(702), T0 + timedelta(days=2))


def _check_quarantine_after_first_run():
    got = {(q.source.name, q.reason) for q in QuarantinedItem.objects.select_related("source")}
    reasons = {s: sorted(r for src, r in got if src == s) for s in {src for src, _ in got}}
    assert reasons["app"] == ["invalid item '5': empty text"]
    assert reasons["app-broken"][0].startswith("malformed feed: malformed JSON")
    assert reasons["tg-broken"] == ["not a Telegram channel preview page"]
    assert reasons["vk-flood"] == ["VK API error 6: Too many requests per second (transient: retry later)"]
    assert reasons["vk-denied"] == ["VK API error 15: Access denied: this wall available only for community members"]
    assert reasons["otzovik"] == ["invalid item '515': missing or unparseable date", "review without an id"]
    assert reasons["blocked"] == ["request failed: IgnoreRequest: Forbidden by robots.txt"]
    assert reasons["news-down"] == ["request failed: HTTP 500"]
    assert set(reasons) == {"app", "app-broken", "tg-broken", "vk-flood", "vk-denied", "otzovik", "blocked", "news-down"}
    bad = QuarantinedItem.objects.get(source__name="otzovik", reason="review without an id")
    assert bad.url == "https://otzovik.com/reviews/skoro/" and "data-review-id" in bad.payload


def _check_politeness(web: Web, stats: dict):
    page2 = [h for h in web.web.hits if h.url.endswith("page=2/id=42/sortBy=mostRecent/json")]
    assert [h.status for h in page2] == [429, 200]
    assert page2[1].at - page2[0].at >= 1.0  # Retry-After: 1 was honoured
    assert stats["app"]["retries"] == 1 and stats["vk-wall"]["retries"] == 1  # VK error 6, then success
    assert stats["vk-flood"]["retries"] == 1 and stats["vk-denied"]["retries"] == 0
    assert any(h.url == "https://blocked.example/robots.txt" for h in web.web.hits)
    assert not web.web.fetched("https://blocked.example/reviews")  # robots.txt obeyed
