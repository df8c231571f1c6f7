"""Drain the outbox into the index, rebuild the index from the database, report where indexing stands."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from search.backends import get_backend
from search.backends.base import Backend
from search.documents import build_documents, iter_documents
from search.models import IndexOutbox
from store.services.claims import claims_enabled, drain

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    """Delay before retrying a document that failed `attempts` times: 30 s doubling, at most an hour."""
    return min(BACKOFF_BASE * (2 ** max(0, attempts - 1)), BACKOFF_MAX)


@dataclass
class SyncStats:
    indexed: int = 0
    deleted: int = 0
    failed: int = 0
    pending: int = 0  # outbox rows left afterwards (failed ones waiting for their retry, or newer ones)
    errors: dict[int, str] = field(default_factory=dict)


def sync(
    backend: Backend | None = None,
    *,
    mention_ids: Iterable[int] | None = None,
    batch_size: int = 500,
    retry_failed: bool = False,
    progress: Callable[[int], None] | None = None,
) -> SyncStats:
    """Index the mentions named by outbox rows, oldest first, and delete the rows that made it.

    A document the index rejects keeps its row, with the error and a retry time; an unreachable index
    raises BackendUnavailable and leaves the current batch's rows untouched. Each row is visited once
    per call, so a call always ends. `retry_failed` ignores retry times.
    """
    backend = backend or get_backend()
    only = sorted(set(mention_ids)) if mention_ids is not None else None
    if claims_enabled():
        return _sync_claimed(backend, only, batch_size, retry_failed, progress)
    stats = SyncStats()
    last = 0
    while True:
        now = timezone.now()
        rows_qs = IndexOutbox.objects.filter(id__gt=last).order_by("id")
        if only is not None:
            rows_qs = rows_qs.filter(mention_id__in=only)
        if not retry_failed:
            rows_qs = rows_qs.filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
        rows = list(rows_qs.only("id", "mention_id", "attempts")[:batch_size])
        if not rows:
            break
        last = rows[-1].id
        ids = sorted({r.mention_id for r in rows})
        # Later due rows for the same mentions (a classification, then a ticket) are answered by this
        # document too: their changes committed before it is built, so it is written once, not per row.
        later = list(rows_qs.filter(id__gt=last, mention_id__in=ids).values_list("id", "mention_id"))
        docs = build_documents(ids)
        result = backend.apply([docs[i] for i in ids if i in docs], [i for i in ids if i not in docs])
        done = [r.id for r in rows if r.mention_id not in result.failed]
        done += [row_id for row_id, mention_id in later if mention_id not in result.failed]
        IndexOutbox.objects.filter(id__in=done).delete()
        failed = [r for r in rows if r.mention_id in result.failed]
        for r in failed:
            r.attempts += 1
            r.last_error = result.failed[r.mention_id]
            r.retry_at = now + backoff(r.attempts)
        IndexOutbox.objects.bulk_update(failed, ["attempts", "last_error", "retry_at"])
        stats.indexed += result.indexed
        stats.deleted += result.deleted
        stats.failed += len(result.failed)
        stats.errors.update(result.failed)
        if progress:
            progress(len(ids))
    stats.pending = IndexOutbox.objects.count()
    return stats


def _sync_claimed(backend: Backend, only: list[int] | None, batch_size: int, retry_failed: bool,
                  progress: Callable[[int], None] | None) -> SyncStats:
    """sync() on PostgreSQL: mentions are claimed in chunks, so several drains at once index each once."""
    stats = SyncStats()
    rows_qs = IndexOutbox.objects.all()
    if only is not None:
        rows_qs = rows_qs.filter(mention_id__in=only)
    if retry_failed:
        rows_qs.filter(retry_at__isnull=False).update(retry_at=None)
    # Rows failing in this call get a retry time in the future, so each is visited once per call.
    due = rows_qs.filter(Q(retry_at__isnull=True) | Q(retry_at__lte=timezone.now()))

    def process(lease) -> int:
        rows = list(due.filter(mention_id__in=lease.ids).only("id", "mention_id", "attempts"))
        docs = build_documents(lease.ids)
        result = backend.apply([docs[i] for i in lease.ids if i in docs], [i for i in lease.ids if i not in docs])
        now = timezone.now()
        with transaction.atomic():
            held = lease.held()
            # The rows read before the documents were built are answered by them; newer rows stay queued.
            IndexOutbox.objects.filter(id__in=[r.id for r in rows if r.mention_id in held
                                               and r.mention_id not in result.failed]).delete()
            failed = [r for r in rows if r.mention_id in held and r.mention_id in result.failed]
            for r in failed:
                r.attempts += 1
                r.last_error = result.failed[r.mention_id]
                r.retry_at = now + backoff(r.attempts)
            IndexOutbox.objects.bulk_update(failed, ["attempts", "last_error", "retry_at"])
            lease.release()
        stats.indexed += sum(1 for i in held if i in docs and i not in result.failed)
        stats.deleted += sum(1 for i in held if i not in docs and i not in result.failed)
        stats.failed += sum(1 for i in held if i in result.failed)
        stats.errors.update({i: e for i, e in result.failed.items() if i in held})
        if progress:
            progress(len(held))
        return sorted(held)

    # A drain for named mentions (after a commit) does not wait for other workers' chunks: they index them.
    drain("index", due, "mention_id", batch_size, process, wait=only is None)
    stats.pending = IndexOutbox.objects.count()
    return stats


@dataclass
class RebuildStats:
    indexed: int = 0
    failed: int = 0
    errors: dict[int, str] = field(default_factory=dict)


def rebuild(
    backend: Backend | None = None, *, batch_size: int = 1000, progress: Callable[[int], None] | None = None
) -> RebuildStats:
    """Reindex every mention from the database; searches keep working on the old index meanwhile.

    Documents the index rejects go to the outbox with their error, so `otklik index sync` retries them.
    """
    backend = backend or get_backend()
    stats = RebuildStats()
    token = backend.begin_rebuild()
    for docs in iter_documents(batch_size):
        result = backend.rebuild_batch(token, docs)
        if result.failed:
            now = timezone.now()
            IndexOutbox.objects.bulk_create([
                IndexOutbox(mention_id=i, reason="rebuild", attempts=1, last_error=err, retry_at=now)
                for i, err in result.failed.items()
            ])
        stats.indexed += result.indexed
        stats.failed += len(result.failed)
        stats.errors.update(result.failed)
        if progress:
            progress(len(docs))
    backend.finish_rebuild(token)
    return stats


def outbox_status() -> dict:
    """Pending and failing outbox rows, the oldest pending one, and a few recent errors."""
    rows = IndexOutbox.objects.all()
    failing = rows.filter(attempts__gt=0)
    oldest = rows.aggregate(t=Min("created_at"))["t"]
    return {
        "pending": rows.count(),
        "failing": failing.count(),
        "oldest_pending": oldest,
        "errors": list(failing.order_by("-id").values_list("mention_id", "attempts", "last_error")[:5]),
    }
