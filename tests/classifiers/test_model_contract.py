"""Tiny checkpoint: train a few steps → save → load via Auto classes and load_classifier → predict contract."""

from __future__ import annotations

import json

import numpy as np
import pytest

from classifiers.registry import load_classifier
from classifiers.taxonomy import SENTIMENTS, load_taxonomy
from classifiers.types import Prediction


def test_checkpoint_loads_with_auto_classes(tiny_trained):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(tiny_trained)
    tok = AutoTokenizer.from_pretrained(tiny_trained)
    codes = load_taxonomy().codes
    assert model.config.num_labels == 3 + len(codes)
    assert model.config.id2label[0] == "sentiment:negative"
    assert model.config.id2label[3] == f"topic:{codes[0]}"
    assert model.config.otklik_topic_labels == codes
    assert model.config.otklik_model_version == "tiny-test-1"
    enc = tok(["query: Курьер опоздал"], return_tensors="pt")
    assert enc["input_ids"][0, 0].item() == 0 and enc["input_ids"][0, -1].item() == 2
    assert model(**{k: v for k, v in enc.items() if k != "token_type_ids"}).logits.shape == (1, 3 + len(codes))


def test_load_classifier_predict_contract(tiny_trained):
    clf = load_classifier(tiny_trained, device="cpu")
    assert clf.version == "tiny-test-1+calm" and clf.name  # served versions say texts in capitals are read calmly
    texts = ["Курьер опоздал на три часа", "Спасибо!", "", "x" * 5000, "Коробка пришла мятая"]
    preds = clf.predict(texts)
    assert len(preds) == len(texts)
    codes = load_taxonomy().codes
    for p in preds:
        assert isinstance(p, Prediction)
        assert p.sentiment in SENTIMENTS
        assert set(p.sentiment_scores) == set(SENTIMENTS)
        assert abs(sum(p.sentiment_scores.values()) - 1) < 1e-4
        assert set(p.topic_scores) == set(codes)
        assert all(0 <= v <= 1 for v in p.topic_scores.values())
        assert p.topics and set(p.topics) <= set(codes)
        json.dumps(p.to_dict(), ensure_ascii=False)
    # batching/padding must not change results: one by one equals batched
    single = [clf.predict([t])[0] for t in texts[:2]]
    for a, b in zip(single, preds[:2]):
        assert a.sentiment == b.sentiment
        assert np.allclose(list(a.sentiment_scores.values()), list(b.sentiment_scores.values()), atol=1e-4)


def test_training_learned_something(tiny_trained):
    clf = load_classifier(tiny_trained, device="cpu")
    preds = clf.predict(["Курьер опоздал на три часа и нахамил", "Спасибо за быструю доставку"])
    assert preds[0].sentiment_scores["negative"] > preds[1].sentiment_scores["negative"]
    assert preds[1].sentiment_scores["positive"] > preds[0].sentiment_scores["positive"]


def test_thresholds_from_config_decide_topics(tiny_trained, tmp_path):
    import shutil

    from transformers import AutoConfig

    d = tmp_path / "m"
    shutil.copytree(tiny_trained, d)
    cfg = AutoConfig.from_pretrained(d)
    thr = {c: 1.01 for c in cfg.otklik_topic_labels}  # nothing passes …
    thr["billing"] = 0.0  # … except billing, always
    cfg.otklik_topic_thresholds = thr
    cfg.save_pretrained(d)
    clf = load_classifier(d, device="cpu")
    for p in clf.predict(["Списали деньги дважды", "Привет"]):
        assert p.topics == ["billing"]


def test_resume_continues_a_killed_run(tiny_base, tiny_rows, tmp_path):
    from classifiers.taxonomy import load_taxonomy
    from classifiers.train import StageConfig, build_model, train_stage

    ROWS = tiny_rows

    codes = load_taxonomy().codes
    cfg = StageConfig(name="r", epochs=2, batch_size=4, max_length=32, eval_every=0, save_every=1, precision="fp32",
                      max_minutes=1e-9)
    model, tok = build_model(tiny_base, codes, version="r", taxonomy_version=1)
    train_stage(model, tok, ROWS, cfg, tmp_path, device="cpu", log=lambda m: None)  # "killed" after one step
    (tmp_path / "DONE").unlink()
    cfg.max_minutes = None
    logs = []
    model, tok = build_model(tiny_base, codes, version="r", taxonomy_version=1)
    train_stage(model, tok, ROWS, cfg, tmp_path, device="cpu", log=logs.append)
    assert any("resumed at step 1" in m for m in logs)
    assert json.loads((tmp_path / "DONE").read_text())["step"] == 4


def test_explicit_bad_path_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_classifier(tmp_path / "nope")


def test_rules_still_available():
    clf = load_classifier("rules")
    assert clf.predict(["Курьер нахамил"])[0].topics
