"""Text statistics for reports: distinctive lemmas of a spike and the most typical quotes of a topic."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from classifiers.lemmas import lemmatize

# Function words, pronouns and fillers that say nothing about what happened.
STOP = frozenset("""
а без более бы быть в весь вот вы где да даже для до его ее если есть еще же за и из или им их к как
когда кто ли либо мой мы на над наш не нет нибудь никто ни но ну о об однако он она они оно от очень по
под после при про раз с свой себя сам так также такой там тот то тоже только ты у уже хоть что чтобы
чей это этот я вообще просто всё все вс какой который сейчас тут здесь мочь бы ваш день раз два три
""".split())


def content_lemmas(text: str) -> list[str]:
    """Lemmas that carry meaning: no stop words, nothing with digits (ids, dates), at least three letters."""
    return [w for w in lemmatize(text) if len(w) >= 3 and w not in STOP and not any(c.isdigit() for c in w)]


def top_terms(target: Sequence[str], background: Sequence[str], n: int = 8) -> list[tuple[str, int]]:
    """Lemmas over-represented in `target` texts against `background` texts: [(lemma, documents)].

    Score = share of target documents with the lemma × log-ratio of its smoothed document shares.
    """
    if not target:
        return []
    df_t = Counter(w for t in target for w in set(content_lemmas(t)))
    df_b = Counter(w for t in background for w in set(content_lemmas(t)))
    nt, nb = len(target), max(len(background), 1)
    min_df = 2 if nt >= 4 else 1
    alpha = 1.0 / (nt + nb)
    scored = []
    for w, d in df_t.items():
        if d < min_df:
            continue
        pt, pb = d / nt, df_b.get(w, 0) / nb
        score = pt * math.log((pt + alpha) / (pb + alpha)) if background else pt
        if score > 0:
            scored.append((-score, -d, w))
    return [(w, -d) for _, d, w in sorted(scored)[:n]]


def typical_indices(texts: Sequence[str], n: int = 3, min_words: int = 4, max_similar: float = 0.8,
                    limit: int = 1500) -> list[int]:
    """Indices of the `n` texts closest to the TF-IDF centroid of all `texts`, skipping near-duplicates.

    Texts shorter than `min_words` words are passed over while enough longer ones remain. Above `limit` texts,
    an evenly spaced sample of `limit` stands for the whole (the centroid of a large topic barely moves).
    """
    if not texts:
        return []
    if len(texts) > limit:
        sample = [round(i * (len(texts) - 1) / (limit - 1)) for i in range(limit)]
        return [sample[i] for i in typical_indices([texts[i] for i in sample], n, min_words, max_similar, limit)]
    tokens = [content_lemmas(t) for t in texts]
    if not any(tokens):
        return list(range(min(n, len(texts))))
    vec = TfidfVectorizer(analyzer=lambda doc: doc, sublinear_tf=True)
    x = vec.fit_transform(tokens)  # rows are L2-normalised
    centroid = np.asarray(x.mean(axis=0)).ravel()
    sims = x @ centroid
    long_enough = [i for i, t in enumerate(tokens) if len(t) >= min_words]
    pool = long_enough if len(long_enough) >= n else list(range(len(texts)))
    order = sorted(pool, key=lambda i: (-sims[i], len(texts[i]), i))
    picked: list[int] = []
    for i in order:
        if len(picked) == n:
            break
        if picked and max((x[i] @ x[j].T).toarray()[0, 0] for j in picked) > max_similar:
            continue
        picked.append(i)
    for i in order:  # fill up with near-duplicates only if nothing else is left, never with the same text
        if len(picked) == n:
            break
        if i not in picked and tokens[i] not in [tokens[j] for j in picked]:
            picked.append(i)
    return picked
