"""`otklik index …` and `otklik search` over the embedded backend."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from otklik.cli import main
from search.models import IndexOutbox


@pytest.fixture
def embedded(db, settings):
    settings.OTKLIK_SEARCH = {**settings.OTKLIK_SEARCH, "ELASTICSEARCH_URL": "", "BACKEND": "auto"}
    from search.backends import get_backend

    get_backend().drop()


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_sync_status_search_stats(embedded, dataset):
    pending = IndexOutbox.objects.count()
    result = run("index", "status")
    assert result.exit_code == 0 and f"pending: {pending}" in result.output and "documents: 0" in result.output
    result = run("index", "sync")
    assert result.exit_code == 0 and "indexed 10" in result.output and "0 change(s) still pending" in result.output
    result = run("search", "посылки", "--source", "tg")
    assert result.exit_code == 0 and result.output.startswith("2 found")
    assert "Посылка задерживается" in result.output and "<mark>" not in result.output
    result = run("index", "stats", "--from", "2026-11-21")
    assert result.exit_code == 0 and result.output.startswith("5 classified mentions")


def test_rebuild(embedded, dataset):
    result = run("index", "rebuild", "--batch-size", "4")
    assert result.exit_code == 0 and "Indexed 10 of 10 mentions; 0 rejected" in result.output
    assert "documents: 10" in run("index", "status").output


def test_bad_date_is_a_usage_error(embedded):
    result = run("search", "x", "--from", "yesterday")
    assert result.exit_code == 2 and "is not a date" in result.output


def test_unreachable_elasticsearch_exits_non_zero(db, settings, closed_port, dataset):
    settings.OTKLIK_SEARCH = {**settings.OTKLIK_SEARCH, "ELASTICSEARCH_URL": f"http://127.0.0.1:{closed_port}",
                              "BACKEND": "auto", "TIMEOUT": 2}
    result = run("index", "sync")
    assert result.exit_code == 1 and "Nothing is lost" in result.output
    assert IndexOutbox.objects.count() >= 10
