"""When a task failure is worth retrying: transient infrastructure errors, never bugs."""

from __future__ import annotations

TRANSIENT_MARKERS = ("database is locked", "could not connect", "connection refused", "timed out",
                     "server closed the connection", "temporarily unavailable")


def is_transient(exc: BaseException) -> bool:
    """True for errors a retry can fix: a locked or unreachable database, a network hiccup, a dead child process."""
    from django.db import InterfaceError, OperationalError

    from crawlers.runner import CrawlFailed

    if isinstance(exc, (OperationalError, InterfaceError, ConnectionError, TimeoutError)):
        return True
    if isinstance(exc, CrawlFailed):
        return "gave no result" in str(exc)  # the child died (killed, OOM): the crawl itself is idempotent
    return any(m in str(exc).lower() for m in TRANSIENT_MARKERS)


def retry_transient(task, task_run, state) -> bool:
    """Prefect retry_condition_fn: retry only transient failures."""
    try:
        state.result()
    except Exception as exc:  # noqa: BLE001 - the state's exception is what we classify
        return is_transient(exc)
    return False
