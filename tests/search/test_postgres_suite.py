"""Run the search suite again on PostgreSQL (its full-text backend) when OTKLIK_TEST_POSTGRES_URL is set.

The main run uses SQLite, and Django's database is chosen once per process, so the PostgreSQL
backend gets its own pytest process on that server (in a test database Django creates and drops).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.search.conftest import SKIP_PG

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
def test_search_suite_on_postgres():
    url = os.environ.get("OTKLIK_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("PostgreSQL: OTKLIK_TEST_POSTGRES_URL is not set")
    if connection.vendor == "postgresql":
        pytest.skip("this run is already on PostgreSQL: the backend tests ran directly")
    env = {**os.environ, "DATABASE_URL": url, "OTKLIK_TEST_KEEP_DATABASE_URL": "1"}
    env.pop("OTKLIK_HOME", None)  # the child makes its own isolated home
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "ignore::UserWarning",
         str(ROOT / "tests" / "search"), "--deselect", f"{Path(__file__).relative_to(ROOT)}::test_search_suite_on_postgres"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    tail = proc.stdout[-3000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, tail
    assert re.search(r"\d+ passed", proc.stdout), tail
    assert SKIP_PG not in proc.stdout, tail  # the PostgreSQL backend really ran there
