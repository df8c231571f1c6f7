"""`otklik train --rusentiment-share`: the stage-1 ablation knob scales RuSentiment's training rows and nothing else."""

from __future__ import annotations

import pytest

from classifiers.pipeline import scaled_rows, sentiment_splits


def rusentiment_ids(rows):
    return [r["id"] for r in rows if r["domain"] == "vk_posts"]


def ids_by_set(val):
    return {k: [r["id"] for r in v] for k, v in val.items()}


def test_the_share_scales_rusentiment_rows_and_keeps_tweets_and_validation():
    full, val_full = sentiment_splits(13)
    n_rus = len(rusentiment_ids(full))
    tweets = [r["id"] for r in full if r["domain"] != "vk_posts"]
    assert n_rus > 10_000 and len(tweets) > 5_000
    for share, expected in ((0.0, 0), (0.5, round(0.5 * n_rus)), (2.0, 2 * n_rus)):
        rows, val = sentiment_splits(13, share)
        assert len(rusentiment_ids(rows)) == expected
        assert [r["id"] for r in rows if r["domain"] != "vk_posts"] == tweets
        assert ids_by_set(val) == ids_by_set(val_full)
    half = rusentiment_ids(sentiment_splits(13, 0.5)[0])
    assert len(set(half)) == len(half) and set(half) <= set(rusentiment_ids(full))


def test_scaled_rows_is_seeded_and_refuses_a_negative_share():
    rows = [{"id": i} for i in range(10)]
    assert scaled_rows(rows, 1.3, 1) == scaled_rows(rows, 1.3, 1) and len(scaled_rows(rows, 1.3, 1)) == 13
    with pytest.raises(ValueError, match=">= 0"):
        scaled_rows(rows, -0.5, 1)
