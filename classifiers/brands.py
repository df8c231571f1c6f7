"""Company names in the SentiRuEval tweets, and a training-time swap that makes them uninformative.

The tweets' training period (summer 2014, sanctions) and test period (winter 2013/14) give the same company very
different sentiment: VTB is negative in 49 % of its training tweets and in 3 % of its test tweets. A model that
learns "VTB → negative" is right on validation (same period) and wrong later. Replacing each company name in a
training tweet with a random company of the same domain keeps the sentence and removes that shortcut; inference
is unchanged.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

# domain -> (name used as a replacement, pattern of its spellings in Cyrillic and Latin, @handles included)
BRANDS: dict[str, tuple[tuple[str, str], ...]] = {
    "banks": (
        ("Сбербанк", r"сбер\w*|sber\w*"),
        ("ВТБ", r"втб\w*|vtb\w*"),
        ("Альфа-Банк", r"альфа[- ]?банк\w*|alfa[-_ ]?bank\w*|альфабанк\w*"),
        ("Россельхозбанк", r"россельхоз\w*|рсхб|rshb\w*"),
        ("Банк Москвы", r"банк\w* москвы|bank_?of_?moscow\w*"),
        ("Газпромбанк", r"газпром\w*|gazprom\w*"),
        ("Райффайзенбанк", r"райф\w*|raif+eisen\w*"),
        ("Уралсиб", r"уралсиб\w*|uralsib\w*"),
    ),
    "telecom": (
        ("Билайн", r"билайн\w*|beeline\w*|пчелайн\w*|вымпелком\w*"),
        ("МТС", r"мтс\w*|mts\w*|мобильные телесистемы"),
        ("МегаФон", r"мегафон\w*|megafon\w*"),
        ("Ростелеком", r"ростелеком\w*|rostelecom\w*"),
        ("Теле2", r"теле ?2|tele ?2\w*"),
    ),
}
PATTERNS = {
    domain: re.compile(r"(?<![a-zа-яё])(?:" + "|".join(p for _, p in brands) + r")", re.IGNORECASE)
    for domain, brands in BRANDS.items()
}


def swap_brands(text: str, domain: str, rng: random.Random) -> str:
    """`text` with every company name of `domain` replaced by a random company of the same domain."""
    pattern = PATTERNS.get(domain)
    if pattern is None:
        return text
    names = [name for name, _ in BRANDS[domain]]
    return pattern.sub(lambda _: rng.choice(names), text)


def brand_swapped(rows: Sequence[dict], seed: int) -> list[dict]:
    """Copies of `rows` whose tweets (rows with a `domain` in BRANDS) name random companies; others unchanged."""
    rng = random.Random(seed)
    return [{**r, "text": swap_brands(r["text"], r.get("domain", ""), rng)} for r in rows]
