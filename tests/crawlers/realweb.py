"""Real pages saved from the live sites by other people (../shared/real_pages, provenance in its SOURCES.md),
served by a local FakeWeb at their real URL shapes. The files are read where they are, never copied or edited."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crawlers.fakeweb import FakeWeb, Reply

REPO = Path(__file__).resolve().parents[2]


def real_pages_dir() -> Path:
    """`$OTKLIK_REAL_PAGES`, else `<repo>/../shared/real_pages` (looking further up for a git worktree)."""
    if os.environ.get("OTKLIK_REAL_PAGES"):
        return Path(os.environ["OTKLIK_REAL_PAGES"])
    for parent in list(REPO.parents)[:3]:
        if (parent / "shared" / "real_pages").is_dir():
            return parent / "shared" / "real_pages"
    return REPO.parent / "shared" / "real_pages"


PAGES = real_pages_dir()
needs_real_pages = pytest.mark.skipif(not (PAGES / "SOURCES.md").is_file(), reason=f"real pages not found at {PAGES}")


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


APPLE_JSON = "text/javascript; charset=utf-8"  # what itunes.apple.com answers for the JSON feed
VK_JSON = "application/json; charset=utf-8"
HTML = "text/html; charset=utf-8"
RSS = "application/rss+xml"  # no charset: the XML prolog (windows-1251 or UTF-8 with a BOM) decides


def appstore_feed(country: str, app_id: str, page_no: int = 1) -> str:
    return f"https://itunes.apple.com/{country}/rss/customerreviews/page={page_no}/id={app_id}/sortBy=mostRecent/json"


def vk_wall(query: dict[str, str]) -> Reply:
    """api.vk.com/method/wall.get: the saved answer for the wall asked for."""
    files = {"memestealer": "vk_wall_get_extended_memestealer.json", "realty": "vk_error_15_wall_get_realty.json",
             "captcha": "vk_error_14_captcha_swiftyvk.json",
             "cs50": "vk_video_get_legacy_array_denkneb.json"}  # an answer of the pre-5.0 API: [count, item, ...]
    name = files.get(query.get("domain", ""))
    return Reply(page(name), content_type=VK_JSON) if name else Reply('{"error": {"error_code": 100}}', content_type=VK_JSON)


def real_web() -> FakeWeb:
    """Every real page at its real address; the broken variants are cut or emptied copies served from memory."""
    web = FakeWeb()
    for country, app_id, name in [
        ("us", "595068606", "appstore_us_595068606_mishavyb.json"),
        ("fr", "497799835", "appstore_fr_497799835_page1_jcoynel.json"),
        ("nl", "474495017", "appstore_nl_474495017_sanderdekoning.json"),
        ("au", "1477376905", "appstore_au_1477376905_postman.json"),
        ("al", "915056765", "appstore_single_entry_object_postman.json"),
    ]:
        web.add(appstore_feed(country, app_id), Reply(page(name), content_type=APPLE_JSON))
    # What Apple answers past the feed's depth (here: the fr feed's page 2).
    web.add(appstore_feed("fr", "497799835", 2),
            Reply(page("appstore_error_page_depth_limit_jcoynel.txt"), content_type="text/plain; charset=utf-8"))
    web.add("https://t.me/s/xkcdru", Reply(page("tme_s_xkcdru_browser_saved_telexkcdbot.html"), content_type=HTML))
    web.add("https://t.me/s/prstnk_eprst", Reply(page("tme_s_prstnk_eprst_raw_prstnk.html"), content_type=HTML))
    web.add("https://t.me/s/solokumi", Reply(page("tme_s_solokumi_truncated_feedwatch.html"), content_type=HTML))
    web.add("https://api.vk.com/method/wall.get", vk_wall)
    for url, name in [
        ("https://ibash.org.ru/rss.xml", "rss_ru_cp1251_ibash_miniflux.xml"),
        ("https://xakep.ru/rss/", "rss_ru_cp1251_xakep_picofeed.xml"),
        ("https://lenta.ru/rss", "rss_ru_lenta_reformatted_alekseymikh.xml"),
        ("https://news.tut.by/rss/all.rss", "rss_ru_tutby_html_in_description_epambsu.xml"),
    ]:
        web.add(url, Reply(page(name), content_type=RSS))
    lenta = page("rss_ru_lenta_reformatted_alekseymikh.xml")
    web.add("https://lenta.ru/rss/cut", Reply(lenta[: len(lenta) // 2], content_type=RSS))  # a dropped connection
    web.add("https://lenta.ru/rss/empty", Reply(b"", content_type=RSS))  # an empty 200
    web.add("https://www.banki.ru/services/responses/bank/sberbank/",
            Reply(page("banki_ru_sberbank_responses_list_repmon.html"), content_type=HTML))
    web.add("https://2gis.ru/vologda/firm/70000001019437403",
            Reply(page("2gis_firm_reviews_vologda_feedbackservice.html"), content_type=HTML))
    web.add("https://otzovik.com/reviews/sberbank/", Reply(page("otzovik_captcha_block_page_repmon.html"), content_type=HTML))
    return web


def sources(web: FakeWeb) -> list[dict]:
    """Sources over the real pages: App Store, Telegram and VK reach the local server through their `base_url`;
    RSS and review-site sources keep their real URLs and reach it through OTKLIK_SNAPSHOT_URL (which also
    keeps links inside the pages, such as banki.ru's next page, on their real hosts)."""
    at = web.url
    return [
        {"name": "app-us", "kind": "appstore", "app_id": "595068606", "country": "us", "base_url": f"{at}/itunes.apple.com", "max_pages": 1},
        {"name": "app-fr", "kind": "appstore", "app_id": "497799835", "country": "fr", "base_url": f"{at}/itunes.apple.com", "max_pages": 2},
        {"name": "app-nl", "kind": "appstore", "app_id": "474495017", "country": "nl", "base_url": f"{at}/itunes.apple.com", "max_pages": 1},
        {"name": "app-au", "kind": "appstore", "app_id": "1477376905", "country": "au", "base_url": f"{at}/itunes.apple.com"},
        {"name": "app-al", "kind": "appstore", "app_id": "915056765", "country": "al", "base_url": f"{at}/itunes.apple.com"},
        {"name": "tg-xkcd", "kind": "telegram", "channel": "xkcdru", "base_url": f"{at}/t.me"},
        {"name": "tg-prstnk", "kind": "telegram", "channel": "prstnk_eprst", "base_url": f"{at}/t.me"},
        {"name": "tg-cut", "kind": "telegram", "channel": "solokumi", "base_url": f"{at}/t.me"},
        {"name": "vk-wall", "kind": "vk", "domain": "memestealer", "base_url": f"{at}/api.vk.com", "max_pages": 1},
        {"name": "vk-denied", "kind": "vk", "domain": "realty", "base_url": f"{at}/api.vk.com"},
        {"name": "vk-captcha", "kind": "vk", "domain": "captcha", "base_url": f"{at}/api.vk.com"},
        {"name": "vk-legacy", "kind": "vk", "domain": "cs50", "api_version": "3.0", "base_url": f"{at}/api.vk.com"},
        {"name": "rss-ibash", "kind": "rss", "url": "https://ibash.org.ru/rss.xml"},
        {"name": "rss-xakep", "kind": "rss", "url": "https://xakep.ru/rss/"},
        {"name": "rss-lenta", "kind": "rss", "url": "https://lenta.ru/rss"},
        {"name": "rss-tutby", "kind": "rss", "url": "https://news.tut.by/rss/all.rss"},
        {"name": "rss-cut", "kind": "rss", "url": "https://lenta.ru/rss/cut"},
        {"name": "rss-empty", "kind": "rss", "url": "https://lenta.ru/rss/empty"},
        {"name": "banki", "kind": "review_site", "site": "banki-ru", "start_url": "https://www.banki.ru/services/responses/bank/sberbank/", "max_pages": 1},
        {"name": "2gis", "kind": "review_site", "site": "2gis", "start_url": "https://2gis.ru/vologda/firm/70000001019437403"},
        {"name": "otzovik", "kind": "review_site", "site": "otzovik", "start_url": "https://otzovik.com/reviews/sberbank/"},
    ]
