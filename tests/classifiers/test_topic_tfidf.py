"""The char TF-IDF topic mixture: stored without pickle, mixed in the model's column order, shipped only on evidence."""

import shutil

import numpy as np
import pytest

from classifiers import data as D
from classifiers.ensemble import choose_weight, mixture
from sklearn.metrics import roc_auc_score
from classifiers.model import load_checkpoint
from classifiers.taxonomy import load_taxonomy
from classifiers.topic_tfidf import FILE, TopicTfidf


@pytest.fixture(scope="module")
def split():
    codes = load_taxonomy().codes
    rows = [r for r in D.load_logistics("train", known_codes=codes)]
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(rows))
    return codes, [rows[i] for i in idx[:1500]], [rows[i] for i in idx[1500:2100]]


@pytest.fixture(scope="module")
def fitted(split):
    codes, train, _ = split
    return TopicTfidf.fit(train, codes)


def test_learns_topics_from_real_rows(split, fitted):
    codes, _, held = split
    p = fitted.probs([r["text"] for r in held])
    aucs = []
    for j, c in enumerate(codes):
        gold = [c in r["topics"] for r in held]
        if 5 <= sum(gold) < len(gold):
            aucs.append(roc_auc_score(gold, p[:, j]))
    assert len(aucs) >= 8 and np.mean(aucs) > 0.85, aucs


def test_save_load_round_trip(tmp_path, split, fitted):
    codes, _, held = split
    fitted.weight, fitted.thresholds = 0.4, {c: 0.3 for c in codes}
    fitted.save(tmp_path)
    back = TopicTfidf.load(tmp_path)
    texts = [r["text"] for r in held[:50]] + ["", "<script>alert(1)</script>"]
    assert back.codes == codes and back.weight == pytest.approx(0.4) and back.thresholds["tracking"] == 0.3
    assert np.abs(back.probs(texts) - fitted.probs(texts)).max() < 5e-3  # coefficients are stored as fp16
    assert TopicTfidf.load(tmp_path / "nowhere") is None


def test_checkpoint_mixes_only_with_the_file(tmp_path, tiny_trained, split, fitted):
    codes, _, held = split
    ckpt = tmp_path / "ckpt"
    shutil.copytree(tiny_trained, ckpt)
    texts = [r["text"] for r in held[:20]]
    alone = load_checkpoint(ckpt, device="cpu")
    _, p_alone = alone.scores(texts)
    fitted.weight, fitted.thresholds = 0.5, {c: 0.42 for c in codes}
    fitted.save(ckpt)
    mixed = load_checkpoint(ckpt, device="cpu")
    _, p_mixed = mixed.scores(texts)
    assert mixed.version == alone.version + "+tfidf"
    assert mixed.thresholds["lost_item"] == pytest.approx(0.42)
    p_tfidf = TopicTfidf.load(ckpt).probs(texts)  # as stored (fp16 coefficients)
    for j, c in enumerate(mixed.topic_codes):
        want = 0.5 * p_alone[:, j] + 0.5 * p_tfidf[:, codes.index(c)] if c in codes else p_alone[:, j]
        assert np.allclose(p_mixed[:, j], want, atol=1e-5), c
    (ckpt / FILE).unlink()
    assert load_checkpoint(ckpt, device="cpu").version == alone.version


def test_weight_is_chosen_on_evidence(split):
    codes, _, held = split
    rng = np.random.default_rng(1)
    gold = np.array([[c in r["topics"] for c in codes] for r in held], dtype=float)
    noise = rng.random(gold.shape)
    informative = np.clip(0.7 * gold + 0.3 * rng.random(gold.shape), 0, 1)
    helps = choose_weight(noise, informative, held, codes)  # the model is noise, the TF-IDF part knows
    assert helps["ship"] and helps["best_weight"] > 0
    hurts = choose_weight(informative, noise, held, codes)  # and the other way round
    assert not hurts["ship"]
    assert np.allclose(mixture(noise, informative, 0.0), noise)
