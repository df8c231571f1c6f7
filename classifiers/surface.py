"""Texts as people type them: the same words without the care of the authored sets.

Every edit keeps what a text says, so a row keeps its labels: lower case without punctuation, typos (a neighbouring
key, a dropped, doubled or swapped letter), «ё» written «е», no space after punctuation, commas left out.
`careless` applies one or two of them. `harden.py` teaches a checkpoint to read such texts as it reads the tidy
ones; `scripts/surface_robustness.py` measures the same kinds of writing with its own random choices.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

KEY_ROWS = ("йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю")
NEIGHBOUR_KEYS: dict[str, str] = {}
for _r, _row in enumerate(KEY_ROWS):
    for _c, _key in enumerate(_row):
        _near = [_row[j] for j in (_c - 1, _c + 1) if 0 <= j < len(_row)]
        _near += [KEY_ROWS[r][_c] for r in (_r - 1, _r + 1) if 0 <= r < len(KEY_ROWS) and _c < len(KEY_ROWS[r])]
        NEIGHBOUR_KEYS[_key] = "".join(_near)

# sentence punctuation only: brackets and emoji are how a text smiles or frowns ("Моя мечта)))"), links stay whole
PUNCTUATION = re.compile(r"[.,;:!?«»\"„“”…–—]+")
LINKISH = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
SPACE_AFTER_MARK = re.compile(r"([,.!?;:])\s+(?=\w)")
SPACES = re.compile(r"\s+")


def typo(word: str, rng: random.Random) -> str:
    """`word` with one slip of the fingers inside it (words under four letters unchanged)."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        near = NEIGHBOUR_KEYS.get(word[i].lower())
        if near:
            key = rng.choice(near)
            return word[:i] + (key.upper() if word[i].isupper() else key) + word[i + 1:]
        kind = 1
    if kind == 1:
        return word[:i] + word[i + 1:]
    if kind == 2:
        return word[:i] + word[i] + word[i:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def with_typos(text: str, rng: random.Random, rate: float = 0.12) -> str:
    """Each word of four or more letters gets a typo with probability `rate`, at least one word when it has any."""
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    hit = [i for i in long if rng.random() < rate] or ([rng.choice(long)] if long else [])
    for i in hit:
        words[i] = typo(words[i], rng)
    return " ".join(words)


def lower_unpunctuated(text: str) -> str:
    """Lower case without sentence punctuation; brackets, emoji and links kept as they are."""
    parts = LINKISH.split(text)
    links = LINKISH.findall(text)
    out = [PUNCTUATION.sub(" ", parts[0].lower())]
    for link, part in zip(links, parts[1:]):
        out += [f" {link} ", PUNCTUATION.sub(" ", part.lower())]
    return SPACES.sub(" ", "".join(out)).strip()


def plain_e(text: str) -> str:
    return text.replace("ё", "е").replace("Ё", "Е")


def no_space_after_marks(text: str) -> str:
    return SPACE_AFTER_MARK.sub(r"\1", text)


def no_commas(text: str) -> str:
    return text.replace(",", "")


EDITS: tuple[tuple[str, float], ...] = (("typos", 0.35), ("lower_unpunctuated", 0.3), ("plain_e", 0.1),
                                       ("no_space_after_marks", 0.1), ("no_commas", 0.15))


def _edit(name: str, rng: random.Random) -> Callable[[str], str]:
    if name == "typos":
        return lambda t: with_typos(t, rng)
    return {"lower_unpunctuated": lower_unpunctuated, "plain_e": plain_e,
            "no_space_after_marks": no_space_after_marks, "no_commas": no_commas}[name]


def careless(text: str, rng: random.Random) -> str:
    """`text` with one edit of `EDITS` (drawn by weight) and, one time in three, a second different one; typos when
    the edits drawn leave it as it was."""
    names, weights = zip(*EDITS)
    first = rng.choices(names, weights)[0]
    chosen = [first]
    rest = [(n, w) for n, w in EDITS if n != first]
    if rest and rng.random() < 1 / 3:
        chosen.append(rng.choices([n for n, _ in rest], [w for _, w in rest])[0])
    written = text
    for name in chosen:
        written = _edit(name, rng)(written)
    return written if written != text else with_typos(text, rng)  # «без запятых» in a text without one
