"""Store a batch of crawled items with a handful of queries: the same outcome as `ingest()` item by item.

`ingest_many(items)` decides every item in order, exactly as repeated `ingest()` calls would: a
repeat of a stored (or earlier in the batch) identity is skipped, a near copy of an original is
linked to it, the rest become originals. The lookups are batched: one query for known identities,
one for the LSH band keys of the whole batch, one for the candidates' texts; the writes are two
bulk inserts of mentions and one of bands, in one transaction. The rare item that is an *earlier*
post than its stored original (the original changes hands) and a concurrent writer's conflict go
through `ingest()` itself, after the pending rows are written, so the semantics stay one code path.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from store import minhash
from store.models import Mention, MentionBand, Source
from store.services import neardup, threads
from store.services.ingest import (
    GLOBAL_ID_KINDS,
    IngestResult,
    InvalidItem,
    MentionInput,
    ingest,
    validate,
)
from store.text import content_hash

Outcome = tuple[IngestResult, Mention] | InvalidItem


@dataclass
class _Pending:
    item: MentionInput
    fp: minhash.Fingerprint
    digest: str
    original: Mention | None
    mention: Mention | None = None


class _Batch:
    """Lookups for one batch: known identities, band keys → original mentions, candidate fingerprints."""

    def __init__(self, items: list[MentionInput], sources: dict[str, Source], fps: dict[int, minhash.Fingerprint]):
        self.sources = sources
        self.known: dict[tuple[int, str], Mention] = {}
        self.known_global: dict[tuple[str, str], Mention] = {}
        by_source: dict[int, set[str]] = defaultdict(set)
        by_kind: dict[str, set[str]] = defaultdict(set)
        for it in items:
            src = sources[it.source]
            by_source[src.id].add(it.external_id)
            if src.kind in GLOBAL_ID_KINDS:
                by_kind[src.kind].add(it.external_id)
        for sid, ids in by_source.items():
            for m in Mention.objects.filter(source_id=sid, external_id__in=ids):
                self.known[(sid, m.external_id)] = m
        for kind, ids in by_kind.items():
            for m in Mention.objects.filter(source__kind=kind, external_id__in=ids).order_by("-id"):
                self.known_global[(kind, m.external_id)] = m  # the lowest id wins, as in _same_item
        keys = {k for fp in fps.values() for k in fp.bands}
        self.bands: dict[int, list[Mention]] = defaultdict(list)
        self.pending_rank = 0
        rows = list(MentionBand.objects.filter(key__in=keys).values_list("key", "mention_id")) if keys else []
        ids = {mid for _, mid in rows}
        mentions = {m.id: m for m in Mention.objects.filter(id__in=ids).only(
            "id", "title", "text", "posted_at", "duplicate_of_id", "source_id", "external_id")}
        for key, mid in rows:
            if mid in mentions:
                self.bands[key].append(mentions[mid])

    def same_item(self, it: MentionInput) -> Mention | None:
        src = self.sources[it.source]
        found = self.known.get((src.id, it.external_id))
        if found is None and src.kind in GLOBAL_ID_KINDS:
            found = self.known_global.get((src.kind, it.external_id))
        return found

    def remember(self, it: MentionInput, mention: Mention) -> None:
        src = self.sources[it.source]
        self.known.setdefault((src.id, it.external_id), mention)
        if src.kind in GLOBAL_ID_KINDS:
            self.known_global.setdefault((src.kind, it.external_id), mention)

    @staticmethod
    def fingerprint_of(m: Mention) -> minhash.Fingerprint:
        """The mention's features, cached on the instance (an id()-keyed cache went stale when ids were reused)."""
        cached = getattr(m, "_otklik_features", None)
        if cached is None:
            cached = m._otklik_features = minhash.features(minhash.full_text(m.title, m.text))
        return cached

    @staticmethod
    def rank(m: Mention) -> tuple[int, int]:
        """Id order, as neardup orders ties: stored rows by id, then the batch's unwritten rows in index order."""
        return (0, m.pk) if m.pk is not None else (1, m._otklik_rank)

    def find_original(self, fp: minhash.Fingerprint) -> Mention | None:
        """neardup.find_original over the batch's view of the index: the same candidates, ties and order."""
        counts: Counter = Counter()
        by_key: dict[int, Mention] = {}
        for k in fp.bands:
            for m in self.bands.get(k, ()):
                counts[id(m)] += 1
                by_key[id(m)] = m
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], self.rank(by_key[kv[0]])))[: neardup.TIE_LIMIT]
        best, best_sim = None, 0.0
        for key in neardup.kept_candidates(ranked):
            cand = by_key[key]
            if cand.duplicate_of_id is not None or getattr(cand, "_linked", False):
                continue
            other = self.fingerprint_of(cand)
            sim = minhash.similarity(fp, other)
            if minhash.same_feedback(other, fp) and (
                sim > best_sim or (sim == best_sim and best and cand.posted_at < best.posted_at)
            ):
                best, best_sim = cand, sim
        return best

    def index(self, mention: Mention, fp: minhash.Fingerprint) -> None:
        if mention.pk is None:
            self.pending_rank += 1
            mention._otklik_rank = self.pending_rank
        for k in set(fp.bands):
            self.bands[k].append(mention)

    def unindex(self, mention: Mention) -> None:
        for k, ms in self.bands.items():
            if mention in ms:
                self.bands[k] = [m for m in ms if m is not mention and m.pk != mention.pk]


def _new_mention(p: _Pending, source: Source) -> Mention:
    it = p.item
    return Mention(
        source=source, external_id=it.external_id, url=it.url[:1000], author=it.author[:255], title=it.title,
        text=it.text or it.title, lang=it.lang, rating=it.rating, posted_at=it.posted_at, content_hash=p.digest,
        raw=it.raw or {}, conversation_key=threads.key_for(source, it.external_id, it.author, it.raw),
    )


def _write(pending: list[_Pending]) -> None:
    """Insert the pending originals, their bands, then the copies (which point at them); one transaction."""
    from store.services.classify import enqueue_for_index

    originals = [p for p in pending if p.original is None]
    copies = [p for p in pending if p.original is not None]
    with transaction.atomic():
        Mention.objects.bulk_create([p.mention for p in originals])
        MentionBand.objects.bulk_create(
            [MentionBand(key=k, mention=p.mention) for p in originals if p.fp.bands for k in set(p.fp.bands)],
            ignore_conflicts=True,
        )
        for p in copies:
            p.mention.duplicate_of = p.original
        Mention.objects.bulk_create([p.mention for p in copies])
        threads.resolve_chains([p.mention for p in pending])
        # bulk_create sends no post_save: queue the new mentions for the search index here.
        enqueue_for_index([p.mention.pk for p in pending], "mention")


def ingest_many(items: list[MentionInput]) -> list[Outcome]:
    """Store a batch; return per item (result, mention) as `ingest()` would, or the InvalidItem it raised."""
    outcomes: list[Outcome | None] = [None] * len(items)
    names = {it.source for it in items}
    sources = {s.name: s for s in Source.objects.filter(name__in=names).only("id", "name", "kind", "config")}
    valid: dict[int, MentionInput] = {}
    fps: dict[int, minhash.Fingerprint] = {}
    for i, it in enumerate(items):
        try:
            if it.source not in sources:
                raise InvalidItem(f"unknown source {it.source!r}")
            valid[i] = validate(it)
            fps[i] = minhash.fingerprint(minhash.full_text(it.title, it.text))
        except InvalidItem as exc:
            outcomes[i] = exc
    batch = _Batch(list(valid.values()), sources, fps)
    pending: list[tuple[int, _Pending]] = []
    conflict = False

    def flush() -> None:
        nonlocal conflict
        if not pending:
            return
        try:
            _write([p for _, p in pending])
        except IntegrityError:
            # A concurrent writer stored some of these first: decide them (and the rest) one by one.
            conflict = True
            for i, p in pending:
                outcomes[i] = ingest(p.item)
        else:
            for i, p in pending:
                outcomes[i] = (IngestResult.NEW if p.original is None else IngestResult.NEAR_DUPLICATE, p.mention)
        pending.clear()

    for i, it in valid.items():
        if conflict:
            outcomes[i] = ingest(it)
            continue
        existing = batch.same_item(it)
        if existing is not None:
            if sources[it.source].kind in threads.EDITABLE_KINDS and existing.content_hash != content_hash(
                    minhash.full_text(it.title, it.text)):
                flush()  # a possible edit of a review (rare): ingest() decides it against what is stored
                outcomes[i] = ingest(it)
                continue
            outcomes[i] = (IngestResult.REPEAT, existing)
            continue
        fp = fps[i]
        original = batch.find_original(fp) if fp.bands else None
        if original is not None and it.posted_at < original.posted_at:
            # The original may change hands: write what is pending, then let ingest() decide it.
            flush()
            outcomes[i] = result = ingest(it)
            mention = result[1]
            if mention.duplicate_of_id is None:  # it became the original
                original._linked = True
                batch.unindex(original)
                batch.index(mention, fp)
            batch.remember(it, mention)
            continue
        p = _Pending(it, fp, content_hash(minhash.full_text(it.title, it.text)), original)
        p.mention = _new_mention(p, sources[it.source])
        if original is None and fp.bands:
            batch.index(p.mention, fp)
        batch.remember(it, p.mention)
        pending.append((i, p))
    flush()
    return outcomes  # type: ignore[return-value]
