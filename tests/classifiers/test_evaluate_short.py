"""The logistics evaluation also scores the short texts (social-media one-liners) on their own."""

from __future__ import annotations

import pytest

from classifiers.evaluate import _logistics, is_short, render_markdown
from classifiers.rules import RuleClassifier

ROWS = [
    {"text": "Посылку потеряли", "sentiment": "negative", "topics": ["lost_item"]},
    {"text": "Коробка пришла мятая, товар разбит", "sentiment": "neutral", "topics": ["damaged_packaging"]},
    {"text": "Заказывала на двенадцатое число, сегодня уже девятнадцатое, а посылку всё обещают привезти завтра",
     "sentiment": "negative", "topics": ["delivery_delay"]},
]


def test_is_short_counts_words_not_characters():
    assert is_short("курьер хамло 😡!!!")
    assert is_short("заказ 40061187 застрял")
    assert not is_short("обещали сегодня а привезут только в пятницу")


def test_short_rows_are_scored_separately():
    out = _logistics(RuleClassifier(), ROWS)
    assert out["n"] == 3 and out["short"]["n"] == 2
    # the rules get the two one-liners right and the long delay complaint wrong ("other")
    assert out["short"]["topic_micro_f1"] == pytest.approx(1.0)
    assert out["report"]["micro_f1"] == pytest.approx(2 / 3)
    report = {"date": "d", "model_version": "v", "model_dir": "m", "fingerprint": "f",
              "sentiment": {k: {ds: {"f1pn": 0.5, "macro_f1": 0.5, "n": 1} for ds in ("banks", "telecom", "rusentiment")}
                            for k in ("model", "tfidf")},
              "logistics": {"model": out, "rules": out, "n": 3}}
    md = render_markdown(report)
    assert "Short texts (≤ 5 words, 2 of the 3): model topic micro-F1 1.000" in md
