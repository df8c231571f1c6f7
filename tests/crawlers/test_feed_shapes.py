"""Feed shapes found in real feeds saved by others (named in the crawler docs), rebuilt here as authored pages:
Yandex News' full text beside a one-line teaser, `email (Name)` authors, guids that are no address, list items,
and an App Store feed with no reviews at all."""

from __future__ import annotations

import pytest

from crawlers.fakeweb import FakeWeb, Reply
from store.models import Mention, Source
from tests.crawlers.local import crawl_once, load_sources

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:yandex="http://news.yandex.ru" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Новости города</title><link>https://news.example.ru/</link>
<item><guid isPermaLink="false">1001</guid><title>Доставка задерживается</title>
<author>editor@news.example.ru (Ирина Соколова)</author>
<pubDate>Tue, 03 Nov 2026 10:00:00 +0600</pubDate>
<description>Жители жалуются на задержки.</description>
<yandex:full-text>&lt;p&gt;Жители жалуются на задержки.&lt;/p&gt;&lt;p&gt;В СкороДоставке посылки ждут по две
недели.&lt;/p&gt;</yandex:full-text></item>
<item><guid>1002</guid><link>https://news.example.ru/1002</link><title>Итоги недели</title>
<pubDate>Tue, 03 Nov 2026 11:00:00 +0300</pubDate>
<description>Коротко о главном</description>
<content:encoded><![CDATA[<p>Что случилось:</p>
<ul>
<li>курьер опоздал;</li>
<li>посылку вскрыли.</li>
</ul>]]></content:encoded></item>
<item><guid>1003</guid><link>/1003</link><title>Только анонс</title>
<pubDate>Tue, 03 Nov 2026 12:00:00 +0300</pubDate><description>Полный текст короче анонса?</description>
<content:encoded><![CDATA[<p>Нет.</p>]]></content:encoded></item>
</channel></rss>"""

EMPTY_APP_FEED = """{"feed": {"author": {"name": {"label": "iTunes Store"}},
"updated": {"label": "2015-06-01T00:00:00-07:00"},
"link": [{"attributes": {"rel": "alternate", "type": "text/html", "href": ""}},
         {"attributes": {"rel": "last", "href": ""}}], "id": {"label": "x"}}}"""


@pytest.fixture
def web(shared_db, tmp_path):
    web = FakeWeb()
    web.add("https://news.example.ru/rss", Reply(RSS, content_type="application/rss+xml; charset=utf-8"))
    web.add("https://itunes.apple.com/en/rss/customerreviews/page=1/id=1/sortBy=mostRecent/json",
            Reply(EMPTY_APP_FEED, content_type="text/javascript; charset=utf-8"))
    load_sources(tmp_path, [{"name": "news", "kind": "rss", "url": "https://news.example.ru/rss"},
                            {"name": "app-none", "kind": "appstore", "app_id": "1", "country": "en",
                             "base_url": f"{web.url}/itunes.apple.com"}])
    with web:
        yield web


def test_feed_entries_keep_full_text_names_and_addresses(web):
    stats = crawl_once(web)
    assert stats["news"]["new"] == 3 and stats["news"]["ok"]

    teaser = Mention.objects.get(source__name="news", external_id="1001")
    assert teaser.text == "Жители жалуются на задержки.\n\nВ СкороДоставке посылки ждут по две недели."
    assert teaser.author == "Ирина Соколова"  # not the editor's address
    assert teaser.url == ""  # a guid that is no address is not a link
    assert teaser.posted_at.isoformat() == "2026-11-03T04:00:00+00:00"

    listed = Mention.objects.get(source__name="news", external_id="1002")
    assert listed.text == "Что случилось:\n\nкурьер опоздал;\nпосылку вскрыли."  # one line per list item
    assert listed.url == "https://news.example.ru/1002"
    short = Mention.objects.get(source__name="news", external_id="1003")
    assert short.text == "Полный текст короче анонса?" and short.url == "https://news.example.ru/1003"  # a path

    # An App Store feed without reviews succeeds (an app may have none) but says what to check.
    assert stats["app-none"]["ok"] and stats["app-none"]["new"] == 0
    status = Source.objects.get(name="app-none").last_status
    assert status.startswith("ok: 0 new") and "warning: no reviews in the feed" in status and "app_id" in status
    assert "warning" not in Source.objects.get(name="news").last_status
