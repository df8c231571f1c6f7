"""Parsing helpers shared by the spiders: dates, ratings, HTML fragments to text."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

from w3lib.html import remove_tags, remove_tags_with_content, replace_entities

MOSCOW = ZoneInfo("Europe/Moscow")
# Source formatting (line wraps, indentation) is whitespace like any other; line breaks come from markup.
_SOURCE_SPACE = re.compile(r"[ \t\r\n\f]+")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_BLOCK = re.compile(r"</?(?:p|div|ul|ol|h[1-6]|blockquote|table|pre)\b[^>]*>|<(?:li|tr)\b[^>]*>", re.IGNORECASE)
_ROW_END = re.compile(r"</(?:li|tr)\s*>", re.IGNORECASE)  # a list item or table row ends where the next starts
_CELL = re.compile(r"</?t[dh]\b[^>]*>", re.IGNORECASE)
_SPACES = re.compile(r" {2,}")
_SPACE_AROUND_BREAK = re.compile(r" *\n *")
_MANY_BREAKS = re.compile(r"\n{3,}")
_TIME = r"(?:\D+?(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([+-]\d{2}:?\d{2}))?)?"  # [hh:mm[:ss][ ±hhmm]]
_RU_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})" + _TIME)
_RU_MONTHS = ("янв", "фев", "мар", "апр", "мая|май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек")
_RU_WORD_DATE = re.compile(
    r"(\d{1,2})\s+(" + "|".join(f"(?:{m})" for m in _RU_MONTHS) + r")[а-я]*\.?\s+(\d{4})" + _TIME, re.IGNORECASE
)
_YEAR = re.compile(r"\b\d{4}\b")
# dates in other languages ("Seg, 24 Set 2018 19:42:40 -0300"): absolute ones only, day, month and year all written
_OTHER_LANGUAGES = {"PARSERS": ["absolute-time"], "RETURN_AS_TIMEZONE_AWARE": True, "TIMEZONE": "Europe/Moscow",
                    "REQUIRE_PARTS": ["day", "month", "year"]}
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def html_to_text(fragment: str | None) -> str:
    """Turn an HTML fragment into plain text: `<br>` is a line break, a paragraph (p, div…) starts a new line and
    list items or table rows one line each; line wraps and indentation of the HTML source are plain spaces; tags
    dropped (scripts and styles with their content), entities decoded."""
    if not fragment:
        return ""
    s = _SOURCE_SPACE.sub(" ", remove_tags_with_content(fragment, which_ones=("script", "style")))
    s = _BLOCK.sub("\n", _ROW_END.sub(" ", _CELL.sub(" ", _BR.sub("\n", s))))
    s = _SPACES.sub(" ", replace_entities(remove_tags(s)))  # spaces from entities too (`&#32;` × 40,000)
    return _MANY_BREAKS.sub("\n\n", _SPACE_AROUND_BREAK.sub("\n", s)).strip()


def decode_entities(text: str | None) -> str:
    """Plain text that may carry HTML character references (VK's `&#10071;`, `&quot;`): decoded, nothing else."""
    return replace_entities(text or "")


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
        dt = _russian_date(s) or _date_in_other_language(s)
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=default_tz)
    return dt


def _russian_date(s: str) -> datetime | None:
    """«20.04.2026 14:04», «15 мая 2025, 10:30:15 +0500»: naive unless an offset is written."""
    m = _RU_DATE.search(s)
    w = None if m else _RU_WORD_DATE.search(s)
    if not m and not w:
        return None
    if m:
        d, mo, y, hh, mm, ss, offset = m.groups()
    else:
        d, month, y, hh, mm, ss, offset = w.groups()
        mo = next(i for i, names in enumerate(_RU_MONTHS, 1) if re.fullmatch(names, month[:3].lower()))
    tz = None
    if offset:
        sign, digits = (-1 if offset[0] == "-" else 1), offset[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        return datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0), tzinfo=tz)
    except ValueError:
        return None


def _date_in_other_language(s: str) -> datetime | None:
    """A written-out date in another language (`dateparser`), only when it names a year: never guessed from today."""
    if not _YEAR.search(s) or len(s) > 100:
        return None
    import dateparser  # loads its language data on first use: only dates nothing else could read pay for it

    try:
        return dateparser.parse(s, settings=_OTHER_LANGUAGES)
    except (ValueError, OverflowError, TypeError):
        return None


def parse_score(value: str | int | float | None, scale: int = 5) -> float | None:
    """The first number in `value` ("4", "4.9", "4,5 из 5", "Оценка: 3") if it is a rating within 1..scale."""
    if value is None or isinstance(value, bool):
        return None
    m = _NUMBER.search(str(value))
    if not m:
        return None
    n = float(m.group().replace(",", "."))
    return n if 1 <= n <= scale else None


def rating_from_score(score: float | None) -> int | None:
    """The whole-star rating stored for a score: halves round up (4.5 → 5), 4.4 → 4."""
    return None if score is None else int(Decimal(str(score)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_rating(value: str | int | float | None, scale: int = 5) -> int | None:
    """The whole-star rating in `value` ("4.9" → 5, not 4), or None if there is no 1..scale number."""
    return rating_from_score(parse_score(value, scale))
