"""Machine faults (full disk, read-only or unwritable files) as one line for the person running the command."""

from __future__ import annotations

import errno
import logging

FAULTS = {
    errno.ENOSPC: "диск заполнен",
    errno.EDQUOT: "превышена дисковая квота",
    errno.EROFS: "файловая система только для чтения",
    errno.EACCES: "нет прав на запись",
    errno.EPERM: "нет прав на запись",
}
# SQLite reports the same faults as OperationalError text, without an errno.
MESSAGES = {
    "database or disk is full": "диск заполнен",
    "disk i/o error": "ошибка ввода-вывода диска",
    "readonly database": "база данных только для чтения",
    "no space left on device": "диск заполнен",
    "read-only file system": "файловая система только для чтения",
}


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def machine_fault(exc: BaseException, database: str = "") -> str | None:
    """One line naming the path and the cause when `exc` (or what caused it) is a machine fault, else None."""
    for e in _chain(exc):
        if isinstance(e, OSError) and e.errno in FAULTS:
            where = e.filename or "?"
            return f"{FAULTS[e.errno]}: {where} ({e.strerror})"
        text = str(e).lower()
        for marker, what in MESSAGES.items():
            if marker in text:
                return f"{what}: база данных {database} ({str(e).splitlines()[0][:200]})"
    return None


def is_machine_fault(exc: BaseException) -> bool:
    return machine_fault(exc) is not None


class MachineFaultFilter(logging.Filter):
    """Keep a log record's message but drop its traceback when its exception is a machine fault: a full disk
    logged by every task, retry and crawl batch would otherwise bury the one line that names it."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and is_machine_fault(exc):
            record.msg, record.args = f"{record.getMessage()[:300]} — {type(exc).__name__}: {exc}", None
            record.exc_info = record.exc_text = None
        return True


def quiet_machine_faults(*logger_names: str) -> None:
    """Install MachineFaultFilter on the handlers of the root logger and of `logger_names` (e.g. "prefect")."""
    for name in ("", *logger_names):
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, MachineFaultFilter) for f in handler.filters):
                handler.addFilter(MachineFaultFilter())
