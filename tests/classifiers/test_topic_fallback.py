"""A text with no topic above its threshold: its best topic when that scores high enough, else `other`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from classifiers.topic_fallback import FILE, choose_min_score, read_min_score, topic_sets, tune_fallback

CODES = ["delivery_delay", "lost_item", "praise", "other"]
THRESHOLDS = {"delivery_delay": 0.5, "lost_item": 0.6, "praise": 0.5, "other": 0.5}
FAST = Path(__file__).resolve().parents[2] / "classifiers" / "models" / "fast"


def test_topics_above_threshold_come_first_then_the_best_topic_then_the_catch_all():
    probs = np.array([[0.7, 0.9, 0.1, 0.2],    # two topics pass: both, highest first
                      [0.3, 0.55, 0.1, 0.45],  # none passes; lost_item is best (other is not a candidate)
                      [0.15, 0.1, 0.05, 0.4],  # none passes and the best scores under the minimum
                      [0.2, 0.1, 0.1, 0.9]], dtype=np.float32)  # other passes by itself
    assert topic_sets(probs, CODES, THRESHOLDS, "other", 0.2) == [["lost_item", "delivery_delay"], ["lost_item"],
                                                                  ["other"], ["other"]]
    assert topic_sets(probs, CODES, THRESHOLDS, "other", None)[1:3] == [["other"], ["other"]]  # the old rule
    assert topic_sets(probs, CODES, THRESHOLDS, None, None)[1:3] == [[], []]
    # without a catch-all every code is a candidate, `other` included (here it is just another label)
    assert topic_sets(probs, CODES, THRESHOLDS, None, 0.2)[1:3] == [["lost_item"], ["other"]]
    assert topic_sets(probs, CODES, THRESHOLDS, None, 0.5)[1:3] == [["lost_item"], []]


def test_spam_is_never_guessed_since_it_closes_a_ticket_unanswered():
    codes, thresholds = ["delivery_delay", "spam", "other"], {"delivery_delay": 0.5, "spam": 0.5, "other": 0.5}
    probs = np.array([[0.25, 0.45, 0.1], [0.1, 0.7, 0.1]], dtype=np.float32)
    assert topic_sets(probs, codes, thresholds, "other", 0.2) == [["delivery_delay"], ["spam"]]
    assert topic_sets(probs, codes, thresholds, "other", 0.3) == [["other"], ["spam"]]


def test_the_minimum_score_ships_only_when_validation_says_the_best_topic_beats_the_catch_all():
    rng = np.random.default_rng(0)
    probs = rng.uniform(0.25, 0.45, size=(400, len(CODES))).astype(np.float32)  # nothing passes a threshold
    best = [CODES[int(np.argmax(p[:3]))] for p in probs]
    right = choose_min_score(probs, [{"topics": [b]} for b in best], CODES, THRESHOLDS, "other")
    assert right["ship"] and right["micro_f1_never"] == 0.0 and right["micro_f1_by_min_score"]["0.2"] == 1.0
    assert right["best_min_score"] in (0.1, 0.2)  # every text scores 0.25 or more: both keep every best topic
    wrong = choose_min_score(probs, [{"topics": ["other"]} for _ in best], CODES, THRESHOLDS, "other")
    assert not wrong["ship"] and wrong["micro_f1_never"] == 1.0


def test_tuning_a_checkpoint_writes_what_it_chose_and_the_checkpoint_serves_it(tiny_trained, tmp_path):
    from classifiers.model import load_checkpoint

    ckpt = Path(shutil.copytree(tiny_trained, tmp_path / "ckpt"))
    result = tune_fallback(ckpt, echo=lambda m: None)
    assert (ckpt / FILE).exists() == result["ship"]
    served = load_checkpoint(ckpt, device="cpu")
    if result["ship"]:
        assert read_min_score(ckpt) == result["best_min_score"] == served.fallback_min_score
        assert served.version.endswith("+fb")
    (ckpt / FILE).write_text(json.dumps({"min_score": 0.95}))  # a stale file is replaced or removed by a new tuning
    result = tune_fallback(ckpt, echo=lambda m: None)
    assert read_min_score(ckpt) == (result["best_min_score"] if result["ship"] else None)


def test_the_shipped_student_gives_its_best_topic_instead_of_other_exactly_where_nothing_passed():
    from classifiers.data import load_logistics
    from classifiers.model import load_checkpoint

    clf = load_checkpoint(FAST, device="onnx")
    assert clf.fallback_min_score is not None and clf.version.endswith("+fb")
    texts = [r["text"] for r in load_logistics("train")[:600]]
    _, probs = clf.scores(texts)
    served = [p.topics for p in clf.predict(texts)]
    old = topic_sets(probs, clf.topic_codes, clf.thresholds, "other", None)
    assert served == topic_sets(probs, clf.topic_codes, clf.thresholds, "other", clf.fallback_min_score)
    changed = [(o, s) for o, s in zip(old, served) if o != s]
    assert changed  # the rule is exercised on these texts
    assert all(o == ["other"] and len(s) == 1 and s != ["other"] for o, s in changed)
