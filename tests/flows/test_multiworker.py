"""Several workers share classification, routing and the search outbox on PostgreSQL, one of them SIGKILLed.

Per stage two worker processes start at the same moment; one dies (SIGKILL, by a failpoint) right after
claiming its second chunk, holding the chunk's leases. The survivor waits for those leases to expire and takes
the chunk over. Every worker prints what it committed, chunk by chunk, so the sum over the workers counts
every piece of work done: it must equal the rows in the database (nothing done twice) and the rows must
cover every mention (nothing lost)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MENTIONS, CHUNK = 400, 10


@pytest.fixture
def pg_database():
    url = os.environ.get("OTKLIK_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("OTKLIK_REQUIRE_SERVICES") == "1":
            pytest.fail("OTKLIK_TEST_POSTGRES_URL is not set but this run requires PostgreSQL (scripts/ci-services.sh)")
        pytest.skip("PostgreSQL: OTKLIK_TEST_POSTGRES_URL is not set (scripts/ci-services.sh)")
    import psycopg

    name = f"otklik_workers_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _env(db_url: str, home: Path, failpoint: str | None = None) -> dict:
    env = {**os.environ, "DATABASE_URL": db_url, "OTKLIK_HOME": str(home), "PYTHONPATH": str(ROOT),
           "OTKLIK_LEASE_SECONDS": "2", "OTKLIK_SEARCH_AUTO_SYNC": "0"}
    env.pop("OTKLIK_FAILPOINT", None)
    env.pop("ELASTICSEARCH_URL", None)
    if failpoint:
        env["OTKLIK_FAILPOINT"] = failpoint
    return env


def _run(env: dict, *args: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "tests.flows.scale_worker", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _stage(db_url: str, home: Path, stage: str, victim: bool) -> list[dict]:
    """Run two workers of `stage` at once; with `victim`, the second dies after its second claim."""
    folder = home / stage
    folder.mkdir()
    procs = []
    for name in ("a", "b"):
        failpoint = f"claims.{stage}:2" if victim and name == "b" else None
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "tests.flows.scale_worker", "work", stage, str(CHUNK), str(folder), name],
            cwd=ROOT, env=_env(db_url, home, failpoint), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True))  # the failpoint kills its whole process group: this worker only
    deadline = time.monotonic() + 120
    while len(list(folder.glob("ready-*"))) < 2 and time.monotonic() < deadline:
        assert all(p.poll() is None for p in procs), [p.communicate()[1][-2000:] for p in procs]
        time.sleep(0.05)
    (folder / "go").touch()
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=300)
        lines = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
        out.append({"rc": p.returncode, "committed": sum(x.get("done", 0) for x in lines), "stderr": stderr[-2000:],
                    "finished": any("total" in x for x in lines)})
    return out


@pytest.mark.postgres
@pytest.mark.parametrize("killed_in", ["classify", "route", "index"])
def test_two_workers_one_killed_nothing_lost_nothing_done_twice(pg_database, tmp_path, killed_in):
    env = _env(pg_database, tmp_path)
    fixture = _run(env, "setup", str(MENTIONS))
    assert fixture == {"mentions": MENTIONS, "copies": MENTIONS // 50}
    committed, shared = {}, []
    for stage in ("classify", "route", "index"):
        a, b = _stage(pg_database, tmp_path, stage, victim=stage == killed_in)
        assert a["rc"] == 0 and a["finished"], a["stderr"]
        if stage == killed_in:
            assert b["rc"] == -signal.SIGKILL and not b["finished"], b
            assert b["committed"] == CHUNK  # its first chunk; the second was claimed, then the worker died
        else:
            assert b["rc"] == 0 and b["finished"], b["stderr"]
            shared.append(a["committed"] > 0 and b["committed"] > 0)
        committed[stage] = a["committed"] + b["committed"]
    assert any(shared), "in every stage one worker did everything: nothing ran side by side"
    state = _run(env, "check")
    assert state["vendor"] == "postgresql"
    originals = MENTIONS - MENTIONS // 50
    # Nothing lost: every mention classified and indexed, every original routed, no lease or outbox row left.
    assert state["classified_mentions"] == MENTIONS and state["tickets"] == originals
    assert state["indexed"] == MENTIONS and state["outbox"] == 0 and state["leases"] == 0, state
    # Nothing done twice: the work the workers committed adds up to exactly the rows written.
    assert state["classified_twice"] == 0
    assert committed == {"classify": MENTIONS, "route": originals, "index": MENTIONS}


@pytest.mark.postgres
def test_a_claim_that_waited_for_an_expired_owner_keeps_no_lease_on_its_finished_work(pg_database, tmp_path):
    """A lease expired while its owner was committing (a stalled worker): the next claim waits for that commit
    on the lease row and must then see the work done, not keep a lease on it forever (nobody would end it)."""
    state = _run(_env(pg_database, tmp_path), "race")
    assert state == {"first": 4, "waited": True, "claimed_again": [], "leases": 0, "classified": 4}
