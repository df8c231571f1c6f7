"""The thread tests again on PostgreSQL (OTKLIK_TEST_POSTGRES_URL): routing there claims chunks
(`_route_claimed`) and several routers run at once, which the SQLite run never exercises."""

from __future__ import annotations

import re

import pytest

from tests.postgres_rerun import rerun_on_postgres

THREAD_TESTS = ("tests/store/test_threads.py", "tests/responders/test_threads.py",
                "tests/responders/test_threads_race.py", "tests/responders/test_threads_e2e.py")


@pytest.mark.postgres
def test_thread_tests_on_postgres():
    proc, tail = rerun_on_postgres(*THREAD_TESTS, "-rs")
    assert proc.returncode == 0, tail
    assert re.search(r"\d+ passed", proc.stdout) and " skipped" not in proc.stdout, tail  # all of them ran there
