"""Moderators' corrections of the classifier, stored as Classifications and exported for retraining.

The export is the JSONL format `otklik train --corrections FILE` reads (classifiers.data.load_corrections):
{"text", "sentiment", "topics", "id", "model_version", "corrected_at"} per line.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from classifiers.taxonomy import SENTIMENTS, load_taxonomy
from responders.models import Ticket
from responders.services.workflow import log_change, require_owner
from store.models import Classification, Mention
from store.services.audit import record


SENTIMENT_NAMES = {"negative": "негатив", "neutral": "нейтрально", "positive": "позитив"}


def classifier_text(mention: Mention) -> str:
    """The text the classifier saw for a mention (title and body, as store.services.classify builds it)."""
    if mention.title and mention.title not in mention.text:
        return f"{mention.title}. {mention.text}"
    return mention.text


def correct(ticket_id: int, user, *, sentiment: str, topics: list[str]) -> Classification:
    """Store a moderator's sentiment and topics for the ticket's mention and update the ticket."""
    if sentiment not in SENTIMENTS:
        raise ValueError(f"sentiment must be one of {', '.join(SENTIMENTS)}")
    codes = load_taxonomy().codes
    unknown = [t for t in topics if t not in codes]
    if unknown:
        raise ValueError(f"unknown topic(s): {', '.join(unknown)}")
    topics = list(dict.fromkeys(topics))
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
        require_owner(ticket, user, timezone.now())
        previous = ticket.mention.current_classification
        c = Classification.objects.create(
            mention=ticket.mention, model_name="moderator", model_version=Classification.HUMAN_VERSION,
            sentiment=sentiment, topics=topics, primary_topic=topics[0] if topics else "", corrected_by=user,
        )
        before = {"sentiment": previous.sentiment, "topics": previous.topics,
                  "model_version": previous.model_version} if previous else None
        ticket.sentiment, ticket.topic = sentiment, c.primary_topic
        ticket.save(update_fields=["sentiment", "topic", "updated_at"])
        record("classification.correct", ticket, actor=user, before=before,
               after={"sentiment": sentiment, "topics": topics})
        taxonomy = load_taxonomy()
        log_change(ticket, user, f"классификация исправлена: {SENTIMENT_NAMES.get(sentiment, sentiment)}; темы: "
                   + (", ".join(taxonomy.name(t) for t in topics) or "—"))
    return c


def export_corrections(path: str | Path) -> int:
    """Write the latest correction of every corrected mention as JSONL; return how many lines."""
    latest: dict[int, Classification] = {}
    for c in (Classification.objects.filter(corrected_by__isnull=False).select_related("mention")
              .order_by("mention_id", "created_at", "id")):
        latest[c.mention_id] = c
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for mention_id, c in latest.items():
            model = (Classification.objects.filter(mention_id=mention_id, corrected_by__isnull=True)
                     .order_by("-created_at").values_list("model_version", flat=True).first())
            fh.write(json.dumps({
                "text": classifier_text(c.mention), "sentiment": c.sentiment, "topics": c.topics,
                "id": f"mention-{mention_id}", "model_version": model, "corrected_at": c.created_at.isoformat(),
            }, ensure_ascii=False) + "\n")
    return len(latest)
