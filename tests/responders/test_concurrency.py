"""Twenty moderators claim and answer the same tickets at once: each ticket ends with exactly one owner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.responders.claim_race import make_fixture, race

ROOT = Path(__file__).resolve().parents[2]
WORKERS, TICKETS = 20, 10


def assert_one_owner(result: dict, ticket_ids) -> None:
    assert result["errors"] == []
    owners: dict[str, list[str]] = {}
    for name, ids in result["claimed"].items():
        for tid in ids:
            owners.setdefault(str(tid), []).append(name)
    assert sorted(owners) == sorted(str(t) for t in ticket_ids)
    for tid, state in result["state"].items():
        assert len(owners[tid]) == 1, f"ticket {tid} claimed by {owners[tid]}"
        owner = owners[tid][0]
        assert state["assignee"] == owner
        assert state["reply_authors"] == [owner] and state["reply_count"] == 1
        assert state["claims"] == 1
    replied = sorted(t for ids in result["replied"].values() for t in ids)
    assert replied == sorted(ticket_ids)
    # everybody else was refused: (workers - 1) claims and (workers - 1) replies per ticket
    assert result["conflicts"] == 2 * (WORKERS - 1) * len(ticket_ids)


@pytest.mark.django_db(transaction=True)
def test_claim_race_on_sqlite():
    ids, names = make_fixture(TICKETS, WORKERS)
    assert_one_owner(race(ids, names), ids)


@pytest.mark.postgres
def test_claim_race_on_postgresql():
    url = os.environ.get("OTKLIK_TEST_POSTGRES_URL")
    if not url:
        pytest.fail("OTKLIK_TEST_POSTGRES_URL is not set but this run requires PostgreSQL (scripts/ci-services.sh)")
    import psycopg

    name = f"otklik_race_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        db_url = url.rsplit("/", 1)[0] + "/" + name
        env = {**os.environ, "DATABASE_URL": db_url, "PYTHONPATH": str(ROOT)}
        proc = subprocess.run([sys.executable, "-m", "tests.responders.claim_race", str(TICKETS), str(WORKERS)],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        assert result["vendor"] == "postgresql"
        assert_one_owner(result, [int(t) for t in result["state"]])
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
