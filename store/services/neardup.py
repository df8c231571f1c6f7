"""Near-duplicate lookup: the LSH bands of original mentions live in the database (store.MentionBand).

Every crawl process shares the index and nothing is rebuilt at start-up; a lookup is one
indexed query for the band keys plus an exact similarity check of the MAX_CANDIDATES texts
sharing most bands (and any tied with the last of them, up to TIE_LIMIT). `rebuild_index()`
recomputes the bands after a change of parameters in store.minhash.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count

from store.minhash import (
    BANDS,
    Fingerprint,
    features,
    fingerprint,
    full_text,
    same_feedback,
    similarity,
)
from store.models import Mention, MentionBand

MAX_CANDIDATES = 20
# Candidates tied on shared bands with the last of the MAX_CANDIDATES are checked too, up to this many in all: a
# cut inside a tie dropped an arbitrary part of it, and with it, now and then, the true original (measured: one
# planted copy in 100,000 word-salad posts shared a single band with its original and with 23 other posts, and the
# 100k benchmark found it in five runs and missed it in the sixth).
TIE_LIMIT = 100


def find_original(fp: Fingerprint) -> Mention | None:
    """Return the stored original this text nearly copies (most similar, then earliest), or None."""
    hits = list(
        MentionBand.objects.filter(key__in=fp.bands)
        .values("mention_id")
        .annotate(n=Count("key"))
        .order_by("-n", "mention_id")[:TIE_LIMIT]
    )
    ids = kept_candidates([(h["mention_id"], h["n"]) for h in hits])
    if not ids:
        return None
    best, best_sim = None, 0.0
    for cand in Mention.objects.filter(id__in=ids, duplicate_of__isnull=True).only("id", "title", "text", "posted_at"):
        other = features(full_text(cand.title, cand.text))
        sim = similarity(fp, other)
        if same_feedback(other, fp) and (sim > best_sim or (sim == best_sim and best and cand.posted_at < best.posted_at)):
            best, best_sim = cand, sim
    return best


def kept_candidates(hits: list[tuple[int, int]], limit: int | None = None) -> list[int]:
    """The ids of the `limit` (MAX_CANDIDATES) first (id, shared bands) hits, most bands first, and any tied with
    the last."""
    if not hits:
        return []
    limit = MAX_CANDIDATES if limit is None else limit
    last = hits[min(len(hits), limit) - 1][1]
    return [i for i, n in hits if n >= last]


def index(mention: Mention, fp: Fingerprint) -> None:
    """Add an original mention's bands to the index."""
    MentionBand.objects.bulk_create(
        [MentionBand(key=k, mention=mention) for k in set(fp.bands)], ignore_conflicts=True
    )


def unindex(mention: Mention) -> None:
    """Remove a mention's bands (it became a copy of an earlier post)."""
    MentionBand.objects.filter(mention=mention).delete()


def rebuild_index(batch: int = 2000) -> int:
    """Recompute the bands of every original mention; return how many mentions were indexed."""
    MentionBand.objects.all().delete()
    done = 0
    qs = Mention.objects.originals().order_by("id").only("id", "title", "text")
    with transaction.atomic():
        rows = []
        for m in qs.iterator(chunk_size=batch):
            fp = fingerprint(full_text(m.title, m.text))
            if not fp.bands:
                continue
            rows.extend(MentionBand(key=k, mention_id=m.id) for k in set(fp.bands))
            done += 1
            if len(rows) >= batch * BANDS:
                MentionBand.objects.bulk_create(rows, ignore_conflicts=True)
                rows = []
        MentionBand.objects.bulk_create(rows, ignore_conflicts=True)
    return done
