"""Infrastructure faults during the batch: each ends in a clear error or a retry, and nothing is lost.

The batch runs in-process over the mini snapshot (4 sources, 11 mentions) with the rule classifier; retry
delays are short (OTKLIK_RETRY_DELAYS, set in tests/conftest.py).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from django.db import connections

from classifiers.registry import DEFAULT_MODEL_DIR
from crawlers.snapshot_server import SnapshotServer
from flows.batch import batch_flow
from responders.models import Ticket
from search.models import IndexOutbox, SearchDocument
from search.services.sync import sync
from store.models import Classification, Mention, QuarantinedItem, Source
from tests.flows.mini import MINI, SOURCES

MENTIONS = 11
FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "RETRY_TIMES": 0}
pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def snapshot():
    with SnapshotServer(MINI) as server:
        yield server


@pytest.fixture
def run(shared_db, snapshot, tmp_path, monkeypatch):
    """Run the batch over the mini snapshot: run(model=…) → the batch's result."""
    monkeypatch.setenv("OTKLIK_MODEL", "rules")
    sources = tmp_path / "sources.yaml"
    sources.write_text(SOURCES)

    def go(**kw):
        kw.setdefault("alerts", False)
        return batch_flow(sources_file=str(sources), crawl_settings={**FAST, "OTKLIK_SNAPSHOT_URL": snapshot.url},
                          **kw)

    return go


def test_locked_database_is_retried_and_the_batch_completes(run, shared_db, monkeypatch):
    # Writers give up after 1 s (not 30 s) so the 3 s lock outlasts the wait and the task must retry.
    monkeypatch.setenv("OTKLIK_SQLITE_TIMEOUT", "1")
    monkeypatch.setitem(connections["default"].settings_dict["OPTIONS"], "timeout", 1)
    connections["default"].close()
    held = threading.Event()

    def hold_lock():
        db = sqlite3.connect(shared_db, isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        held.set()
        time.sleep(3)
        db.execute("COMMIT")
        db.close()

    locker = threading.Thread(target=hold_lock)
    locker.start()
    held.wait(5)
    started = time.monotonic()
    result = run()
    locker.join()
    assert time.monotonic() - started > 2.5  # it waited out the lock instead of failing
    assert Mention.objects.count() == MENTIONS and result["classify"]["classified"] == MENTIONS
    assert Ticket.objects.count() == MENTIONS


@pytest.mark.parametrize("url", ["sqlite:///{tmp}/missing/dir/db.sqlite3", "postgresql://otklik:x@127.0.0.1:9/otklik"],
                         ids=["sqlite-missing-dir", "postgres-closed-port"])
def test_unavailable_database_fails_clearly(url, tmp_path):
    from prefect.settings import PREFECT_API_URL

    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "OTKLIK_HOME": str(home), "DATABASE_URL": url.format(tmp=tmp_path),
           "PREFECT_API_URL": PREFECT_API_URL.value(), "OTKLIK_MODEL": "rules"}
    sources = tmp_path / "sources.yaml"
    sources.write_text(SOURCES)
    proc = subprocess.run([sys.executable, "-m", "otklik", "batch", "--sources-file", str(sources), "--no-alerts"],
                          env=env, capture_output=True, text=True, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "database" in out.lower() and ("unable to open database file" in out or "127.0.0.1" in out), out[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert not (tmp_path / "missing").exists()  # no partial garbage


def test_unreachable_search_index_keeps_the_outbox_until_it_is_back(run, settings, monkeypatch):
    closed = "http://127.0.0.1:9"  # nothing listens on the discard port
    monkeypatch.setenv("ELASTICSEARCH_URL", closed)  # the crawl child
    settings.OTKLIK_SEARCH = {**settings.OTKLIK_SEARCH, "BACKEND": "elasticsearch", "ELASTICSEARCH_URL": closed,
                              "TIMEOUT": 1}
    # An alert whose delivery failed last hour: the alert check retries it, whatever the index does.
    from django.utils import timezone

    from reports.models import Alert

    now = timezone.now()
    pending = Alert.objects.create(kind="spike", topic="delivery_delay", spike_start=now, peak_at=now, peak_count=9,
                                   baseline=2.0, status=Alert.Status.FAILED)
    with pytest.raises(Exception, match="Elasticsearch") as failed:
        run(alerts=True)
    assert "127.0.0.1:9" in str(failed.value) or "Connection" in str(failed.value)
    pending.refresh_from_db()
    assert pending.attempts == 1  # the alert check ran although the index stage had failed
    # Everything before the index stage is done; every mention waits in the outbox.
    assert Mention.objects.count() == MENTIONS and Classification.objects.count() == MENTIONS
    assert Ticket.objects.count() == MENTIONS
    waiting = set(IndexOutbox.objects.values_list("mention_id", flat=True))
    assert waiting == set(Mention.objects.values_list("id", flat=True))
    assert not SearchDocument.objects.exists()

    # The index is back (here: the embedded FTS5 index): one sync indexes each mention once, a second finds nothing.
    settings.OTKLIK_SEARCH = {**settings.OTKLIK_SEARCH, "BACKEND": "sqlite", "ELASTICSEARCH_URL": ""}
    monkeypatch.delenv("ELASTICSEARCH_URL")
    first = sync()
    assert first.indexed == MENTIONS and first.pending == 0 and first.failed == 0
    assert SearchDocument.objects.count() == MENTIONS
    assert sync().indexed == 0
    rerun = run()
    assert rerun["index"]["indexed"] == 0 and SearchDocument.objects.count() == MENTIONS


def test_spider_crash_mid_crawl_spares_the_other_sources_and_a_rerun_picks_up(run, monkeypatch):
    monkeypatch.setenv("OTKLIK_FAILPOINT", "spider.item:2:raise")  # the crawl child raises on its 2nd item
    first = run()
    crashed = [name for name, s in first["crawl"].items() if s["errors"]]
    assert len(crashed) == 1, first["crawl"]
    source = Source.objects.get(name=crashed[0])
    assert "spider error" in source.last_status and source.state == {}  # visible, and its state was kept
    assert QuarantinedItem.objects.filter(source=source, reason__contains="FailpointError").exists()
    assert all(s["ok"] for name, s in first["crawl"].items() if name != crashed[0])
    assert Mention.objects.count() < MENTIONS

    monkeypatch.delenv("OTKLIK_FAILPOINT")
    second = run()
    assert all(s["ok"] for s in second["crawl"].values())
    assert Mention.objects.count() == MENTIONS and Ticket.objects.count() == MENTIONS


def test_broken_model_fails_naming_the_path_and_a_good_model_classifies_everything(run, tmp_path):
    from classifiers.registry import ModelLoadError, load_classifier

    bad = tmp_path / "broken-model"
    shutil.copytree(DEFAULT_MODEL_DIR, bad)
    weights = bad / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:4096])  # truncated mid-download
    with pytest.raises(ModelLoadError, match=str(bad)):
        run(model=str(bad))
    assert Mention.objects.count() == MENTIONS  # the crawl before it stands
    assert not Classification.objects.exists() and not Ticket.objects.exists()  # nothing half-written

    (bad / "config.json").unlink()
    with pytest.raises(FileNotFoundError, match=f"config.json.*{bad}"):
        load_classifier(bad)

    result = run(model="rules")
    assert result["classify"]["classified"] == MENTIONS and Ticket.objects.count() == MENTIONS
