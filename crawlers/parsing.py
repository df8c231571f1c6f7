"""Parsing helpers shared by the spiders: dates, ratings, HTML fragments to text."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

from w3lib.html import remove_tags, replace_entities

MOSCOW = ZoneInfo("Europe/Moscow")
_BR = re.compile(r"<br\s*/?>|</p>|</div>", re.IGNORECASE)
_RU_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\D+(\d{1,2}):(\d{2}))?")
_DIGITS = re.compile(r"\d+")


def html_to_text(fragment: str | None) -> str:
    """Turn an HTML fragment into plain text: line breaks kept, tags dropped, entities decoded."""
    if not fragment:
        return ""
    return replace_entities(remove_tags(_BR.sub("\n", fragment)))


def parse_datetime(value: str | int | float | None, default_tz=MOSCOW) -> datetime | None:
    """Parse ISO 8601, RFC 822, dd.mm.yyyy[ hh:mm] or unix seconds into an aware datetime; None if impossible."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().isdigit()):
        try:
            return datetime.fromtimestamp(int(value), tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    s = str(value).strip()
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        dt = None
    if dt is None:
        try:
            dt = parsedate_to_datetime(s)
        except (TypeError, ValueError, IndexError):
            dt = None
    if dt is None:
        m = _RU_DATE.search(s)
        if not m:
            return None
        d, mo, y, hh, mm = m.groups()
        try:
            dt = datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0))
        except ValueError:
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=default_tz)
    return dt


def parse_rating(value: str | int | None, scale: int = 5) -> int | None:
    """Return the first integer in `value` if it is a valid 1..scale rating."""
    if value is None:
        return None
    m = _DIGITS.search(str(value))
    if not m:
        return None
    n = int(m.group())
    return n if 1 <= n <= scale else None
