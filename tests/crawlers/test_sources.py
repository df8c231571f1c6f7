"""The sources file: validation with clear errors, sync into the database, the CLI listing."""

from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from otklik.cli import main
from store.models import Source
from store.services.sources import (
    SourceConfigError,
    crawl_specs,
    read_sources_file,
    sync_sources,
)

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path, text):
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_sources_file_is_valid():
    entries = read_sources_file(ROOT / "sources.yaml")
    assert {e["kind"] for e in entries} == {"appstore", "telegram", "vk", "review_site", "rss"}
    tg = next(e for e in entries if e["kind"] == "telegram")
    assert tg["config"]["since"] == "2026-09-01"  # a YAML date is stored as an ISO string


@pytest.mark.parametrize(
    "entry, message",
    [
        ("{name: a, kind: telegram}", "needs channel"),
        ("{name: a, kind: vk, mode: search}", "needs q"),
        ("{name: a, kind: vk, q: x}", "needs domain or owner_id"),
        ("{name: a, kind: vk, domain: x, mode: feed}", "unknown VK mode"),
        ("{name: a, kind: review_site, start_url: 'https://x.ru/'}", "needs site or selectors"),
        ("{name: a, kind: review_site, start_url: 'https://x.ru/', site: nope}", "unknown review site 'nope'"),
        ("{name: a, kind: rss, url: 'https://x.ru/rss', max_pages: 0}", "max_pages"),
        ("{name: a, kind: rss, url: 'https://x.ru/rss', since: вчера}", "since"),
        ("{name: a, kind: forum}", "unknown kind"),
        ("{kind: rss}", "needs a name"),
        ("just text", "not a mapping"),
    ],
)
def test_invalid_entries_are_refused_with_the_reason(tmp_path, entry, message):
    with pytest.raises(SourceConfigError, match=message):
        read_sources_file(write(tmp_path, f"sources:\n  - {entry}\n"))


def test_broken_yaml_is_a_config_error(tmp_path):
    with pytest.raises(SourceConfigError, match="not valid YAML"):
        read_sources_file(write(tmp_path, "sources: [\n"))


@pytest.mark.django_db
def test_sync_keeps_state_and_cli_lists_it(tmp_path, monkeypatch):
    from otklik.clitools import console

    monkeypatch.setattr(console, "width", 250)
    path = write(tmp_path, "sources:\n  - {name: news, kind: rss, url: 'https://x.ru/rss'}\n"
                           "  - {name: old, kind: rss, url: 'https://y.ru/rss', enabled: false}\n")
    sync_sources(path)
    Source.objects.filter(name="news").update(state={"newest": "2026-11-20T10:00:00+00:00", "resume": {"cursor": 3, "floor": None}},
                                              last_status="ok: 2 new")
    sync_sources(path)
    assert Source.objects.get(name="news").state["resume"]["cursor"] == 3
    assert [s["name"] for s in crawl_specs()] == ["news"]
    with pytest.raises(SourceConfigError, match="old"):
        crawl_specs(["old"])
    out = CliRunner().invoke(main, ["sources", "--sources-file", str(path)])
    assert out.exit_code == 0, out.output
    line = next(line for line in out.output.splitlines() if "news" in line)
    assert "2026-11-20 10:00" in line and "from 3" in line and "ok: 2 new" in line


@pytest.mark.django_db
def test_admin_form_checks_spider_keys():
    from store.admin import SourceForm

    bad = SourceForm(data={"name": "tg", "kind": "telegram", "config": "{}", "schedule": "0 * * * *", "state": "{}"})
    assert not bad.is_valid() and "needs channel" in str(bad.errors["config"])
    good = SourceForm(data={"name": "tg", "kind": "telegram", "config": '{"channel": "skoro"}', "schedule": "0 * * * *",
                            "state": "{}", "enabled": True})
    assert good.is_valid(), good.errors


def test_cli_crawl_end_to_end(shared_db, tmp_path, monkeypatch):
    from crawlers.fakeweb import FakeWeb, Post, RssFeed
    from otklik.clitools import console
    from store.models import Mention

    monkeypatch.setattr(console, "width", 200)
    path = write(tmp_path, "sources:\n  - {name: news, kind: rss, url: 'https://news.example.ru/rss.xml'}\n"
                           "  - {name: tg, kind: telegram, channel: skoro}\n")
    with FakeWeb() as web:
        feed = RssFeed(web, "https://news.example.ru/rss.xml")
        feed.posts.append(Post(1, "СкороДоставка открыла новый сортировочный центр в Казани", datetime(2026, 11, 20, tzinfo=timezone.utc),
                               title="Новый хаб"))
        monkeypatch.setenv("OTKLIK_SNAPSHOT_URL", web.url)
        out = CliRunner().invoke(main, ["crawl", "news", "--sources-file", str(path)])
        assert out.exit_code == 0, out.output
        assert [line.split("│")[1:4] for line in out.output.splitlines() if "news" in line] == [[" news   ", " 1     ", " 1   "]]
        assert web.fetched() == ["https://news.example.ru/rss.xml"]  # only the named source
    assert Mention.objects.get(source__name="news").title == "Новый хаб"
    missing = CliRunner().invoke(main, ["crawl", "nope", "--sources-file", str(path)])
    assert missing.exit_code == 1 and "unknown or disabled source(s): nope" in missing.output
