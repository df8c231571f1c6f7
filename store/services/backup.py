"""Consistent copies of the database while the desk and the batch keep working.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies the whole database in one step inside one
read transaction; in WAL mode writers carry on meanwhile and the copy is the database as of that transaction's
start. The copy is written to FILE.partial, checked with `PRAGMA integrity_check`, then renamed to FILE.
PostgreSQL: `pg_dump` does the same (see docs/reliability.md); `backup_database` refuses with that advice.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


class BackupError(RuntimeError):
    """The backup could not be made; nothing was left at the target path."""


@dataclass
class BackupResult:
    path: Path
    bytes: int
    tables: int
    mentions: int


def default_backup_path() -> Path:
    from store.paths import home

    return home() / "backups" / f"otklik-{datetime.now():%Y%m%d-%H%M%S}.sqlite3"


def backup_database(target: str | Path | None = None) -> BackupResult:
    """Copy the default database to `target` (default: $OTKLIK_HOME/backups/otklik-<time>.sqlite3)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        raise BackupError("резервная копия PostgreSQL делается его средствами: "
                          "pg_dump --format=custom --file=otklik.dump \"$DATABASE_URL\" (docs/reliability.md)")
    source = Path(connection.settings_dict["NAME"]).resolve()
    dest = Path(target) if target else default_backup_path()
    if dest.exists() and dest.resolve() == source:
        raise BackupError(f"{dest} — это сама база данных: укажите другой файл")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)  # all pages in one step: one consistent snapshot
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"копия не прошла проверку целостности: {check}")
            tables = dst.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
            mentions = dst.execute("SELECT COUNT(*) FROM store_mention").fetchone()[0]
        finally:
            dst.close()
    except (sqlite3.Error, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"резервная копия {source} → {dest} не сделана: {exc}") from None
    finally:
        src.close()
    os.replace(partial, dest)
    return BackupResult(path=dest, bytes=dest.stat().st_size, tables=tables, mentions=mentions)
