"""Loud failures: a source whose every item was quarantined fails its run with the reason, the state only moves
past stored items, and `otklik crawl` exits non-zero naming each failed source."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from click.testing import CliRunner

from crawlers.fakeweb import FakeWeb, Post, ReviewSite, RssFeed, TelegramChannel
from otklik.cli import main
from store.models import Mention, Source

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
SOURCES = """sources:
  - {name: tg, kind: telegram, channel: skoro}
  - {name: reviews, kind: review_site, site: otzovik, start_url: "https://otzovik.com/reviews/skoro/"}
  - {name: news, kind: rss, url: "https://news.example.ru/rss.xml"}
"""


def test_failed_sources_fail_the_command_and_state_follows_stored_items(shared_db, tmp_path, monkeypatch):
    from otklik.clitools import console

    monkeypatch.setattr(console, "width", 250)
    path = tmp_path / "sources.yaml"
    path.write_text(SOURCES, encoding="utf-8")
    with FakeWeb() as web:
        tg = TelegramChannel(web, "skoro")
        tg.posts += [Post(i, f"Курьер опоздал на {i} час(а), заказ 4001234{i}", T0 + timedelta(hours=i)) for i in (1, 2)]
        tg.posts.append(Post(3, "", T0 + timedelta(hours=3)))  # the newest message is quarantined (empty text)
        site = ReviewSite(web, "https://otzovik.com/reviews/skoro/")
        site.posts += [Post(i, f"Отзыв номер {i} о доставке", T0, extra={"date_text": "вчера"}) for i in (1, 2)]
        feed = RssFeed(web, "https://news.example.ru/rss.xml")
        feed.posts.append(Post(1, "СкороДоставка открыла хаб в Казани", T0, title="Новый хаб"))
        monkeypatch.setenv("OTKLIK_SNAPSHOT_URL", web.url)

        out = CliRunner().invoke(main, ["crawl", "--sources-file", str(path)])
        assert out.exit_code == 1, out.output
        assert "не удалось обойти 1 из 3 источников: reviews" in out.output
        assert "reviews: failed (all 2 item(s) quarantined)" in out.output
        assert "invalid item '2': missing or unparseable date" in out.output  # the reason, not only a count
        assert Source.objects.get(name="reviews").state == {}
        # The state moves to the newest stored message, not to the quarantined one after it.
        assert Source.objects.get(name="tg").state == {"newest": (T0 + timedelta(hours=2)).isoformat(), "newest_id": "skoro/2"}
        assert Mention.objects.filter(source__name="tg").count() == 2

        ok = CliRunner().invoke(main, ["crawl", "news", "--sources-file", str(path)])
        assert ok.exit_code == 0, ok.output
