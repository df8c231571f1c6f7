"""The joint paired-bootstrap promotion gate (`classifiers/significance.py`), on the real test sets' gold labels."""

from __future__ import annotations

import random

import numpy as np
import pytest

from classifiers.metrics import f1_pos_neg, macro_f1, multilabel_report
from classifiers.significance import Outcomes, class_counts, metric_from, paired_bootstrap, topic_counts

SENTIMENTS = ["negative", "neutral", "positive"]


def _gold() -> dict[str, list[str]]:
    from classifiers.evaluate import sentiment_test_sets

    return {k: [r["sentiment"] for r in rows] for k, rows in sentiment_test_sets().items()}


GOLD = None


def outcomes_with_errors(rates: dict[str, float], seed: int = 1, flip_from: int = 0) -> Outcomes:
    """Predictions on the real sentiment test sets that are wrong on the first `rate` share of a fixed shuffle."""
    global GOLD
    GOLD = GOLD or _gold()
    out = Outcomes()
    for name, gold in GOLD.items():
        order = list(range(len(gold)))
        random.Random(seed).shuffle(order)
        wrong = set(order[: int(rates[name] * len(gold))])
        pred = [SENTIMENTS[(SENTIMENTS.index(g) + 1) % 3] if i in wrong else g for i, g in enumerate(gold)]
        out.sentiment[name] = (gold, pred)
    return out


def test_counts_reproduce_the_hand_written_metrics():
    gold = ["positive", "negative", "neutral", "positive", "negative", None]
    pred = ["positive", "neutral", "neutral", "negative", "negative", "positive"]
    counts = class_counts(gold, pred, SENTIMENTS)
    assert metric_from("f1pn", counts.sum(0)) == pytest.approx(f1_pos_neg(gold[:5], pred[:5]))
    assert metric_from("macro_f1", counts.sum(0)) == pytest.approx(macro_f1(gold[:5], pred[:5]))
    tg = [["billing"], ["tracking", "lost_item"], ["other"]]
    tp = [["billing", "returns"], ["tracking"], []]
    codes = ["billing", "tracking", "lost_item", "returns", "other"]
    assert metric_from("micro_f1", topic_counts(tg, tp, codes).sum(0)) == pytest.approx(
        multilabel_report(tg, tp, codes)["micro_f1"])


def test_identical_models_pass_and_deltas_are_zero():
    a = outcomes_with_errors({"banks": 0.3, "telecom": 0.3, "rusentiment": 0.3})
    res = paired_bootstrap(a, a, replicates=300)
    assert res.passed and res.joint == 1.0
    assert all(m.delta == 0 and m.low == 0 and m.high == 0 for m in res.metrics)


def test_one_borderline_drop_is_not_hidden_by_gains_elsewhere():
    """+5 points on two sets do not buy a 1.5-point drop on the third: the joint rule names it."""
    cur = outcomes_with_errors({"banks": 0.30, "telecom": 0.30, "rusentiment": 0.30})
    cand = outcomes_with_errors({"banks": 0.25, "telecom": 0.25, "rusentiment": 0.315})
    res = paired_bootstrap(cand, cur, replicates=500)
    by_name = {m.name: m for m in res.metrics}
    assert by_name["banks_f1pn"].delta > 0.03 and by_name["telecom_f1pn"].delta > 0.03
    assert by_name["rusentiment_macro_f1"].delta < -0.01
    assert float(np.mean([m.delta for m in res.metrics])) > 0  # an average rule would have promoted it
    assert not res.passed and res.blocking() == ["rusentiment_macro_f1"]


def test_noise_sized_differences_pass():
    """A candidate that changes a handful of answers either way is not refused for noise."""
    cur = outcomes_with_errors({"banks": 0.30, "telecom": 0.30, "rusentiment": 0.30})
    cand = outcomes_with_errors({"banks": 0.302, "telecom": 0.298, "rusentiment": 0.301})
    res = paired_bootstrap(cand, cur, replicates=500)
    assert res.passed, res.format()


def test_gate_refuses_models_scored_on_different_texts():
    a = outcomes_with_errors({"banks": 0.3, "telecom": 0.3, "rusentiment": 0.3})
    b = Outcomes({k: (g[:-1], p[:-1]) for k, (g, p) in a.sentiment.items()})
    with pytest.raises(ValueError, match="different texts"):
        paired_bootstrap(a, b, replicates=10)


def test_outcomes_round_trip_through_json():
    a = outcomes_with_errors({"banks": 0.3, "telecom": 0.3, "rusentiment": 0.3})
    a.topics = ([["billing"], ["tracking"]], [["billing"], []])
    a.topic_codes = ["billing", "tracking"]
    b = Outcomes.from_json(a.to_json())
    assert b.sentiment["banks"] == (list(a.sentiment["banks"][0]), list(a.sentiment["banks"][1]))
    assert b.topics == a.topics and b.topic_codes == a.topic_codes
