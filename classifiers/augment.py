"""Augmented copies of training texts for distillation (TinyBERT-style): the teacher labels every copy.

Three edits, each keeping the text readable Russian:
- replace words with their nearest neighbours in navec (natasha's news word vectors, no download);
- delete a short span of words;
- join the text with another training text (mixed complaints, longer context).
Copies carry no gold labels: the student learns the teacher's soft labels on them, never a guessed gold one.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence

import numpy as np

WORD = re.compile(r"[А-Яа-яЁё]{3,}")
EDITS = (("replace", 0.6), ("delete", 0.2), ("join", 0.2))


def navec_vectors():
    """(words, unit vectors [N, 300] float32) of natasha's navec vocabulary, Cyrillic words only."""
    from natasha import NewsEmbedding

    emb = NewsEmbedding()
    words = emb.vocab.words
    keep = np.array([bool(re.fullmatch(r"[а-яё-]+", w)) for w in words])
    idx = emb.pq.indexes[keep]  # [N, subspaces] centroid ids
    vectors = emb.pq.codes[np.arange(idx.shape[1])[None, :], idx].reshape(len(idx), -1).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-8
    return [w for w, k in zip(words, keep) if k], vectors


class Neighbours:
    """Nearest navec neighbours (cosine ≥ `min_sim`, at most `k`) of the given words, computed once."""

    def __init__(self, words: Iterable[str], k: int = 8, min_sim: float = 0.5, chunk: int = 512):
        vocab, vectors = navec_vectors()
        index = {w: i for i, w in enumerate(vocab)}
        wanted = sorted({w.lower() for w in words} & index.keys())
        self.table: dict[str, list[str]] = {}
        for start in range(0, len(wanted), chunk):
            part = wanted[start : start + chunk]
            sims = vectors[[index[w] for w in part]] @ vectors.T
            top = np.argpartition(-sims, k + 1, axis=1)[:, : k + 1]
            for row, w in enumerate(part):
                order = top[row][np.argsort(-sims[row, top[row]])]
                near = [vocab[j] for j in order if vocab[j] != w and sims[row, j] >= min_sim][:k]
                if near:
                    self.table[w] = near

    def get(self, word: str) -> list[str]:
        return self.table.get(word.lower(), [])


def _same_case(new: str, old: str) -> str:
    return new.capitalize() if old[:1].isupper() else new


def replace_words(text: str, neighbours: Neighbours, rng: random.Random, p: float = 0.3) -> str:
    """Each Cyrillic word of 3+ letters is replaced with probability `p` by one of its neighbours."""

    def swap(m: re.Match) -> str:
        near = neighbours.get(m.group())
        return _same_case(rng.choice(near), m.group()) if near and rng.random() < p else m.group()

    return WORD.sub(swap, text)


def delete_span(text: str, rng: random.Random) -> str:
    """Drop 1 to a fifth of the words in one contiguous span (texts of 4+ words; shorter ones unchanged)."""
    words = text.split()
    if len(words) < 4:
        return text
    size = rng.randint(1, max(1, len(words) // 5))
    start = rng.randrange(0, len(words) - size + 1)
    return " ".join(words[:start] + words[start + size :])


def join_texts(text: str, other: str) -> str:
    sep = " " if text.rstrip()[-1:] in ".!?…" else ". "
    return text.rstrip() + sep + other.lstrip()


def augmented_rows(rows: Sequence[dict], copies: int, seed: int = 13, neighbours: Neighbours | None = None) -> list[dict]:
    """`copies` edited copies of each row (a copy equal to its source is dropped), without gold labels."""
    if copies <= 0 or not rows:
        return []
    rng = random.Random(seed)
    texts = [r["text"] for r in rows]
    if neighbours is None:
        neighbours = Neighbours(w for t in texts for w in WORD.findall(t))
    names, weights = zip(*EDITS)
    out = []
    for _ in range(copies):
        for text in texts:
            edit = rng.choices(names, weights)[0]
            if edit == "replace":
                new = replace_words(text, neighbours, rng)
            elif edit == "delete":
                new = delete_span(text, rng)
            else:
                new = join_texts(text, rng.choice(texts))
            if new != text:
                out.append({"text": new, "sentiment": None, "topics": None, "augmented": edit})
    return out
