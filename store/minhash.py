"""Near-duplicate fingerprints: MinHash over character 4-grams, cut into LSH bands (no database here).

A copy-paste review with small edits (a word dropped, a typo, "!!!" added) shares most of
its 4-grams with the original. A text's MinHash (NUM_PERM values) is cut into BANDS bands
of ROWS values; two texts sharing a band key are candidates, and a candidate is a copy when
the exact Jaccard similarity of the two shingle sets reaches JACCARD_THRESHOLD. With 20
bands of 4 rows a pair at similarity 0.6 becomes a candidate with probability 0.94, at 0.7
with 0.995, at 0.3 with 0.15. Thresholds were chosen on the 1,600 authored logistics texts
(classifiers/data/logistics): distinct texts reach at most 0.47 (one rewritten news item
0.64), copies with two small edits keep 0.62 or more in 99 of 100 cases.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from datasketch import MinHash

from store.text import dedup_key, long_numbers, shingles

BANDS = 20
ROWS = 4
NUM_PERM = BANDS * ROWS
SEED = 20261124
JACCARD_THRESHOLD = 0.6
MAX_CANDIDATES = 20
# Band keys are salted with the scheme, so a change of parameters never matches old keys.
_SCHEME = f"c4-b{BANDS}-r{ROWS}-s{SEED}".encode()


# Below this many characters of dedup key, similar texts ("спасибо!", "👍", "где посылка?") are
# common phrases, not copies, so they are never linked as duplicates.
MIN_KEY_CHARS = 25


def eligible(fp: Fingerprint) -> bool:
    """True when a text is long enough for similarity to mean copying."""
    return fp.length >= MIN_KEY_CHARS


def full_text(title: str, text: str) -> str:
    """The text a mention is compared by: the title (when not already in the text) and the body."""
    if title and title not in text:
        return f"{title}\n{text}".strip()
    return text or title


_HASH_SCHEME = "affine32"


@lru_cache(maxsize=1)
def _permutations():
    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=_HASH_SCHEME).permutations


@dataclass(frozen=True)
class Fingerprint:
    """What near-duplicate detection needs to know about one text."""

    length: int
    shingles: frozenset[str]
    numbers: frozenset[str]
    bands: tuple[int, ...] = ()


def features(text: str) -> Fingerprint:
    """Compute the dedup-key length, shingles and long numbers of a text (no band keys)."""
    key = dedup_key(text)
    return Fingerprint(len(key), frozenset(shingles(key)), frozenset(long_numbers(key)))


def fingerprint(text: str) -> Fingerprint:
    """Compute the features and, for texts long enough to compare, the LSH band keys of a text."""
    f = features(text)
    if not eligible(f):
        return f
    grams = f.shingles
    m = MinHash(num_perm=NUM_PERM, seed=SEED, permutations=_permutations(), scheme=_HASH_SCHEME)
    m.update_batch([g.encode("utf-8") for g in grams])
    values = np.asarray(m.hashvalues, dtype="<u4")
    bands = tuple(
        struct.unpack("<q", hashlib.blake2b(_SCHEME + bytes([b]) + values[b * ROWS : (b + 1) * ROWS].tobytes(), digest_size=8).digest())[0]
        for b in range(BANDS)
    )
    return Fingerprint(f.length, grams, f.numbers, bands)


def similarity(a: Fingerprint, b: Fingerprint) -> float:
    """Exact Jaccard similarity of two shingle sets."""
    if not a.shingles or not b.shingles:
        return 0.0
    return len(a.shingles & b.shingles) / len(a.shingles | b.shingles)


def same_feedback(a: Fingerprint, b: Fingerprint) -> bool:
    """True when b is a near copy of a; two texts naming different order numbers are different complaints."""
    if a.numbers and b.numbers and not (a.numbers & b.numbers):
        return False
    return similarity(a, b) >= JACCARD_THRESHOLD
