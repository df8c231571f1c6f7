"""Test-wide set-up: an isolated OTKLIK_HOME, a file-backed test database the crawler child process can share."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

_HOME = Path(tempfile.mkdtemp(prefix="otklik-test-"))
os.environ["OTKLIK_HOME"] = str(_HOME)
os.environ.setdefault("PREFECT_HOME", str(_HOME / "prefect"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# Short Prefect retry delays (flows.tasks.BACKOFF): the fault tests wait for real retries.
os.environ.setdefault("OTKLIK_RETRY_DELAYS", "0.5,1,2")
os.environ.pop("DATABASE_URL", None) if os.environ.get("OTKLIK_TEST_KEEP_DATABASE_URL") != "1" else None


@pytest.fixture
def shared_db(transactional_db, monkeypatch):
    """A database that child processes (the crawler) can open too: point DATABASE_URL at it."""
    from django.db import connection

    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        monkeypatch.setenv("DATABASE_URL", f"sqlite:///{name}")
    elif os.environ.get("DATABASE_URL"):  # PostgreSQL: the same server, the test database Django created
        from urllib.parse import urlsplit

        monkeypatch.setenv("DATABASE_URL", urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}").geturl())
    return name


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """A server database (PostgreSQL) gets a test database named for this process (`test_<name>_<pid>`).

    Django's default `test_<name>` is one name per server: two runs at once (two checkouts, CI and a developer)
    would drop each other's database. Django still creates it at the start and drops it at the end."""
    from django.conf import settings

    for db in settings.DATABASES.values():
        if db["ENGINE"] != "django.db.backends.sqlite3":
            test = db.setdefault("TEST", {})
            test["NAME"] = f"{test.get('NAME') or 'test_' + db['NAME']}_{os.getpid()}"
