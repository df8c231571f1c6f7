"""Careless writing (classifiers/surface.py) and hardening a checkpoint against it (classifiers/harden.py)."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from classifiers import surface
from classifiers.harden import careless_rows


def test_neighbour_keys_are_next_to_each_other_on_the_russian_keyboard():
    assert set(surface.NEIGHBOUR_KEYS["ф"]) == {"ы", "й", "я"}
    assert set(surface.NEIGHBOUR_KEYS["п"]) == {"а", "р", "е", "и"}
    assert all(k in "".join(surface.KEY_ROWS) for keys in surface.NEIGHBOUR_KEYS.values() for k in keys)


def test_a_typo_is_one_slip_inside_the_word():
    rng = random.Random(3)
    for _ in range(200):
        word = "посылка"
        slipped = surface.typo(word, rng)
        assert slipped != word or word.count(word[1]) > 1  # a swap of equal letters is the only no-op
        assert slipped[0] == "п" and abs(len(slipped) - len(word)) <= 1
    assert surface.typo("еще", rng) == "еще"


def test_a_text_with_a_long_word_always_gets_a_typo():
    rng = random.Random(0)
    text = "Курьер не приехал"
    assert all(surface.with_typos(text, rng, rate=0.0) != text for _ in range(50))
    assert surface.with_typos("да и всё", rng) == "да и всё"


def test_the_other_edits_keep_every_word():
    text = "Ёлки, где заказ? Курьер опоздал!Звоню: никто не берёт."
    assert surface.lower_unpunctuated(text) == "ёлки где заказ курьер опоздал звоню никто не берёт"
    # a smile, a frown, an emoji and a link say something: they stay
    assert surface.lower_unpunctuated("Моя мечта))) Отменили(((, жаль 😢") == "моя мечта))) отменили((( жаль 😢"
    assert surface.lower_unpunctuated("Трек: https://t.co/AbC1.x?q=1, всё.") == "трек https://t.co/AbC1.x?q=1, всё"
    assert surface.plain_e(text).startswith("Елки") and "берет" in surface.plain_e(text)
    assert surface.no_space_after_marks(text) == "Ёлки,где заказ?Курьер опоздал!Звоню:никто не берёт."
    assert "," not in surface.no_commas(text)


def test_careless_rows_rewrite_a_share_and_keep_the_labels():
    rows = [{"text": f"Курьер опоздал на {i} часов, заказ не привезли.", "sentiment": "negative",
             "topics": ["delivery_delay"]} for i in range(400)]
    edited = careless_rows(rows, 0.6, seed=13)
    changed = [e for r, e in zip(rows, edited) if e["text"] != r["text"]]
    assert 0.5 < len(changed) / len(rows) < 0.7
    assert all(e["sentiment"] == "negative" and e["topics"] == ["delivery_delay"] for e in edited)
    assert careless_rows(rows, 0.6, seed=13) == edited  # seeded
    assert careless_rows(rows, 0.0, seed=13) == rows


def _logits(model_dir, texts):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from classifiers.checkpoint import encoder_text

    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, dtype=torch.float32).eval()
    prefix = getattr(model.config, "otklik_text_prefix", "")
    enc = tok([encoder_text(t, prefix) for t in texts], padding=True, truncation=True, max_length=48,
              return_tensors="pt")
    with torch.no_grad():
        return model(**enc).logits.numpy()


def test_the_student_reads_the_careless_text_towards_the_teachers_labels_of_the_tidy_one(tiny_trained, tiny_rows,
                                                                                          tmp_path, monkeypatch):
    from classifiers import distill
    from classifiers.harden import harden

    rows = [r for r in tiny_rows if r["sentiment"]] * 10
    monkeypatch.setattr(distill, "transfer_rows", lambda seed, *a, **kw: [dict(r) for r in rows])
    monkeypatch.setattr(surface, "EDITS", (("lower_unpunctuated", 1.0),))
    seen = {}
    real = distill.train_on_teacher

    def spy(student, ids, sent, t_logits, pad_id, *a, **kw):
        seen.update(ids=ids, t_logits=t_logits.copy(), sent=sent.copy())
        return real(student, ids, sent, t_logits, pad_id, *a, **kw)

    monkeypatch.setattr(distill, "train_on_teacher", spy)
    out = harden(tiny_trained, tmp_path / "hard", work_dir=tmp_path / "work", share=0.5, epochs=1, lr=1e-4,
                 device="cpu", precision="fp32", echo=lambda m: None)

    from transformers import AutoTokenizer

    from classifiers.checkpoint import encoder_text

    tok = AutoTokenizer.from_pretrained(tiny_trained)
    prefix = json.loads((tiny_trained / "config.json").read_text())["otklik_text_prefix"]

    def ids(text):
        return tok(encoder_text(text, prefix), truncation=True, max_length=128)["input_ids"]

    sloppy = [i for i, r in enumerate(rows) if list(seen["ids"][i]) != ids(r["text"])]
    assert 0.3 * len(rows) < len(sloppy) < 0.7 * len(rows)  # about half the rows read in lower case, unpunctuated
    assert all(list(seen["ids"][i]) == ids(surface.lower_unpunctuated(rows[i]["text"])) for i in sloppy)
    read = {i: surface.lower_unpunctuated(rows[i]["text"]) for i in sloppy}
    tidy = _logits(tiny_trained, [r["text"] for r in rows])  # the targets: the teacher on the texts as written
    assert np.abs(seen["t_logits"] - tidy).max() < 1e-4
    assert np.abs(_logits(tiny_trained, list(read.values())) - tidy[sloppy]).max() > 1e-2
    assert [s for s in seen["sent"]] == [["negative", "neutral", "positive"].index(r["sentiment"]) for r in rows]

    config = json.loads((out / "config.json").read_text())
    teacher = json.loads((tiny_trained / "config.json").read_text())
    assert config["otklik_hardened_from"] == teacher["otklik_model_version"]
    assert config["otklik_model_version"] != teacher["otklik_model_version"]
    assert set(config["otklik_topic_thresholds"]) == set(teacher["otklik_topic_labels"])
    assert "otklik_student_of" not in config
    record = json.loads((out / "otklik_harden.json").read_text())
    assert record["rows"] == len(rows) and record["careless_rows"] == len(sloppy)


def test_distillation_can_add_careless_copies_that_keep_their_labels(tiny_rows, monkeypatch):
    from classifiers import distill, pipeline
    from classifiers.card import distill_command

    sentiment = [r for r in tiny_rows if r["sentiment"] and r["topics"] is None]
    logistics = [r for r in tiny_rows if r["topics"]]
    monkeypatch.setattr(pipeline, "sentiment_splits", lambda seed: (sentiment, {}))
    monkeypatch.setattr(pipeline, "logistics_splits", lambda codes, seed: (logistics, []))
    plain = distill.transfer_rows(13)
    rows = distill.transfer_rows(13, careless=2)
    assert rows[:len(plain)] == plain and len(rows) == 3 * len(plain)
    copies = rows[len(plain):]
    assert all(c["augmented"] == "careless" for c in copies)
    assert [(c["sentiment"], c["topics"]) for c in copies] == [(r["sentiment"], r["topics"]) for r in plain] * 2
    assert sum(c["text"] != r["text"] for c, r in zip(copies, plain * 2)) > 0.8 * len(copies)
    assert distill.transfer_rows(13, careless=2) == rows  # seeded
    assert distill_command({"layers": [0, 1, 2, 3, 4, 5], "prefix": "", "links": "http", "careless": 1,
                            "clip_activations": True}) == "otklik distill --careless 1"


def test_careless_copies_take_the_teachers_labels_of_their_source(tiny_trained, tiny_rows, tmp_path):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from classifiers.distill import teacher_targets
    from classifiers.taxonomy import load_taxonomy

    tok = AutoTokenizer.from_pretrained(tiny_trained)
    model = AutoModelForSequenceClassification.from_pretrained(tiny_trained, dtype=torch.float32).eval()
    base = [{**r, "source": "authored_a"} for r in tiny_rows]  # training rows name their file in `source`
    copies = [{**base[i], "text": surface.lower_unpunctuated(base[i]["text"]), "copy_of": i} for i in (4, 0, 4)]
    codes, dev = load_taxonomy().codes, torch.device("cpu")
    logits, pooled = teacher_targets(model, tok, base + copies, codes, "query: ", None, dev, tmp_path, True,
                                     lambda m: None, "fp32")
    assert logits.shape[0] == pooled.shape[0] == len(base) + len(copies)
    assert np.array_equal(logits[len(base):], logits[[4, 0, 4]])
    assert torch.equal(pooled[len(base):], pooled[[4, 0, 4]])
    read = _logits(tiny_trained, [c["text"] for c in copies])  # what the teacher would say of the copies
    assert np.abs(read - logits[len(base):]).max() > 1e-3
    (cache,) = tmp_path.glob("teacher_logits_*.npy")
    assert np.load(cache).shape[0] == len(base)  # the copies were never read by the teacher
    with pytest.raises(ValueError, match="after the rows"):
        teacher_targets(model, tok, copies + base, codes, "query: ", None, dev, tmp_path, False, lambda m: None)
