"""Store crawled items as mentions: exact duplicates are skipped, copies are linked to their original.

Three levels of "the same":
- the same (source, external id): a REPEAT of a stored mention, nothing is written;
- the same words after normalisation (content hash) or a near copy (MinHash LSH, see
  store.services.neardup) of an earlier original: stored as a NEAR_DUPLICATE with
  `duplicate_of` pointing at the original, so it is kept but not counted as new feedback;
- anything else is NEW and becomes an original that later copies link to.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from django.db import IntegrityError, transaction
from django.utils import timezone

from store import minhash
from store.models import Mention, QuarantinedItem, Source
from store.services import neardup, threads
from store.services.validation import check_posted_at, clean_identity, clean_raw
from store.text import MAX_TEXT_CHARS, clean_field, clean_json, content_hash, normalize_text

MIN_DUPLICATE_KEY_CHARS = minhash.MIN_KEY_CHARS


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
    try:
        item.external_id, item.author, item.url = clean_identity(item.external_id, item.author, item.url)
    except ValueError as exc:
        raise InvalidItem(str(exc)) from None
    if not item.external_id:
        raise InvalidItem("missing external id")
    if item.posted_at is None:
        raise InvalidItem("missing or unparseable date")
    if timezone.is_naive(item.posted_at):
        raise InvalidItem("naive datetime (no time zone)")
    item.raw = clean_raw(item.raw)
    try:
        item.posted_at = check_posted_at(item.posted_at, item.raw)
    except ValueError as exc:
        raise InvalidItem(str(exc)) from None
    text = normalize_text(item.text)
    title = normalize_text(item.title)[:500]
    if not text and not title:
        raise InvalidItem("empty text")
    if len(text) > MAX_TEXT_CHARS:
        item.raw = {**(item.raw or {}), "truncated_from_chars": len(text)}
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
    source = _source(item.source)
    existing = _same_item(source, item.external_id)
    if existing is not None:
        # An edited review is a new version of it, stored as a copy of the first (store.services.threads).
        edit = threads.store_edit(existing, source, item)
        return (IngestResult.NEAR_DUPLICATE, edit) if edit is not None else (IngestResult.REPEAT, existing)
    full_text = minhash.full_text(item.title, item.text)
    digest = content_hash(full_text)
    fp = minhash.fingerprint(full_text)
    original = None
    if fp.bands:
        # An exact copy has the same MinHash, so it shares every band: the LSH lookup finds it too.
        original = neardup.find_original(fp)
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
                conversation_key=threads.key_for(source, item.external_id, item.author, item.raw),
            )
            if becomes_original:
                Mention.objects.filter(duplicate_of=original).update(duplicate_of=mention)
                Mention.objects.filter(pk=original.pk).update(duplicate_of=mention)
                neardup.unindex(original)
            if (original is None or becomes_original) and fp.bands:
                neardup.index(mention, fp)
            threads.resolve_chains([mention])
    except IntegrityError:
        # A concurrent writer stored it first: that is a repeat, not an error.
        return IngestResult.REPEAT, Mention.objects.get(source=source, external_id=item.external_id)
    return (IngestResult.NEAR_DUPLICATE if original else IngestResult.NEW), mention


def _source(name: str) -> Source:
    try:
        return Source.objects.only("id", "name", "kind", "config").get(name=name)
    except Source.DoesNotExist:
        raise InvalidItem(f"unknown source {name!r}") from None


def quarantine(source_name: str | None, url: str, reason: str, payload: str = "") -> QuarantinedItem:
    """Record content that could not be stored; the same failure on a rerun is recorded once."""
    url, reason, payload = clean_field(url), str(clean_json(reason)), str(clean_json(payload))
    fingerprint = hashlib.sha256(f"{source_name}\0{url}\0{reason}\0{payload[:2000]}".encode()).hexdigest()
    source = Source.objects.filter(name=source_name).first() if source_name else None
    obj, _ = QuarantinedItem.objects.get_or_create(
        fingerprint=fingerprint,
        defaults={"source": source, "url": url[:1000], "reason": reason[:500], "payload": payload[:10_000]},
    )
    return obj
