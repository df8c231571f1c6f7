"""No secret at rest: a VK token never reaches the database, the quarantine, the statuses or the logs."""

from __future__ import annotations

import pytest
from django.db import connection

from crawlers.fakeweb import FakeWeb, Reply
from crawlers.runner import crawl
from store.models import QuarantinedItem, Source
from crawlers.sources import crawl_specs, sync_sources
from tests.crawlers.realweb import PAGES, needs_real_pages

TOKEN = "vk1.a.Zq9SecretTokenValue-42"
OTHER = "another-Secret-Value-77"


def _wall(query: dict[str, str]) -> Reply:
    domain = query.get("domain")
    if domain == "realty":  # the real "Access denied" answer
        return Reply((PAGES / "vk_error_15_wall_get_realty.json").read_bytes(), content_type="application/json")
    if domain == "down":
        return Reply("<h1>502</h1>", status=502)
    # A proxy's error page that echoes the whole request, token included.
    return Reply(f"<html>Bad gateway for /method/wall.get?access_token={query.get('access_token')}</html>", status=200)


@needs_real_pages
def test_tokens_never_stored_printed_or_logged(shared_db, tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("VK_TOKEN", TOKEN)
    monkeypatch.setenv("OTKLIK_VK_OTHER", OTHER)
    with FakeWeb() as web:
        web.add("https://api.vk.com/method/wall.get", _wall)
        base = f"{web.url}/api.vk.com"
        path = tmp_path / "sources.yaml"
        path.write_text(
            "sources:\n"
            f"  - {{name: vk-denied, kind: vk, domain: realty, base_url: '{base}'}}\n"
            f"  - {{name: vk-down, kind: vk, domain: down, base_url: '{base}'}}\n"
            f"  - {{name: vk-echo, kind: vk, domain: echo, base_url: '{base}', token_env: OTKLIK_VK_OTHER}}\n",
            encoding="utf-8",
        )
        sync_sources(path)
        stats = crawl(crawl_specs(), settings={"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "RETRY_TIMES": 1,
                                               "RETRY_BACKOFF_BASE": 0.01, "LOG_LEVEL": "DEBUG"}).per_source
        sent = [h.url for h in web.hits if "wall.get" in h.url]
    assert not any(s["ok"] for s in stats.values())
    # The requests themselves carried the tokens: redaction is only for what is kept and shown.
    assert any(f"access_token={TOKEN}" in u for u in sent) and any(f"access_token={OTHER}" in u for u in sent)

    rows = {q.source.name: q for q in QuarantinedItem.objects.select_related("source")}
    assert rows["vk-denied"].reason == "VK API error 15: Access denied: token required"
    assert "access_token=***" in rows["vk-denied"].url
    assert rows["vk-down"].reason == "request failed: HTTP 502"
    assert rows["vk-echo"].payload == "<html>Bad gateway for /method/wall.get?access_token=***</html>"
    out, err = capfd.readouterr()
    assert "Gave up retrying" in err and "access_token=***" in err  # the logs are there, redacted
    everything = [out, err, *(s.last_status for s in Source.objects.all()), *(str(s.state) for s in Source.objects.all())]
    everything += [f"{q.url} {q.reason} {q.payload}" for q in rows.values()]
    with connection.cursor() as cur:  # every text column of every table
        for table in connection.introspection.table_names():
            cur.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from the schema itself
            everything += [str(row) for row in cur.fetchall()]
    for secret in (TOKEN, OTHER):
        assert not [t for t in everything if secret in t], secret
