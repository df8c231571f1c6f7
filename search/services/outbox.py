"""Record which mentions need reindexing, in the caller's transaction; optionally drain right after commit."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction

from search.models import IndexOutbox

log = logging.getLogger(__name__)


def enqueue(mention_ids: Iterable[int], reason: str) -> int:
    """Add one outbox row per mention id; they commit or roll back with the caller's transaction."""
    ids = sorted({int(i) for i in mention_ids if i})
    if not ids:
        return 0
    IndexOutbox.objects.bulk_create([IndexOutbox(mention_id=i, reason=reason[:20]) for i in ids])
    from search.backends import auto_sync_enabled

    if auto_sync_enabled():
        transaction.on_commit(lambda: _drain_after_commit(ids))
    return len(ids)


def _drain_after_commit(ids: list[int]) -> None:
    """Index these mentions now; on any failure the rows stay for `otklik index sync`."""
    from search.services.sync import sync

    try:
        sync(mention_ids=ids)
    except Exception as exc:  # noqa: BLE001 - the write already committed; indexing is retried later
        log.warning("search index update deferred for %d mention(s): %s", len(ids), exc)
