"""Checks before work starts: every place a run writes to must be writable, or the run stops with one line."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click


def check_writable_dir(path: str | Path, what: str) -> Path:
    """Create `path` if needed and write a file into it; a ClickException naming the path and the cause if not."""
    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=p, prefix=".otklik-write-check-"):
            pass
    except OSError as exc:
        raise click.ClickException(f"нельзя писать в {what} {p}: {exc.strerror or exc}") from None
    return p


def check_database_writable() -> None:
    """A read-only database (file, folder, mount or replica) fails here, before any work, in one line."""
    from django.db import DatabaseError, connection

    from otklik.clitools import database_label

    try:
        if connection.vendor == "sqlite":
            _sqlite_probe(Path(connection.settings_dict["NAME"]))
        else:
            with connection.cursor() as cur:
                cur.execute("SHOW transaction_read_only")
                if cur.fetchone()[0] == "on":
                    raise DatabaseError("the server accepts only reads (transaction_read_only = on)")
    except DatabaseError as exc:
        raise click.ClickException(f"нельзя писать в базу данных {database_label()}: {exc}".strip()) from None


def _sqlite_probe(db: Path) -> None:
    """SQLite reports a read-only file only at a real write: write and roll back one row in its own connection."""
    import sqlite3

    from django.db import DatabaseError

    conn = sqlite3.connect(db, timeout=30, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO django_migrations (app, name, applied) VALUES ('otklik', 'write-check', '2000-01-01')")
        conn.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        raise DatabaseError(str(exc)) from None
    finally:
        conn.close()
