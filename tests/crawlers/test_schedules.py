"""Per-source schedules: each source's cron decides when the batch crawls it; `otklik crawl` still runs on demand."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from django.utils import timezone as djtz

from crawlers.fakeweb import FakeWeb, Post, RssFeed
from crawlers.sources import due_sources, is_due, sync_sources
from otklik.cli import main
from store.models import Source

MSK = ZoneInfo("Europe/Moscow")


def msk(*args) -> datetime:
    return datetime(*args, tzinfo=MSK)


@pytest.mark.parametrize(
    "schedule, last, now, due",
    [
        ("0 6 * * *", msk(2026, 11, 1, 6, 5), msk(2026, 11, 2, 5, 59), False),
        ("0 6 * * *", msk(2026, 11, 1, 6, 5), msk(2026, 11, 2, 6, 0), True),
        ("*/30 * * * *", msk(2026, 11, 1, 10, 5), msk(2026, 11, 1, 10, 29), False),
        ("*/30 * * * *", msk(2026, 11, 1, 10, 5), msk(2026, 11, 1, 10, 30), True),
        ("15 */2 * * *", msk(2026, 11, 1, 10, 20), msk(2026, 11, 1, 12, 14), False),
        ("15 */2 * * *", msk(2026, 11, 1, 10, 20), msk(2026, 11, 1, 12, 15), True),
        # The cron is read in the configured zone, whatever zone the stored times carry: 06:00 MSK is 03:00 UTC.
        ("0 6 * * *", datetime(2026, 11, 1, 3, 1, tzinfo=timezone.utc), datetime(2026, 11, 2, 2, 59, tzinfo=timezone.utc), False),
        ("0 6 * * *", datetime(2026, 11, 1, 3, 1, tzinfo=timezone.utc), datetime(2026, 11, 2, 3, 0, tzinfo=timezone.utc), True),
    ],
)
def test_a_source_is_due_when_its_cron_fired_since_its_last_run(schedule, last, now, due):
    assert is_due(schedule, last, now, "Europe/Moscow") is due


def test_never_run_or_failed_sources_are_due_at_once():
    now = msk(2026, 11, 1, 10, 0)
    assert is_due("0 6 * * *", None, now, "Europe/Moscow")
    assert is_due("0 6 * * *", now - timedelta(minutes=1), now, "Europe/Moscow", last_failed=True)


@pytest.mark.django_db
def test_due_sources_reads_each_sources_schedule(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n"
                    "  - {name: daily, kind: rss, url: 'https://a.ru/rss', schedule: '0 6 * * *'}\n"
                    "  - {name: often, kind: rss, url: 'https://b.ru/rss', schedule: '*/30 * * * *'}\n"
                    "  - {name: new, kind: rss, url: 'https://c.ru/rss', schedule: '0 6 * * *'}\n"
                    "  - {name: disabled, kind: rss, url: 'https://d.ru/rss', enabled: false}\n"
                    "  - {name: broken, kind: rss, url: 'https://e.ru/rss', schedule: '0 6 * * *'}\n", encoding="utf-8")
    sync_sources(path)
    last = msk(2026, 11, 1, 9, 50)
    Source.objects.filter(name__in=["daily", "often", "broken"]).update(last_run_at=last, last_status="ok: 1 new")
    Source.objects.filter(name="broken").update(last_status="failed (1 failed page(s)), state kept")
    assert due_sources(msk(2026, 11, 1, 10, 0), zone="Europe/Moscow") == ["broken", "new", "often"]
    assert due_sources(msk(2026, 11, 1, 10, 0), ["daily", "new"], zone="Europe/Moscow") == ["new"]


def test_crawl_due_crawls_only_due_sources_and_names_still_run_on_demand(shared_db, tmp_path, monkeypatch):
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n"
                    "  - {name: minutely, kind: rss, url: 'https://a.example.ru/rss', schedule: '* * * * *'}\n"
                    "  - {name: yearly, kind: rss, url: 'https://b.example.ru/rss', schedule: '0 0 1 1 *'}\n",
                    encoding="utf-8")
    sync_sources(path)
    now = djtz.now()
    Source.objects.filter(name="minutely").update(last_run_at=now - timedelta(seconds=61), last_status="ok")
    Source.objects.filter(name="yearly").update(last_run_at=now, last_status="ok")  # next run: next 1 January
    with FakeWeb() as web:
        for host in ("a", "b"):
            RssFeed(web, f"https://{host}.example.ru/rss").posts.append(
                Post(1, f"Новость {host} о доставке посылок", datetime(2026, 11, 1, tzinfo=timezone.utc), title=host))
        monkeypatch.setenv("OTKLIK_SNAPSHOT_URL", web.url)
        out = CliRunner().invoke(main, ["crawl", "--due", "--sources-file", str(path)])
        assert out.exit_code == 0, out.output
        assert web.fetched() == ["https://a.example.ru/rss"]
        out = CliRunner().invoke(main, ["crawl", "yearly", "--sources-file", str(path)])  # on demand
        assert out.exit_code == 0, out.output
        assert web.fetched() == ["https://a.example.ru/rss", "https://b.example.ru/rss"]
        out = CliRunner().invoke(main, ["crawl", "--due", "yearly", "--sources-file", str(path)])
        assert out.exit_code == 0 and "обходить нечего" in out.output
