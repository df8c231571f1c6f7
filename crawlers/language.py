"""Language tagging so non-Russian mentions can be filtered or routed."""

from __future__ import annotations

import re
from functools import lru_cache

from w3lib.html import remove_tags

_LETTER_WORDS = re.compile(r"[^\W\d_]{2,}", re.UNICODE)


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    langs = [Language.RUSSIAN, Language.UKRAINIAN, Language.BELARUSIAN, Language.KAZAKH, Language.ENGLISH,
             Language.GERMAN, Language.TURKISH]
    return LanguageDetectorBuilder.from_languages(*langs).build()


def detect_language(text: str) -> str:
    """Return an ISO 639-1 code, or '' when the text has too few words to tell (emoji, 'ok')."""
    text = remove_tags(text or "")  # a typed "<script>" is not English
    if len(_LETTER_WORDS.findall(text)) < 2:
        return ""
    lang = _detector().detect_language_of(text[:2000])
    return lang.iso_code_639_1.name.lower() if lang else ""
