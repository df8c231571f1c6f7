"""Language tagging so non-Russian mentions can be filtered or routed."""

from __future__ import annotations

import re
from functools import lru_cache

from w3lib.html import remove_tags

_LETTER_WORDS = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# Letters Russian does not use but Ukrainian, Belarusian or Kazakh do: their presence needs the full detector.
_NON_RUSSIAN_CYRILLIC = re.compile(r"[іїєґўәғқңөұүһІЇЄҐЎӘҒҚҢӨҰҮҺ]")


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    langs = [Language.RUSSIAN, Language.UKRAINIAN, Language.BELARUSIAN, Language.KAZAKH, Language.ENGLISH,
             Language.GERMAN, Language.TURKISH]
    return LanguageDetectorBuilder.from_languages(*langs).build()


def detect_language(text: str) -> str:
    """Return an ISO 639-1 code, or '' when the text has too few words to tell (emoji, 'ok')."""
    sample = remove_tags(text or "")[:2000]  # a typed "<script>" is not English
    if len(_LETTER_WORDS.findall(sample)) < 2:
        return ""
    letters = len(_LETTERS.findall(sample))
    if len(_CYRILLIC.findall(sample)) >= 0.9 * letters and not _NON_RUSSIAN_CYRILLIC.search(sample):
        return "ru"  # fast path: Cyrillic with only Russian letters (most mentions; lingua costs ~6 ms a text)
    lang = _detector().detect_language_of(sample)
    return lang.iso_code_639_1.name.lower() if lang else ""
