"""The char TF-IDF sentiment mixture: learns from real rows, stored without pickle, mixed in the model's label
order, and shipped only when validation says it helps."""

import json
import shutil

import numpy as np
import pytest

from classifiers import data as D
from classifiers.ensemble import choose_sentiment_weight, mixture
from classifiers.metrics import f1_pos_neg
from classifiers.model import load_checkpoint
from classifiers.sentiment_tfidf import FILE, SentimentTfidf

LABELS = ["negative", "neutral", "positive"]


@pytest.fixture(scope="module")
def split():
    rows = D.load_tweets("train")
    idx = np.random.default_rng(0).permutation(len(rows))
    return [rows[i] for i in idx[:4000]], [rows[i] for i in idx[4000:5000]]


@pytest.fixture(scope="module")
def fitted(split):
    return SentimentTfidf.fit(split[0], LABELS)


def test_learns_sentiment_from_real_tweets(split, fitted):
    _, held = split
    p = fitted.probs([r["text"] for r in held])
    assert p.shape == (len(held), 3) and np.allclose(p.sum(1), 1, atol=1e-5)
    pred = [LABELS[i] for i in p.argmax(1)]
    f1 = f1_pos_neg([r["sentiment"] for r in held], pred)
    assert f1 > 0.5, f1  # a majority-class guess (neutral) scores 0


def test_save_load_round_trip_and_label_order(tmp_path, split, fitted):
    texts = [r["text"] for r in split[1][:50]] + ["", "<script>alert(1)</script>"]
    fitted.weight = 0.35
    fitted.save(tmp_path)
    back = SentimentTfidf.load(tmp_path)
    assert back.labels == LABELS and back.weight == pytest.approx(0.35)
    assert np.abs(back.probs(texts) - fitted.probs(texts)).max() < 5e-3  # coefficients are stored as fp16
    # a model whose labels come in another order gets the TF-IDF columns in its own order
    p_model = np.full((len(texts), 3), 1 / 3)
    mixed = back.mix(p_model, texts, ["positive", "negative", "neutral"])
    want = 0.65 / 3 + 0.35 * back.probs(texts)[:, [2, 0, 1]]
    assert np.allclose(mixed, want, atol=1e-6)
    with pytest.raises(ValueError, match="sentiment labels differ"):
        back.mix(p_model, texts, ["bad", "neutral", "good"])
    assert SentimentTfidf.load(tmp_path / "nowhere") is None


def test_checkpoint_mixes_only_with_the_file(tmp_path, tiny_trained, split, fitted):
    ckpt = tmp_path / "ckpt"
    shutil.copytree(tiny_trained, ckpt)
    texts = [r["text"] for r in split[1][:20]]
    alone = load_checkpoint(ckpt, device="cpu")
    ps_alone, pt_alone = alone.scores(texts)
    fitted.weight = 0.5
    fitted.save(ckpt)
    mixed = load_checkpoint(ckpt, device="cpu")
    ps_mixed, pt_mixed = mixed.scores(texts)
    assert mixed.version == alone.version + "+stfidf"
    p_tfidf = SentimentTfidf.load(ckpt).probs(texts)[:, [LABELS.index(s) for s in mixed.sentiments]]
    assert np.allclose(ps_mixed, 0.5 * ps_alone + 0.5 * p_tfidf, atol=1e-5)
    assert np.array_equal(pt_mixed, pt_alone)  # topics untouched
    labels = [p.sentiment for p in mixed.predict(texts)]
    assert labels == [mixed.sentiments[i] for i in ps_mixed.argmax(1)]
    (ckpt / FILE).unlink()
    assert load_checkpoint(ckpt, device="cpu").version == alone.version


def test_weight_is_chosen_on_evidence(split):
    held = split[1]
    val = {"a": held[:500], "b": held[500:]}
    rng = np.random.default_rng(1)
    onehot = {k: np.array([[r["sentiment"] == s for s in LABELS] for r in v], dtype=float) for k, v in val.items()}
    noise = {k: rng.dirichlet(np.ones(3), len(v)) for k, v in onehot.items()}
    informative = {k: 0.6 * v + 0.4 * rng.dirichlet(np.ones(3), len(v)) for k, v in onehot.items()}
    helps = choose_sentiment_weight(noise, informative, val, LABELS, replicates=50)
    assert helps["ship"] and helps["best_weight"] > 0
    hurts = choose_sentiment_weight(informative, noise, val, LABELS, replicates=50)
    assert not hurts["ship"] and hurts["best_weight"] == 0.0
    assert np.allclose(mixture(noise["a"], informative["a"], 0.0), noise["a"])


def test_ensemble_sentiment_command_writes_what_validation_supports(tmp_path, tiny_trained, split, monkeypatch):
    from click.testing import CliRunner

    import classifiers.pipeline as pipeline
    from classifiers.cli import cli as main

    train, held = split
    val = {"banks": [r for r in held if r["domain"] == "banks"], "telecom": [r for r in held if r["domain"] == "telecom"]}
    monkeypatch.setattr(pipeline, "sentiment_splits", lambda seed=13: (train[:3000], val))
    ckpt = tmp_path / "ckpt"
    shutil.copytree(tiny_trained, ckpt)
    dry = CliRunner().invoke(main, ["ensemble-sentiment", str(ckpt), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert not (ckpt / FILE).exists() and "validation mean F1(pos,neg)" in dry.output
    out = CliRunner().invoke(main, ["ensemble-sentiment", str(ckpt)])
    assert out.exit_code == 0, out.output
    result = json.loads(out.output.strip().splitlines()[-1])
    # the tiny checkpoint has seen a few dozen rows; TF-IDF on 3,000 real tweets knows more
    assert result["ship"] and result["best_weight"] > 0
    assert SentimentTfidf.load(ckpt).weight == result["best_weight"]
    assert load_checkpoint(ckpt, device="cpu").version.endswith("+stfidf")


def test_the_model_card_names_the_stored_mixtures(tmp_path, fitted):
    from classifiers.card import mixture_lines

    assert mixture_lines(tmp_path) == []
    fitted.weight = 0.35
    fitted.save(tmp_path)
    (line,) = mixture_lines(tmp_path)
    assert "Sentiment scores" in line and "`sentiment_tfidf.npz`, weight 0.35" in line
