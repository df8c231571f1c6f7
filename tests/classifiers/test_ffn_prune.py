"""Narrower feed-forward blocks for the fast student (`otklik distill --ffn N`, classifiers/ffn_prune.py)."""

from __future__ import annotations

import json

import pytest
import torch


def _batches(tok, texts):
    enc = tok(["query: " + t for t in texts], padding=True, return_tensors="pt")
    return [(enc["input_ids"], enc["attention_mask"])]


TEXTS = ["Курьер опоздал на три часа", "Спасибо, всё быстро", "Где посылка?", "Посылку потеряли, верните деньги"]


def test_neurons_that_add_nothing_are_the_ones_dropped_and_the_outputs_stay_the_same(tiny_trained):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from classifiers.ffn_prune import ffn_importance, prune_ffn

    model = AutoModelForSequenceClassification.from_pretrained(tiny_trained).eval()
    tok = AutoTokenizer.from_pretrained(tiny_trained)
    width = model.config.intermediate_size
    dead = torch.arange(0, width, 2)  # every other neuron writes nothing to the residual stream
    with torch.no_grad():
        for layer in model.base_model.encoder.layer:
            layer.output.dense.weight[:, dead] = 0
        before = model(**tok(["query: " + t for t in TEXTS], padding=True, return_tensors="pt")).logits
    importance = ffn_importance(model, _batches(tok, TEXTS))
    assert all(float(s[dead].max()) == 0 and float(s[1::2].min()) > 0 for s in importance)
    kept = prune_ffn(model, width // 2, importance)
    assert kept == [list(range(1, width, 2))] * model.config.num_hidden_layers
    assert model.config.intermediate_size == width // 2
    assert all(layer.intermediate.dense.weight.shape == (width // 2, model.config.hidden_size)
               for layer in model.base_model.encoder.layer)
    with torch.no_grad():
        after = model(**tok(["query: " + t for t in TEXTS], padding=True, return_tensors="pt")).logits
    assert torch.allclose(before, after, atol=1e-5)


def test_padding_does_not_count_towards_importance(tiny_trained):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from classifiers.ffn_prune import ffn_importance

    model = AutoModelForSequenceClassification.from_pretrained(tiny_trained).eval()
    tok = AutoTokenizer.from_pretrained(tiny_trained)
    alone = ffn_importance(model, _batches(tok, TEXTS[2:3]))
    padded = ffn_importance(model, _batches(tok, TEXTS[2:3] + ["очень длинный текст " * 3]))
    short = tok("query: " + TEXTS[2], return_tensors="pt")
    ids = torch.cat([short["input_ids"], torch.zeros(1, 20, dtype=torch.long)], 1)
    att = torch.cat([short["attention_mask"], torch.zeros(1, 20, dtype=torch.long)], 1)
    with_pads = ffn_importance(model, [(ids, att)])
    assert all(torch.allclose(a, b, atol=1e-4) for a, b in zip(alone, with_pads))
    assert not all(torch.allclose(a, b, atol=1e-4) for a, b in zip(alone, padded))


def test_bad_widths_are_refused(tiny_trained):
    from transformers import AutoModelForSequenceClassification

    from classifiers.ffn_prune import ffn_importance, prune_ffn

    model = AutoModelForSequenceClassification.from_pretrained(tiny_trained).eval()
    scores = [torch.rand(model.config.intermediate_size) for _ in model.base_model.encoder.layer]
    for width in (0, model.config.intermediate_size + 1):
        with pytest.raises(ValueError, match="between 1 and"):
            prune_ffn(model, width, scores)
    with pytest.raises(ValueError, match="importance vectors"):
        prune_ffn(model, 4, scores[:1])
    with pytest.raises(ValueError, match="at least one text"):
        ffn_importance(model, [])


def test_a_narrow_student_trains_exports_and_serves(tiny_trained, tmp_path, monkeypatch):
    """`otklik distill --ffn N`: the student's blocks narrowed before training, recorded, exported, loaded."""
    from transformers import AutoModelForSequenceClassification

    from classifiers import distill
    from classifiers.registry import load_classifier

    rows = [{"text": t, "sentiment": s} for t, s in zip(TEXTS, ("negative", "positive", "neutral", "negative"))] * 6
    monkeypatch.setattr(distill, "transfer_rows", lambda seed, *a, **kw: [dict(r) for r in rows])
    width = AutoModelForSequenceClassification.from_pretrained(tiny_trained).config.intermediate_size // 4
    work, out = tmp_path / "work", tmp_path / "fast"
    distill.run_distillation(teacher=tiny_trained, out_dir=out, layers=1, epochs=1, work_dir=work, max_minutes=1,
                             max_drift=10.0, ffn=width, echo=lambda m: None)
    student = AutoModelForSequenceClassification.from_pretrained(work / "student")
    assert student.config.intermediate_size == width and not hasattr(student.config, "otklik_student_ffn")
    assert student.base_model.encoder.layer[0].output.dense.weight.shape[1] == width
    record = json.loads((work / "student" / "otklik_distill.json").read_text())
    assert record["ffn"] == width and record["augment"] == 0
    clf = load_classifier(out, device="cpu")
    assert clf.version.split("+")[0].endswith(f"-fast1-ffn{width}")  # stored classifications name the narrow student
    assert type(clf).__name__ == "OnnxClassifier" and json.loads((out / "config.json").read_text())[
        "intermediate_size"] == width
    preds = clf.predict(TEXTS)
    assert len(preds) == len(TEXTS) and all(p.sentiment in ("negative", "neutral", "positive") for p in preds)
