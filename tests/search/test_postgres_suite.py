"""Run the search suite again on PostgreSQL (its full-text backend) when OTKLIK_TEST_POSTGRES_URL is set.

The main run uses SQLite, and Django's database is chosen once per process, so the PostgreSQL
backend gets its own pytest process on that server (in a test database Django creates and drops).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.postgres_rerun import ROOT, rerun_on_postgres
from tests.search.conftest import SKIP_PG


@pytest.mark.postgres
def test_search_suite_on_postgres():
    proc, tail = rerun_on_postgres(str(ROOT / "tests" / "search"),
                                   "--deselect", f"{Path(__file__).relative_to(ROOT)}::test_search_suite_on_postgres")
    assert proc.returncode == 0, tail
    assert re.search(r"\d+ passed", proc.stdout), tail
    assert SKIP_PG not in proc.stdout, tail  # the PostgreSQL backend really ran there
