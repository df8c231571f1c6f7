"""SIGKILL the batch mid-crawl, mid-classification and mid-routing, rerun it: the database ends exactly as after
an uninterrupted run — nothing lost, nothing duplicated. The batch runs as a separate process (`otklik batch`)
in its own process group; a failpoint kills the whole group, crawl child included."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crawlers.snapshot_server import SnapshotServer
from tests.flows.mini import MINI, SOURCES


def run_batch(home: Path, snapshot_url: str, api_url: str, failpoint: str | None = None) -> int:
    env = {**os.environ, "OTKLIK_HOME": str(home), "DATABASE_URL": f"sqlite:///{home / 'db.sqlite3'}",
           "OTKLIK_SNAPSHOT_URL": snapshot_url, "PREFECT_API_URL": api_url, "OTKLIK_MODEL": "rules"}
    env.pop("OTKLIK_FAILPOINT", None)
    if failpoint:
        env["OTKLIK_FAILPOINT"] = failpoint
    sources = home / "sources.yaml"
    sources.write_text(SOURCES)
    cmd = [sys.executable, "-m", "otklik", "batch", "--sources-file", str(sources), "--classify-batch-size", "4",
           "--no-alerts"]
    proc = subprocess.run(cmd, env=env, start_new_session=True, capture_output=True, text=True, timeout=300)
    if proc.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(f"batch failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc.returncode


def state(home: Path) -> dict[str, set]:
    """Everything the batch writes, keyed by stable identities (not database ids)."""
    db = sqlite3.connect(home / "db.sqlite3")
    key = "s.name || ':' || m.external_id"
    q = lambda sql: set(db.execute(sql).fetchall())  # noqa: E731
    out = {
        "mentions": q(f"""SELECT {key}, COALESCE((SELECT s2.name || ':' || d.external_id FROM store_mention d
                          JOIN store_source s2 ON s2.id = d.source_id WHERE d.id = m.duplicate_of_id), '')
                          FROM store_mention m JOIN store_source s ON s.id = m.source_id"""),
        "classifications": q(f"""SELECT {key}, c.model_version, c.sentiment, c.topics FROM store_classification c
                                 JOIN store_mention m ON m.id = c.mention_id JOIN store_source s ON s.id = m.source_id"""),
        "tickets": q(f"""SELECT {key}, t.kind, t.state, t.topic, t.resolution_due FROM responders_ticket t
                         JOIN store_mention m ON m.id = t.mention_id JOIN store_source s ON s.id = m.source_id"""),
        "order_links": q(f"""SELECT {key}, o.order_number FROM responders_ticketorderlink l
                             JOIN responders_ticket t ON t.id = l.ticket_id JOIN store_mention m ON m.id = t.mention_id
                             JOIN store_source s ON s.id = m.source_id JOIN store_order o ON o.id = l.order_id"""),
        "rows": {(table, db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
                 for table in ("store_mention", "store_classification", "responders_ticket", "responders_ticketevent",
                               "responders_ticketorderlink")},
    }
    db.close()
    return out


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120), SnapshotServer(MINI) as server:
        api_url = PREFECT_API_URL.value()
        baseline = tmp_path_factory.mktemp("baseline")
        assert run_batch(baseline, server.url, api_url) == 0
        yield {"snapshot": server.url, "api": api_url, "baseline": state(baseline), "tmp": tmp_path_factory}


def test_baseline_stored_everything(env):
    rows = dict(env["baseline"]["rows"])
    # appstore 3 + telegram 3 + VK wall 3 (a repost resolved to its original) + RSS 2
    assert rows["store_mention"] == 11 and rows["responders_ticket"] == 11
    assert rows["store_classification"] == 11


@pytest.mark.parametrize("failpoint", ["crawl.item:5", "classify.batch:2", "route.ticket:5"])
def test_killed_batch_rerun_matches_an_uninterrupted_run(env, failpoint):
    home = env["tmp"].mktemp(failpoint.replace(":", "-"))
    assert run_batch(home, env["snapshot"], env["api"], failpoint) == -signal.SIGKILL
    partial = state(home)
    assert partial != env["baseline"], "the kill came too late to interrupt anything"
    assert run_batch(home, env["snapshot"], env["api"]) == 0
    assert state(home) == env["baseline"]


def test_backup_taken_mid_batch_restores(env):
    """`otklik backup` while a batch is paused mid-classification (some batches written, a desk could be writing):
    the copy passes SQLite's integrity check, and a batch rerun on the restored copy ends exactly as an
    uninterrupted run."""
    import shutil
    import time

    home = env["tmp"].mktemp("backup")
    sources = home / "sources.yaml"
    sources.write_text(SOURCES)
    db_env = {**os.environ, "OTKLIK_HOME": str(home), "DATABASE_URL": f"sqlite:///{home / 'db.sqlite3'}",
              "OTKLIK_SNAPSHOT_URL": env["snapshot"], "PREFECT_API_URL": env["api"], "OTKLIK_MODEL": "rules"}
    cmd = [sys.executable, "-m", "otklik", "batch", "--sources-file", str(sources), "--classify-batch-size", "4",
           "--no-alerts"]
    batch = subprocess.Popen(cmd, env={**db_env, "OTKLIK_FAILPOINT": "classify.batch:2:pause"},
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    flag = home / "failpoint-paused"
    deadline = time.monotonic() + 240
    while not flag.exists() and batch.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert flag.exists(), batch.communicate()[0][-3000:] if batch.poll() is not None else "never paused"
    copy = home / "backups" / "mid.sqlite3"
    proc = subprocess.run([sys.executable, "-m", "otklik", "backup", str(copy)], env={**db_env, "COLUMNS": "300"},
                          capture_output=True, text=True, timeout=120)
    flag.unlink()
    assert batch.wait(timeout=300) == 0
    assert proc.returncode == 0 and "проверка целостности пройдена" in proc.stdout, proc.stdout + proc.stderr
    assert not copy.with_name(copy.name + ".partial").exists()
    taken = state_of(copy)
    assert 0 < len(taken["classifications"]) < len(env["baseline"]["classifications"])  # really mid-batch
    assert state(home) == env["baseline"]

    restored = env["tmp"].mktemp("restored")
    shutil.copy(copy, restored / "db.sqlite3")  # the restore: the copy is a plain SQLite database file
    assert run_batch(restored, env["snapshot"], env["api"]) == 0
    assert state(restored) == env["baseline"]


def state_of(db_file: Path) -> dict[str, set]:
    """state() of a database file that is not in a home folder."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "db.sqlite3").write_bytes(db_file.read_bytes())
        return state(Path(tmp))
