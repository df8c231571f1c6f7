"""Text normalisation shared by the crawlers and the store: what is kept, and what makes two texts 'the same'."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<!\w)@\w+")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)

MAX_TEXT_CHARS = 20_000


def normalize_text(text: str | None) -> str:
    """Return display text: Unicode NFC, no control or zero-width characters, tidy whitespace, emoji kept."""
    if not text:
        return ""
    t = unicodedata.normalize("NFC", text).translate(_ZERO_WIDTH)
    t = t.replace("\r\n", "\n").replace("\r", "\n")
    t = _CONTROL.sub("", t)
    lines = [_SPACES.sub(" ", line).strip() for line in t.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def dedup_key(text: str) -> str:
    """Return the form used to spot copies: lower-case, ё→е, URLs and @mentions dropped, punctuation and spacing ignored."""
    t = normalize_text(text).lower().replace("ё", "е")
    t = _URL.sub(" ", t)
    t = _MENTION.sub(" ", t)
    return _NON_WORD.sub(" ", t).strip()


def content_hash(text: str) -> str:
    """SHA-256 of the dedup key: equal for cross-posts and copy-paste of the same words."""
    return hashlib.sha256(dedup_key(text).encode("utf-8")).hexdigest()
