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


# Shapes of the fourth round (RSS 0.90 without any date, localised RFC 822 dates, an Atom feed's author).
UNDATED_RDF = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/">
<channel><title>Лента</title><link>https://old.example.ru/</link><description>Новости</description></channel>
<item><title>Посылка потерялась</title><link>https://old.example.ru/1</link></item>
<item><title>Курьер не позвонил</title><link>https://old.example.ru/2</link></item>
</rdf:RDF>"""
BUILT_RSS = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Блог</title>
<link>https://blog.example.ru/</link><lastBuildDate>Mon, 02 Nov 2026 09:00:00 +0300</lastBuildDate>
<item><guid>b1</guid><title>Без даты</title><description>Пункт выдачи закрыт</description></item>
<item><guid>b2</guid><title>По-португальски</title><pubDate>Seg, 24 Set 2018 19:42:40 -0300</pubDate>
<description>Atraso na entrega</description></item>
<item><guid>b3</guid><title>По-русски</title><pubDate>Пн, 24 сен 2018 19:42:40 +0500</pubDate>
<description>Опять опоздали</description></item>
</channel></rss>"""
ATOM = """<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>Блог службы доставки</title><id>tag:blog.example.ru,2026:feed</id><updated>2026-11-02T09:00:00Z</updated>
<author><name>Анна Петрова</name></author>
<entry><id>tag:blog.example.ru,2026:1</id><title>Новые пункты</title><updated>2026-11-01T09:00:00Z</updated>
<content type="text">Открыли пять пунктов выдачи</content></entry>
<entry><id>tag:blog.example.ru,2026:2</id><title>Гость</title><updated>2026-11-01T10:00:00Z</updated>
<author><name>Иван Гостев</name></author><content type="text">Колонка гостя</content></entry>
</feed>"""


@pytest.fixture
def odd_feeds(shared_db, tmp_path):
    web = FakeWeb()
    for name, body in (("rdf", UNDATED_RDF), ("built", BUILT_RSS), ("atom", ATOM)):
        web.add(f"https://feeds.example.ru/{name}", Reply(body, content_type="application/xml; charset=utf-8"))
    load_sources(tmp_path, [{"name": n, "kind": "rss", "url": f"https://feeds.example.ru/{n}"}
                            for n in ("rdf", "built", "atom")])
    with web:
        yield web


def test_undated_entries_localised_dates_and_the_feeds_author(odd_feeds):
    from datetime import datetime, timezone

    before = datetime.now(timezone.utc).replace(microsecond=0)
    stats = crawl_once(odd_feeds)
    after = datetime.now(timezone.utc)
    assert all(stats[n]["ok"] and stats[n]["quarantined"] == 0 for n in ("rdf", "built", "atom")), stats

    # No date anywhere: the time the feed was read, marked as an estimate (was: every item quarantined).
    undated = Mention.objects.filter(source__name="rdf")
    assert undated.count() == 2
    for m in undated:
        assert before <= m.posted_at <= after and m.raw["date_estimated"] == "fetched"
    # No item date, but the feed's own: that one.
    built = Mention.objects.get(source__name="built", external_id="b1")
    assert built.posted_at.isoformat() == "2026-11-02T06:00:00+00:00" and built.raw["date_estimated"] == "feed date"
    # Dates written in Portuguese and in Russian with their offsets and seconds: the exact instant.
    assert Mention.objects.get(external_id="b2").posted_at.isoformat() == "2018-09-24T22:42:40+00:00"
    assert Mention.objects.get(external_id="b3").posted_at.isoformat() == "2018-09-24T14:42:40+00:00"
    assert "date_estimated" not in Mention.objects.get(external_id="b3").raw

    authors = dict(Mention.objects.filter(source__name="atom").values_list("title", "author"))
    assert authors == {"Новые пункты": "Анна Петрова", "Гость": "Иван Гостев"}
