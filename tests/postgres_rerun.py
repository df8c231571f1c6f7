"""Rerun tests in a child pytest on PostgreSQL: Django picks its database once per process, and the main run
uses SQLite. The child gets its own test database (created and dropped by Django) and its own OTKLIK_HOME."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def rerun_on_postgres(*pytest_args: str, timeout: int = 600) -> tuple[subprocess.CompletedProcess, str]:
    """Run `pytest_args` on OTKLIK_TEST_POSTGRES_URL; return the process and the tail of its output.

    Skips when no URL is set, or when this run already is on PostgreSQL (the tests ran directly)."""
    url = os.environ.get("OTKLIK_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("PostgreSQL: OTKLIK_TEST_POSTGRES_URL is not set")
    if connection.vendor == "postgresql":
        pytest.skip("this run is already on PostgreSQL: the tests ran directly")
    env = {**os.environ, "DATABASE_URL": url, "OTKLIK_TEST_KEEP_DATABASE_URL": "1"}
    env.pop("OTKLIK_HOME", None)  # the child makes its own isolated home
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "ignore::UserWarning", *pytest_args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )
    return proc, proc.stdout[-4000:] + proc.stderr[-2000:]
