"""Work shared by several workers: claim a chunk, do it, write the result, release the chunk.

On PostgreSQL a worker claims up to `chunk` pending items with `SELECT … FOR UPDATE SKIP LOCKED` (concurrent
claimers skip each other's rows instead of waiting) and records a lease per item (`WorkLease`) that expires
after OTKLIK_LEASE_SECONDS (default 600). The result is written in one transaction that first locks the
worker's own leases: items whose lease was taken over meanwhile are not written, the rest are written and
their leases deleted. A worker that dies (SIGKILL, a lost machine) leaves leases that expire; the next claim
takes those items over. So N workers never write the same item twice and a dead worker's chunk is not lost.

SQLite has one writer at a time: the services keep their single-writer path there (`claims_enabled()`).

Why a claim is exact: a lease is written only by a transaction holding the row lock of a pending row for
its item, and the unique (stage, item) constraint lets one lease per item exist. Before writing leases the
claim re-reads, in a new statement, what is still pending and unleased (another worker may have committed a
lease or a result since the first statement's snapshot).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Exists, Min, OuterRef, QuerySet
from django.utils import timezone

from store.failpoints import failpoint
from store.models import WorkLease

log = logging.getLogger(__name__)


def claims_enabled() -> bool:
    """Chunked claiming runs on PostgreSQL; SQLite keeps its single-writer path."""
    return connection.vendor == "postgresql"


def lease_ttl() -> timedelta:
    raw = os.environ.get("OTKLIK_LEASE_SECONDS", "600")
    try:
        seconds = float(raw)
    except ValueError:
        raise ValueError(f"OTKLIK_LEASE_SECONDS must be a number of seconds, not {raw!r}") from None
    if seconds <= 0:
        raise ValueError(f"OTKLIK_LEASE_SECONDS must be positive, not {raw!r}")
    return timedelta(seconds=seconds)


def worker_name() -> str:
    """This process, as leases name it: host, pid and a random suffix (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Lease:
    """The items one claim got; `held()` and `release()` run inside the caller's result transaction."""

    stage: str
    worker: str
    ids: list[int]

    def held(self) -> set[int]:
        """Lock this worker's leases on the claimed items; return the items still held (not taken over)."""
        return set(WorkLease.objects.select_for_update().filter(
            stage=self.stage, worker=self.worker, item_id__in=self.ids).values_list("item_id", flat=True))

    def release(self, ids=None) -> None:
        """Delete this worker's leases (on `ids`, or on every claimed item)."""
        WorkLease.objects.filter(stage=self.stage, worker=self.worker,
                                 item_id__in=self.ids if ids is None else list(ids)).delete()


@dataclass
class ClaimStats:
    done: int = 0
    chunks: int = 0
    taken_over: int = 0  # items whose expired lease (a dead or stalled worker's) this worker replaced
    waited_s: float = 0.0  # time spent waiting for other workers' leases to end
    worker: str = field(default_factory=worker_name)


def claim(stage: str, pending: QuerySet, key: str, limit: int, worker: str, stats: ClaimStats | None = None) -> Lease:
    """Lease up to `limit` items of `pending` (rows whose `key` field is the item id) for `worker`."""
    now = timezone.now()
    live = WorkLease.objects.filter(stage=stage, item_id=OuterRef(key), expires_at__gt=now)
    with transaction.atomic():
        # NO KEY UPDATE: result rows that reference these rows (foreign keys) are not blocked by a claim.
        locked = pending.filter(~Exists(live)).order_by("id").select_for_update(
            skip_locked=True, of=("self",), no_key=True)
        ids = sorted({i for i in locked.values_list(key, flat=True)[:limit]})
        if ids:
            # Expired leases are replaced, except those their slow owner is committing right now (locked):
            # skipping them, rather than waiting, keeps a claim from ever waiting on a result transaction.
            stale = list(WorkLease.objects.filter(stage=stage, item_id__in=ids, expires_at__lte=now)
                         .select_for_update(skip_locked=True).values_list("id", flat=True))
            expired, _ = WorkLease.objects.filter(id__in=stale).delete()
            # A new statement sees what committed since the first one: another worker's lease or its result.
            ids = sorted(set(pending.filter(**{f"{key}__in": ids}).filter(~Exists(live))
                             .values_list(key, flat=True)))
            WorkLease.objects.bulk_create(
                [WorkLease(stage=stage, item_id=i, worker=worker, expires_at=now + lease_ttl()) for i in ids],
                ignore_conflicts=True)  # two outbox rows of one mention may be claimed at once: one lease wins
            mine = set(WorkLease.objects.filter(stage=stage, item_id__in=ids, worker=worker)
                       .values_list("item_id", flat=True))
            # A lease that expired while its owner was still writing the result is not deleted above (locked),
            # but our insert waits for the owner's transaction and succeeds once it commits: the item is then
            # done. A new statement sees that commit; drop those leases, or they would outlive the work.
            still = set(pending.filter(**{f"{key}__in": mine}).values_list(key, flat=True)) if mine else set()
            if mine - still:
                WorkLease.objects.filter(stage=stage, worker=worker, item_id__in=mine - still).delete()
            ids = sorted(still)
            if stats is not None:
                stats.taken_over += expired
    return Lease(stage, worker, ids)


def drain(stage: str, pending: QuerySet, key: str, chunk: int, process: Callable[[Lease], list[int]], *,
          wait: bool = True, poll_s: float = 1.0, stats: ClaimStats | None = None) -> ClaimStats:
    """Claim chunks of `pending` and `process` them until none is left; return what this worker did.

    `process(lease)` does the work and, in its result transaction, writes only `lease.held()` items and calls
    `lease.release()`; it returns the ids of the items it wrote. On an error the chunk is released for the
    others. With OTKLIK_CLAIMS_JOURNAL set, each written chunk is appended to that file as a JSON line
    (stage, worker, ids): bench/scale_bench.py counts from it what was done twice or never.
    With `wait`, a worker that finds only other workers' leased items waits for them to finish or expire
    (then takes them over), so when it returns nothing is pending.
    """
    stats = stats or ClaimStats()
    while True:
        lease = claim(stage, pending, key, chunk, stats.worker, stats)
        if lease.ids:
            failpoint(f"claims.{stage.split(':')[0]}")
            try:
                written = process(lease)
            except BaseException:
                _release_quietly(lease)
                raise
            stats.done += len(written)
            stats.chunks += 1
            _journal(stage, stats.worker, written)
            continue
        if not wait or not pending.exists():
            return stats
        # Only leased items (or rows another claim holds right now) are left: wait for them.
        leases = WorkLease.objects.filter(stage=stage, item_id__in=pending.values(key))
        first_expiry = leases.aggregate(t=Min("expires_at"))["t"]
        delay = poll_s if first_expiry is None else min(
            poll_s, max(0.05, (first_expiry - timezone.now()).total_seconds()))
        time.sleep(delay)
        stats.waited_s += delay


def _journal(stage: str, worker: str, ids: list[int]) -> None:
    path = os.environ.get("OTKLIK_CLAIMS_JOURNAL")
    if path:
        with open(path, "a", encoding="utf-8") as f:  # one write() per line: whole lines survive a SIGKILL
            f.write(json.dumps({"stage": stage, "worker": worker, "ids": sorted(ids)}) + "\n")


def _release_quietly(lease: Lease) -> None:
    try:
        with transaction.atomic():
            lease.release()
    except Exception as exc:  # noqa: BLE001 - the leases expire anyway; the original error matters more
        log.warning("could not release %d leased item(s) of %s: %s", len(lease.ids), lease.stage, exc)
