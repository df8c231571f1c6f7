"""Two PostgreSQL test runs at once each get their own test database, and each drops its own at the end."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.postgres
def test_two_postgres_runs_at_once_use_and_drop_their_own_databases():
    url = os.environ.get("OTKLIK_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("OTKLIK_REQUIRE_SERVICES") == "1":
            pytest.fail("OTKLIK_TEST_POSTGRES_URL is not set but this run requires PostgreSQL (scripts/ci-services.sh)")
        pytest.skip("PostgreSQL: OTKLIK_TEST_POSTGRES_URL is not set (scripts/ci-services.sh)")
    import psycopg

    env = {**os.environ, "DATABASE_URL": url, "OTKLIK_TEST_KEEP_DATABASE_URL": "1"}
    env.pop("OTKLIK_HOME", None)
    cmd = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
           str(ROOT / "tests" / "pg_name_probe.py")]
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(2)]
    names = []
    for proc in procs:
        out, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, out[-3000:]
        found = re.findall(r"TEST-DATABASE (\S+)", out)
        assert found == [f"test_{url.rsplit('/', 1)[1]}_{proc.pid}"], out[-3000:]
        names += found
    assert names[0] != names[1]
    with psycopg.connect(url) as conn:
        left = conn.execute("SELECT datname FROM pg_database WHERE datname = ANY(%s)", (names,)).fetchall()
    assert left == []  # each run dropped its own
