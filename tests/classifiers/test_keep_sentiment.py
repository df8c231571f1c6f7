"""Learning without forgetting: stages 2 and 3 hold the sentiment output near the sentiment stage's."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from classifiers.pipeline import anchor_targets
from classifiers.taxonomy import load_taxonomy
from classifiers.train import (StageConfig, build_model, encode_rows, multitask_loss, predict_logits, split_probs,
                               train_stage)


def _loss(logits, keep=None, keep_w=0.0):
    n = logits.shape[0]
    sent = torch.tensor([0, 2, 1, 1])[:n]
    topics = torch.zeros((n, logits.shape[1] - 3))
    tmask = torch.zeros(n)
    return multitask_loss(logits, sent, topics, tmask, torch.ones(n), torch.ones(3), 1.0, keep=keep, keep_w=keep_w)[0]


def test_keep_term_is_the_kl_to_the_targets_and_skips_nan_rows():
    torch.manual_seed(0)
    logits = torch.randn(4, 5)
    base = _loss(logits)
    own = torch.softmax(logits[:, :3], -1)
    assert float(_loss(logits, own, 1.0)) == pytest.approx(float(base), abs=1e-6)  # KL to itself is 0
    other = torch.tensor([[1.0, 0.0, 0.0]] * 4) * 0.98 + 0.01 / 1.5
    assert float(_loss(logits, other, 1.0)) > float(base) + 0.1
    none = torch.full((4, 3), float("nan"))
    assert float(_loss(logits, none, 1.0)) == pytest.approx(float(base))
    half = other.clone()
    half[2:] = float("nan")  # only rows 0-1 count
    p = other[:2]
    kl = (p * (p.log() - torch.log_softmax(logits[:2, :3], -1))).sum(1).mean()
    assert float(_loss(logits, half, 2.0)) == pytest.approx(float(base + 2.0 * kl), rel=1e-5)


def test_anchor_targets_cover_only_the_anchored_rows(tiny_trained, tiny_rows):
    out = anchor_targets(tiny_trained, tiny_rows, [i % 2 == 0 for i in range(len(tiny_rows))], "cpu", 48)
    assert out.shape == (len(tiny_rows), 3)
    assert np.isnan(out[1::2]).all()
    np.testing.assert_allclose(out[::2].sum(1), 1.0, atol=1e-5)


def _drift(tiny_trained, rows, tmp_path, keep_w: float) -> float:
    """Mean change of the sentiment distribution on `rows` after a stage that teaches them all 'positive'."""
    codes = load_taxonomy().codes
    targets = anchor_targets(tiny_trained, rows, [True] * len(rows), "cpu", 48)
    model, tok = build_model(tiny_trained, codes, version="keep", taxonomy_version=1, max_length=48)
    shifted = [{**r, "sentiment": "positive"} for r in rows]
    cfg = StageConfig(name="keep", epochs=6, lr=2e-3, head_lr=1e-2, batch_size=4, max_length=48, eval_every=0,
                      save_every=0, precision="fp32", keep_sentiment_weight=keep_w, seed=3)
    best = train_stage(model, tok, shifted, cfg, tmp_path, device="cpu", log=lambda m: None,
                       keep_targets=targets if keep_w else None)
    model, tok = build_model(best, codes, version="keep", taxonomy_version=1, max_length=48)
    ids = encode_rows(tok, rows, codes, "query: ", 48).ids
    after, _ = split_probs(predict_logits(model, ids, tok.pad_token_id, torch.device("cpu")))
    return float(np.abs(after - targets).sum(1).mean())


def test_keep_targets_hold_the_sentiment_output(tiny_trained, tiny_rows, tmp_path):
    free = _drift(tiny_trained, tiny_rows, tmp_path / "free", 0.0)
    held = _drift(tiny_trained, tiny_rows, tmp_path / "held", 5.0)
    assert free > 0.2  # the shifted labels do move an unanchored model
    assert held < 0.6 * free


def test_keep_targets_must_match_the_rows(tiny_trained, tiny_rows, tmp_path):
    codes = load_taxonomy().codes
    model, tok = build_model(tiny_trained, codes, version="keep", taxonomy_version=1, max_length=48)
    cfg = StageConfig(name="keep", epochs=1, batch_size=4, max_length=48, eval_every=0, precision="fp32",
                      keep_sentiment_weight=1.0)
    with pytest.raises(ValueError, match="keep_targets has 2 rows"):
        train_stage(model, tok, tiny_rows, cfg, tmp_path, device="cpu", log=lambda m: None,
                    keep_targets=np.zeros((2, 3), dtype=np.float32))
