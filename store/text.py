"""Text normalisation shared by the crawlers and the store: what is kept, and what makes two texts 'the same'."""

from __future__ import annotations

import hashlib
import re
import unicodedata

# Invisible characters dropped from display text. U+200D (zero-width joiner) is dropped too,
# except between two pictographs, where it glues emoji sequences such as 👨‍👩‍👧 together.
# Bidirectional embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069) are dropped as well: they
# reorder what a moderator sees ("Trojan Source" spoofing); Arabic and Hebrew text needs none of them.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u2060\ufeff\u00ad\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                                    "\u2066\u2067\u2068\u2069"), None)
_STRAY_ZWJ = re.compile(r"(?<![\u2600-\u27bf\U0001f000-\U0001faff\ufe0f])\u200d|\u200d(?![\u2600-\u27bf\U0001f000-\U0001faff])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Lone surrogates (from &#xD800; and friends) cannot be encoded as UTF-8: no database stores them.
_SURROGATES = re.compile(r"[\ud800-\udfff]")
_FIELD_JUNK = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x85\v\f]")
_BLANK_LINES = re.compile(r"\n\s*\n+")
# VK writes mentions as [id123|Имя] or [club45|Сообщество]; keep the visible name.
_VK_MENTION = re.compile(r"\[(?:id|club|public|event)\d+\|([^\[\]|]{1,200})\]")
_URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w.-]+\.(?:ru|рф|com|net|org|su|me)/\S*", re.IGNORECASE)
_MENTION = re.compile(r"(?<![\w@])@\w+")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_LONG_NUMBER = re.compile(r"\d{5,}")

MAX_TEXT_CHARS = 20_000
SHINGLE_CHARS = 4


def normalize_text(text: str | None) -> str:
    """Return display text: Unicode NFC, no control or invisible characters, tidy whitespace, emoji and URLs kept."""
    if not text:
        return ""
    t = unicodedata.normalize("NFC", _SURROGATES.sub("", text)).translate(_INVISIBLE)
    t = _STRAY_ZWJ.sub("", t)
    t = _LINE_BREAKS.sub("\n", t)
    t = _CONTROL.sub("", t.replace("\t", " "))
    t = _VK_MENTION.sub(r"\1", t)
    lines = [_SPACES.sub(" ", line).strip() for line in t.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def clean_field(value: object) -> str:
    """A one-line field (id, author, URL) as storable text: no control characters, NUL or lone surrogates."""
    return _FIELD_JUNK.sub("", str(value or "")).strip()


def clean_json(value: object) -> object:
    """JSON data with every string storable: NUL (PostgreSQL rejects it in jsonb) and lone surrogates removed."""
    if isinstance(value, str):
        return _SURROGATES.sub("", value).replace("\x00", "")
    if isinstance(value, dict):
        return {clean_json(str(k)): clean_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_json(v) for v in value]
    return value


def dedup_key(text: str) -> str:
    """Return the form used to spot copies: lower-case, ё→е, URLs and @mentions dropped, punctuation and spacing ignored."""
    t = normalize_text(text).lower().replace("ё", "е")
    t = _URL.sub(" ", t)
    t = _MENTION.sub(" ", t)
    return _NON_WORD.sub(" ", t).replace("_", " ").strip()


def content_hash(text: str) -> str:
    """SHA-256 of the dedup key: equal for cross-posts and copy-paste of the same words."""
    return hashlib.sha256(dedup_key(text).encode("utf-8")).hexdigest()


def shingles(key: str, size: int = SHINGLE_CHARS) -> set[str]:
    """Return the character n-grams of a dedup key (the unit of near-duplicate similarity)."""
    if len(key) <= size:
        return {key} if key else set()
    return {key[i : i + size] for i in range(len(key) - size + 1)}


def long_numbers(text: str) -> set[str]:
    """Return the numbers of five or more digits (order and tracking numbers) in a text."""
    return set(_LONG_NUMBER.findall(text))
