"""Lemma rules: weak supervision for topics and the honest rule baseline classifier.

A topic rule is a tuple of lemmas from the taxonomy; it fires when all of its lemmas
occur in the text. The baseline sentiment is a small polarity lexicon, kept
deliberately simple: it is the yardstick the transformer must beat, not a product.
"""

from __future__ import annotations

import math
from typing import Sequence

from .lemmas import lemmatize
from .taxonomy import SENTIMENTS, Taxonomy, load_taxonomy
from .types import Prediction

NEGATIVE_LEMMAS = frozenset(
    """ужасный ужасно отвратительный кошмар позор безобразие хамство хамить нахамить грубый
    обман обмануть потерять разбить сломать помять опоздать задержка жалоба верните вернуть
    никогда худший отстой бесить надоесть издеваться невозможно ненавидеть развод мошенник
    игнорировать безответственный""".split()
)
POSITIVE_LEMMAS = frozenset(
    """спасибо благодарить благодарность отличный отлично молодец супер класс лучший рекомендовать
    вежливый быстро быстрый удобный удобно довольный приятно аккуратно аккуратный замечательный""".split()
)


def _norm(rule: Sequence[str]) -> tuple[str, ...]:
    return tuple(w.lower().replace("ё", "е") for w in rule)


class RuleTopicLabeler:
    """Apply the taxonomy's lemma rules to texts."""

    def __init__(self, taxonomy: Taxonomy | None = None):
        self.taxonomy = taxonomy or load_taxonomy()
        self._rules = {t.code: [_norm(r) for r in t.lemmas] for t in self.taxonomy.topics}

    def fired(self, lemmas: Sequence[str]) -> dict[str, int]:
        """Return topic code -> number of rules that fired for these lemmas."""
        bag = set(lemmas)
        hits: dict[str, int] = {}
        for code, rules in self._rules.items():
            n = sum(1 for rule in rules if rule and all(w in bag for w in rule))
            if n:
                hits[code] = n
        return hits

    def label(self, text: str) -> list[str]:
        """Return the topic codes whose rules fire on `text`."""
        return sorted(self.fired(lemmatize(text)))


class RuleClassifier:
    """Lexicon sentiment + lemma-rule topics: the baseline before any model is trained."""

    name = "rules"
    version = "rules-v1"

    def __init__(self, taxonomy: Taxonomy | None = None):
        self.labeler = RuleTopicLabeler(taxonomy)
        self.fallback_topic = "other" if "other" in self.labeler.taxonomy else None

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        return [self._predict_one(t) for t in texts]

    def _predict_one(self, text: str) -> Prediction:
        lemmas = lemmatize(text)
        neg = sum(1 for w in lemmas if w in NEGATIVE_LEMMAS)
        pos = sum(1 for w in lemmas if w in POSITIVE_LEMMAS)
        logits = {"negative": float(neg), "neutral": 0.5, "positive": float(pos)}
        z = sum(math.exp(v) for v in logits.values())
        scores = {k: math.exp(logits[k]) / z for k in SENTIMENTS}
        sentiment = max(SENTIMENTS, key=lambda k: scores[k])
        fired = self.labeler.fired(lemmas)
        topic_scores = {
            code: (1 - 0.5 ** fired[code]) if code in fired else 0.0 for code in self.labeler.taxonomy.codes
        }
        topics = sorted(fired) or ([self.fallback_topic] if self.fallback_topic else [])
        return Prediction(sentiment, scores, topics, topic_scores)
