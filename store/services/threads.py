"""Conversations at ingest: give each new mention its conversation key, resolve Telegram reply chains, and
store an edited review as a new version of it.

Telegram: a reply's key is the key of the message it answers when that message is stored (so a chain of
replies shares the key of its first message); when the answered message is stored later (an older page
crawled after a newer one), the replies already stored under its own key move to its chain's key.

Edits: on review sites and the App Store the same review id can come back with new words. That is not a
repeat: the new words are stored as a mention of their own, `<id>#edit-<hash>`, a copy (`duplicate_of`) of the
first version, so reports still count the review once, in the same conversation, so the desk threads it
into the review's ticket. The same words seen again are a repeat, and so is a listing's cut preview (raw `preview`,
`preview_words`) whose words begin a stored version: the whole text read from the review's own page, or the same
preview. A preview that begins none is an edit; the whole text of a review stored as a preview is a version
marked `completes_preview`.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from store import minhash
from store.models import Mention, Source
from store.text import content_hash
from store.threads import conversation_key, telegram_key

EDITABLE_KINDS = frozenset({"review_site", "appstore"})
EDIT_MARK = "#edit-"


def key_for(source: Source, external_id: str, author: str, raw: dict | None) -> str:
    """The conversation key of an item of `source` (before Telegram chains are resolved)."""
    return conversation_key(source.kind, source.name, source.config, external_id, author, raw)


def resolve_chains(mentions: list[Mention]) -> None:
    """Give stored Telegram replies their chain's key and move replies stored earlier under a new message's key."""
    tg = [m for m in mentions if m.pk and m.conversation_key.startswith("tg:")]
    for m in sorted(tg, key=lambda m: (m.posted_at, m.pk)):  # the answered message (older) first
        parent = (m.raw or {}).get("reply_to")
        if parent and parent != m.external_id:
            key = (Mention.objects.filter(source__kind="telegram", external_id=str(parent))
                   .exclude(conversation_key="").order_by("id").values_list("conversation_key", flat=True).first())
            if key and key != m.conversation_key:
                Mention.objects.filter(pk=m.pk).update(conversation_key=key)
                m.conversation_key = key
        own = telegram_key(m.external_id)
        if own and own != m.conversation_key:
            Mention.objects.filter(source__kind="telegram", conversation_key=own).update(
                conversation_key=m.conversation_key)


def edit_id(external_id: str, digest: str) -> str:
    """The external id of a version of a review: its id, the mark and the start of the version's hash."""
    return f"{external_id[:255 - len(EDIT_MARK) - 16]}{EDIT_MARK}{digest[:16]}"


def store_edit(existing: Mention, source: Source, item) -> Mention | None:
    """Store `item` (a validated MentionInput with the id of `existing`) as a new version of that review;
    None when it is not an edit (another kind of channel, or words already stored for this review)."""
    if source.kind not in EDITABLE_KINDS or existing.pk is None or EDIT_MARK in existing.external_id:
        return None
    digest = content_hash(minhash.full_text(item.title, item.text))
    versions = list(Mention.objects.filter(source_id=existing.source_id,
                                           external_id__startswith=existing.external_id + EDIT_MARK)
                    .only("id", "content_hash", "posted_at", "title", "text", "raw")) + [existing]
    if digest in {v.content_hash for v in versions}:
        return None
    raw = item.raw or {}
    words = raw.get("preview_words")
    if raw.get("preview") and any(v.title == item.title and _starts(v.text, words) for v in versions):
        return None  # a listing's cut preview of words already stored (the whole text, or the same preview)
    whole = not raw.get("preview") and any((v.raw or {}).get("preview") and v.title == item.title
                                           and _starts(item.text, v.raw.get("preview_words")) for v in versions)
    latest = max(v.posted_at for v in versions)
    mention, _ = Mention.objects.get_or_create(
        source_id=existing.source_id, external_id=edit_id(existing.external_id, digest),
        defaults=dict(
            url=(item.url or existing.url)[:1000], author=item.author[:255], title=item.title,
            text=item.text or item.title, lang=item.lang, rating=item.rating,
            posted_at=edit_time(item.posted_at, latest), content_hash=digest,
            raw={**raw, "edit_of": existing.external_id, **({"completes_preview": True} if whole else {})},
            duplicate_of_id=existing.duplicate_of_id or existing.pk,
            conversation_key=existing.conversation_key or key_for(source, existing.external_id, item.author, item.raw),
        ),
    )
    return mention


def _starts(text: str, words: str | None) -> bool:
    """Whether `text` begins with a preview's `words`, whitespace aside (a listing joins lines a page keeps)."""
    return bool(words) and " ".join(text.split()).startswith(" ".join(words.split()))


def edit_time(claimed: datetime, latest: datetime) -> datetime:
    """When an edit was written: the review's own date when the site moved it forward (the App Store's
    `updated`), else when it was first seen (sites that keep the first date)."""
    return claimed if claimed > latest else max(timezone.now(), latest)
