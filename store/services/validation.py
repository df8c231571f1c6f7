"""Checks for crawled fields that the store cannot trust: dates out of range, oversized ids, unstorable characters.

Crawled content is hostile. These run inside store.services.ingest.validate before anything is written.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from store.text import clean_field, clean_json

# Feedback older than this is a broken date (0, -1, "year 1"), not an old review.
EARLIEST_POSTED_AT = datetime(2000, 1, 1, tzinfo=timezone.utc)
# A date further ahead than this is a wrong clock or a hostile value: stored at fetch time, the claim kept in raw,
# and kept out of the source's watermark (which would otherwise hide every later item until that date).
# Generous on purpose: time zones, skewed clocks and test fixtures a few days ahead are not hostile.
FUTURE_TOLERANCE = timedelta(days=7)
MAX_EXTERNAL_ID_CHARS = 255


def check_posted_at(posted_at: datetime, raw: dict) -> datetime:
    """Return the date to store; raise ValueError for an implausibly early one, clamp a future one to now."""
    try:
        posted_at.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        raise ValueError(f"date out of range: {posted_at.isoformat()}") from None
    if posted_at < EARLIEST_POSTED_AT:
        raise ValueError(f"implausible date {posted_at.isoformat()} (before {EARLIEST_POSTED_AT.year})")
    now = datetime.now(timezone.utc)
    if posted_at > now + FUTURE_TOLERANCE:
        raw["claimed_posted_at"] = posted_at.isoformat()
        return now
    return posted_at


def is_future(posted_at: datetime | None) -> bool:
    """True for a date beyond the tolerance (spiders keep such dates out of their watermark)."""
    return posted_at is not None and posted_at > datetime.now(timezone.utc) + FUTURE_TOLERANCE


def clean_identity(external_id: object, author: object, url: object) -> tuple[str, str, str]:
    """External id, author and URL without control characters; raise ValueError for an oversized id."""
    ext = clean_field(external_id)
    if len(ext) > MAX_EXTERNAL_ID_CHARS:
        raise ValueError(f"external id longer than {MAX_EXTERNAL_ID_CHARS} characters ({len(ext)})")
    return ext, clean_field(author), clean_field(url)


def clean_raw(raw: dict | None) -> dict:
    return clean_json(raw or {}) if isinstance(raw, dict) else {"value": clean_json(raw)}
