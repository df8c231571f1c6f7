"""The sources file: validation with clear errors, sync into the database, the CLI listing."""

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from otklik.cli import main
from store.models import Source
from crawlers.sources import (
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
        ("{name: a, kind: telegram}", "source 'a' (telegram): needs channel"),
        ("{name: a, kind: vk, mode: search}", "needs q"),
        ("{name: a, kind: vk, q: x}", "needs domain or owner_id"),
        ("{name: a, kind: vk, domain: x, mode: feed}", "key 'mode' must be wall or search, not 'feed'"),
        ("{name: a, kind: review_site, start_url: 'https://x.ru/'}", "needs site or selectors"),
        ("{name: a, kind: review_site, start_url: 'https://x.ru/', site: nope}", "unknown review site 'nope'"),
        ("{name: a, kind: review_site, start_url: 'https://x.ru/', selectors: {item: div}}", "key 'selectors' lacks the 'id'"),
        ("{name: a, kind: rss, url: 'https://x.ru/rss', max_pages: 0}", "key 'max_pages' must be at least 1"),
        ("{name: a, kind: rss, url: 'https://x.ru/rss', since: вчера}", "key 'since' is not a readable date"),
        ("{name: a, kind: forum}", "key 'kind' must be one of appstore, telegram, vk, review_site, rss, not 'forum'"),
        ("{kind: rss}", "needs a name"),
        ("just text", "not a mapping"),
        # What the issue found accepted silently:
        ("{name: a, kind: rss, url: 'https://x.ru/rss', enabled: 'false'}",
         "source 'a' (rss): key 'enabled' must be true or false, not 'false' (a string)"),
        ("{name: a, kind: telegram, chanel: skoro}", "source 'a' (telegram): has unknown key 'chanel'"),
        ("{name: " + "a" * 300 + ", kind: rss, url: 'https://x.ru/rss'}", "key 'name' is 300 characters long (at most 100)"),
        ("{name: a, kind: telegram, channel: [skoro, other]}", "key 'channel' must be a channel's username"),
        ("{name: a, kind: rss, url: not a url}", "source 'a' (rss): key 'url' must be an http(s) URL, not 'not a url'"),
        ("{name: a, kind: rss, url: 'https://x.ru/rss', schedule: '61 * * * *'}",
         "key 'schedule' is not a valid cron string '61 * * * *': Bad minute"),
        ("{name: a, kind: rss, url: 'https://x.ru/rss', schedule: hourly}", "key 'schedule' is not a valid cron string"),
        ("{name: a, kind: telegram, channel: skoro, base_url: 't.me'}", "key 'base_url' must be an http(s) URL, not 't.me'"),
        ("{name: a, kind: vk, domain: x, api_version: 5.199}", "key 'api_version' must be a string, not a number (quote it)"),
        ("{name: a, kind: vk, domain: x, count: 500}", "key 'count' must be between 1 and 200"),
        ("{name: 'a b', kind: rss, url: 'https://x.ru/rss'}", "key 'name' must be letters, digits"),
        ("{name: off, kind: rss, url: 'https://x.ru/rss'}", "source False (rss): key 'name' must be a string, not False (a boolean)"),
    ],
)
def test_invalid_entries_are_refused_with_the_reason(tmp_path, entry, message):
    with pytest.raises(SourceConfigError, match=re.escape(message)) as err:
        read_sources_file(write(tmp_path, f"sources:\n  - {entry}\n"))
    assert "\n" not in str(err.value)  # one line


@pytest.mark.parametrize(
    "text, message",
    [
        ("source:\n  - {name: a, kind: rss, url: 'https://x.ru/rss'}\n", "expected a mapping with a `sources:` list .it has 'source'."),
        ("sources: []\nsorces: []\n", "unknown top-level key 'sorces'"),
        ("sources: {name: a}\n", "`sources:` must be a list of sources, not a mapping"),
        ("", "expected a mapping with a `sources:` list"),
    ],
)
def test_file_shape_is_checked(tmp_path, text, message):
    with pytest.raises(SourceConfigError, match=message):
        read_sources_file(write(tmp_path, text))


def test_non_utf8_file_is_refused_with_the_line(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_bytes("sources:\n  - {name: a, kind: rss, url: 'https://x.ru/rss', q: 'Скоро'}\n".encode("cp1251"))
    with pytest.raises(SourceConfigError, match=r"not UTF-8 text \(byte 0xd1 on line 2\): save it as UTF-8"):
        read_sources_file(path)


@pytest.mark.django_db
def test_a_bad_entry_loads_nothing(tmp_path):
    good = "  - {name: news, kind: rss, url: 'https://x.ru/rss'}\n"
    with pytest.raises(SourceConfigError, match="source 'tg' .telegram.: has unknown key 'chanel'"):
        sync_sources(write(tmp_path, "sources:\n" + good + "  - {name: tg, kind: telegram, chanel: x}\n"))
    assert not Source.objects.exists()


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
    cron = SourceForm(data={"name": "tg", "kind": "telegram", "config": '{"channel": "skoro"}', "schedule": "every hour",
                            "state": "{}", "enabled": True})
    assert not cron.is_valid() and "not a valid cron string" in cron.errors["schedule"][0]
    typo = SourceForm(data={"name": "tg", "kind": "telegram", "config": '{"chanel": "skoro"}', "schedule": "0 * * * *",
                            "state": "{}", "enabled": True})
    assert not typo.is_valid() and "unknown key 'chanel'" in typo.errors["config"][0]
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
