"""Classify stored mentions with a classifier and record which model version said what."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from store.failpoints import failpoint

from classifiers.types import Classifier
from store.models import Classification, Mention
from store.signals import mentions_changed


def enqueue_for_index(mention_ids: list[int], reason: str) -> None:
    """Tell whoever indexes mentions that these changed in bulk (the search app's outbox listens)."""
    mentions_changed.send(sender=Mention, mention_ids=list(mention_ids), reason=reason)


def primary_topic(topics: list[str], topic_scores: dict[str, float]) -> str:
    """The topic with the highest score among the predicted ones ('' if none)."""
    if not topics:
        return ""
    return max(topics, key=lambda t: topic_scores.get(t, 0.0))


def classify_pending(
    classifier: Classifier,
    batch_size: int = 256,
    progress: Callable[[int], None] | None = None,
    claim_stats=None,
) -> int:
    """Classify every mention that this model version has not classified yet; return how many rows this call wrote.

    Each batch is written in one transaction, so an interrupted run resumes where it stopped. A mention that a
    concurrent run classified meanwhile is not written again and not counted: the counts of two concurrent runs
    add up to the rows written. On PostgreSQL batches are claimed (store.services.claims): several workers at
    once classify each mention once; `claim_stats` (a ClaimStats) then collects chunks, take-overs and waits.
    """
    from store.services.claims import claims_enabled

    if claims_enabled():
        return _classify_claimed(classifier, batch_size, progress, claim_stats)
    done = last_id = 0
    while True:
        # Page by id (no re-scan of the classified prefix): each batch starts after the previous one.
        batch = list(
            Mention.objects.unclassified_by(classifier.version).filter(id__gt=last_id).order_by("id")
            .only("id", "title", "text")[:batch_size]
        )
        if not batch:
            return done
        last_id = batch[-1].id
        preds = classifier.predict(_texts(batch))
        with transaction.atomic():
            ids = [m.pk for m in batch]
            # Lock the batch's mentions (PostgreSQL; SQLite's IMMEDIATE transaction already holds the write lock)
            # so a concurrent run waits here and then sees these rows as already classified.
            list(Mention.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
            taken = set(Classification.objects.filter(mention_id__in=ids, model_version=classifier.version)
                        .values_list("mention_id", flat=True))
            fresh = [(m, p) for m, p in zip(batch, preds) if m.pk not in taken]
            _write(classifier, [m for m, _ in fresh], [p for _, p in fresh])
        failpoint("classify.batch")
        done += len(fresh)
        if progress:
            progress(len(batch))


def _classify_claimed(classifier: Classifier, batch_size: int, progress: Callable[[int], None] | None,
                      stats=None) -> int:
    from store.services.claims import drain

    def process(lease) -> int:
        batch = list(Mention.objects.filter(id__in=lease.ids).order_by("id").only("id", "title", "text"))
        preds = classifier.predict(_texts(batch))
        with transaction.atomic():
            held = lease.held()
            kept = [(m, p) for m, p in zip(batch, preds) if m.id in held]
            _write(classifier, [m for m, _ in kept], [p for _, p in kept])
            lease.release()
        failpoint("classify.batch")
        if progress:
            progress(len(kept))
        return [m.id for m, _ in kept]

    pending = Mention.objects.unclassified_by(classifier.version)
    return drain(f"classify:{classifier.version}", pending, "id", batch_size, process, stats=stats).done


def _texts(batch: list[Mention]) -> list[str]:
    return [f"{m.title}. {m.text}" if m.title and m.title not in m.text else m.text for m in batch]


def _write(classifier: Classifier, batch: list[Mention], preds) -> None:
    """Insert the batch's classifications and queue the mentions for the index (in the caller's transaction)."""
    Classification.objects.bulk_create(
        [
            Classification(
                mention=m,
                model_name=classifier.name,
                model_version=classifier.version,
                sentiment=p.sentiment,
                sentiment_scores=p.sentiment_scores,
                topics=p.topics,
                topic_scores=p.topic_scores,
                primary_topic=primary_topic(p.topics, p.topic_scores),
            )
            for m, p in zip(batch, preds)
        ],
        ignore_conflicts=True,
    )
    # bulk_create sends no post_save: tell the search index in the same transaction.
    enqueue_for_index([m.pk for m in batch], "classification")
