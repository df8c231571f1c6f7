"""Store crawled items as mentions: exact duplicates are skipped, copies are linked to their original."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from django.db import IntegrityError, transaction
from django.utils import timezone

from store.models import Mention, QuarantinedItem, Source
from store.text import MAX_TEXT_CHARS, content_hash, dedup_key, normalize_text

# Below this many characters of dedup key, equal texts ("спасибо!", "👍") are common
# phrases, not copies, so they are not linked as duplicates.
MIN_DUPLICATE_KEY_CHARS = 25


class IngestResult(str, Enum):
    NEW = "new"
    NEAR_DUPLICATE = "near_duplicate"
    REPEAT = "repeat"


@dataclass
class MentionInput:
    source: str
    external_id: str
    text: str
    posted_at: datetime
    url: str = ""
    author: str = ""
    title: str = ""
    rating: int | None = None
    lang: str = ""
    raw: dict | None = None


class InvalidItem(ValueError):
    """An item that cannot become a mention; the reason goes to quarantine."""


def validate(item: MentionInput) -> MentionInput:
    """Normalise an item's text and check its required fields; raise InvalidItem with the reason."""
    if not item.external_id:
        raise InvalidItem("missing external id")
    if item.posted_at is None:
        raise InvalidItem("missing or unparseable date")
    if timezone.is_naive(item.posted_at):
        raise InvalidItem("naive datetime (no time zone)")
    text = normalize_text(item.text)
    title = normalize_text(item.title)[:500]
    if not text and not title:
        raise InvalidItem("empty text")
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS]
    item.text, item.title = text, title
    return item


# Channels whose item ids are global: the same VK post reached through a wall and a search is one mention.
GLOBAL_ID_KINDS = frozenset({"vk", "telegram", "appstore"})


def _same_item(source: Source, external_id: str) -> Mention | None:
    """Return the stored mention with this identity: same source, or same global id on the same platform."""
    found = Mention.objects.filter(source=source, external_id=external_id).first()
    if found is None and source.kind in GLOBAL_ID_KINDS:
        found = Mention.objects.filter(source__kind=source.kind, external_id=external_id).order_by("id").first()
    return found


def _has_ticket(mention: Mention) -> bool:
    return hasattr(mention, "ticket") and mention.ticket is not None


def ingest(item: MentionInput) -> tuple[IngestResult, Mention]:
    """Store one item. Idempotent: the same (source, external id) is stored once."""
    item = validate(item)
    source = Source.objects.get(name=item.source)
    existing = _same_item(source, item.external_id)
    if existing:
        return IngestResult.REPEAT, existing
    # Copies keep the words of the body, not the title (a review re-posted elsewhere gets a new title or none).
    body = item.text or item.title
    digest = content_hash(body)
    original = None
    if len(dedup_key(body)) >= MIN_DUPLICATE_KEY_CHARS:
        original = Mention.objects.filter(content_hash=digest, duplicate_of__isnull=True).order_by("posted_at", "id").first()
    # The earliest post is the original, whatever order the crawls ran in, unless the current
    # original already has a ticket (then a moderator is on it and it stays the original).
    becomes_original = original is not None and item.posted_at < original.posted_at and not _has_ticket(original)
    try:
        with transaction.atomic():
            mention = Mention.objects.create(
                source=source,
                external_id=item.external_id,
                url=item.url[:1000],
                author=item.author[:255],
                title=item.title,
                text=item.text or item.title,
                lang=item.lang,
                rating=item.rating,
                posted_at=item.posted_at,
                content_hash=digest,
                raw=item.raw or {},
                duplicate_of=None if becomes_original else original,
            )
            if becomes_original:
                Mention.objects.filter(duplicate_of=original).update(duplicate_of=mention)
                Mention.objects.filter(pk=original.pk).update(duplicate_of=mention)
    except IntegrityError:
        # A concurrent writer stored it first: that is a repeat, not an error.
        return IngestResult.REPEAT, Mention.objects.get(source=source, external_id=item.external_id)
    return (IngestResult.NEAR_DUPLICATE if original else IngestResult.NEW), mention


def quarantine(source_name: str | None, url: str, reason: str, payload: str = "") -> QuarantinedItem:
    """Record content that could not be stored; the same failure on a rerun is recorded once."""
    fingerprint = hashlib.sha256(f"{source_name}\0{url}\0{reason}\0{payload[:2000]}".encode()).hexdigest()
    source = Source.objects.filter(name=source_name).first() if source_name else None
    obj, _ = QuarantinedItem.objects.get_or_create(
        fingerprint=fingerprint,
        defaults={"source": source, "url": url[:1000], "reason": reason[:500], "payload": payload[:10_000]},
    )
    return obj
