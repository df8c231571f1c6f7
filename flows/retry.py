"""When a task failure is worth retrying: transient infrastructure errors, never bugs."""

from __future__ import annotations

TRANSIENT_MARKERS = ("database is locked", "could not connect", "connection refused", "timed out",
                     "server closed the connection", "temporarily unavailable")
# Configuration errors that no retry fixes, although the driver reports them as OperationalError.
PERMANENT_MARKERS = ("unable to open database file", "no such table", "password authentication failed",
                     "does not exist", "readonly database")


def is_transient(exc: BaseException) -> bool:
    """True for errors a retry can fix: a locked or unreachable database or search index, a network hiccup, a dead
    child process. A missing database file or table, a refused login, a full disk or a read-only file is
    permanent."""
    from django.db import InterfaceError, OperationalError

    from crawlers.runner import CrawlFailed
    from search.query import BackendUnavailable

    from store.faults import is_machine_fault

    message = str(exc).lower()
    if any(m in message for m in PERMANENT_MARKERS) or is_machine_fault(exc):
        return False  # a full disk or a read-only file stays so until a person fixes it
    if isinstance(exc, (OperationalError, InterfaceError, ConnectionError, TimeoutError, BackendUnavailable)):
        return True
    if isinstance(exc, CrawlFailed):
        return "gave no result" in str(exc)  # the child died (killed, OOM): the crawl itself is idempotent
    return any(m in message for m in TRANSIENT_MARKERS)


def retry_transient(task, task_run, state) -> bool:
    """Prefect retry_condition_fn: retry only transient failures."""
    try:
        state.result()
    except Exception as exc:  # noqa: BLE001 - the state's exception is what we classify
        return is_transient(exc)
    return False
