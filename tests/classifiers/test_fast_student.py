"""The fast path: a shallow student cut from a trained checkpoint, exported to int8 ONNX, same contract."""

from __future__ import annotations

import numpy as np


def test_student_export_and_contract(tiny_trained, tmp_path):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from classifiers.distill import export_onnx, student_from_teacher
    from classifiers.registry import load_classifier

    teacher = AutoModelForSequenceClassification.from_pretrained(tiny_trained).eval()
    tok = AutoTokenizer.from_pretrained(tiny_trained)
    student, keep = student_from_teacher(teacher, 1)
    assert keep == [1] and student.config.num_hidden_layers == 1
    out = tmp_path / "fast"
    export_onnx(student, tok, out, quantize=False)
    student.config.save_pretrained(out)
    tok.save_pretrained(out)
    clf = load_classifier(out, device="cpu")
    assert type(clf).__name__ == "OnnxClassifier"
    texts = ["Курьер опоздал", "Спасибо за доставку, всё отлично и быстро", "?"]
    preds = clf.predict(texts)
    assert [p.sentiment for p in preds] and all(set(p.topic_scores) == set(clf.topic_codes) for p in preds)
    # unquantised ONNX = PyTorch student (padding included)
    enc = tok([clf.prefix + t for t in texts], padding=True, return_tensors="pt")
    import torch

    with torch.no_grad():
        ref = student(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).logits.numpy()
    assert np.allclose(clf.logits(texts), ref, atol=1e-3)


def test_whole_checkpoint_to_int8_onnx(tiny_trained, tmp_path):
    """`otklik export-onnx`: every layer in int8, the checkpoint's contract and its TF-IDF mixture kept."""
    import shutil

    from classifiers.distill import export_checkpoint_onnx
    from classifiers.model import load_checkpoint
    from classifiers.topic_tfidf import FILE, TopicTfidf

    src = tmp_path / "ckpt"
    shutil.copytree(tiny_trained, src)
    rows = [{"text": t, "topics": topics} for t, topics in (
        ("Курьер опоздал на три часа", ["delivery_delay"]), ("Посылку потеряли", ["lost_item"]),
        ("Курьер снова опоздал", ["delivery_delay"]), ("Где посылка? потеряли", ["lost_item"]))]
    mix = TopicTfidf.fit(rows, ["delivery_delay", "lost_item"], min_df=1)
    mix.weight, mix.thresholds = 0.3, {"delivery_delay": 0.4, "lost_item": 0.6}
    mix.save(src)
    out = export_checkpoint_onnx(src, tmp_path / "int8", max_drift=10.0)
    assert (out / "model.onnx").exists() and (out / FILE).exists()
    torch_clf, onnx_clf = load_checkpoint(src, device="cpu"), load_checkpoint(out, device="cpu")
    assert type(onnx_clf).__name__ == "OnnxClassifier"
    assert onnx_clf.version == torch_clf.version.replace("+calm", "-onnx-int8+calm")
    assert onnx_clf.thresholds["lost_item"] == torch_clf.thresholds["lost_item"] == 0.6
    texts = ["Курьер опоздал", "Спасибо за доставку, всё отлично и быстро"]
    assert np.abs(onnx_clf.logits(texts) - torch_clf.logits(texts)).max() < 1.0  # int8 of a tiny random-ish model


def test_export_onnx_can_clip_activation_ranges(tiny_trained, tmp_path):
    """`otklik export-onnx --clip-activations`: other int8 ranges, a version of their own, the same contract."""
    import onnx
    from click.testing import CliRunner

    from classifiers.cli import cli
    from classifiers.model import load_checkpoint

    for flags, name in (([], "minmax"), (["--clip-activations"], "clip")):
        res = CliRunner().invoke(cli, ["export-onnx", str(tiny_trained), str(tmp_path / name), "--max-drift", "10",
                                       *flags])
        assert res.exit_code == 0, res.output
    plain = load_checkpoint(tmp_path / "minmax", device="cpu")
    clipped = load_checkpoint(tmp_path / "clip", device="cpu")
    assert clipped.version == plain.version.replace("+calm", "-clip+calm") and plain.version.endswith("-onnx-int8+calm")
    assert clipped.thresholds == plain.thresholds and len(clipped.predict(["Курьер опоздал"])) == 1
    ranges = {name: sorted(float(onnx.numpy_helper.to_array(i)) for i in onnx.load(str(tmp_path / name / "model.onnx"))
                           .graph.initializer if i.name.endswith("_scale") and not i.dims and i.data_type == 1)
              for name in ("minmax", "clip")}
    assert len(ranges["clip"]) == len(ranges["minmax"]) > 0 and ranges["clip"] != ranges["minmax"]
    assert all(c <= m + 1e-9 for c, m in zip(ranges["clip"], ranges["minmax"]))  # clipped: never wider


def test_a_trained_student_is_re_exported_with_its_record(tiny_trained, tmp_path):
    """`otklik distill --export-only`: the last run's PyTorch student to int8 ONNX, replacing the old export."""
    import json

    from click.testing import CliRunner
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from classifiers.cli import cli
    from classifiers.distill import student_from_teacher
    from classifiers.model import load_checkpoint

    teacher = AutoModelForSequenceClassification.from_pretrained(tiny_trained).eval()
    student, _ = student_from_teacher(teacher, 1)
    work = tmp_path / "work"
    student.save_pretrained(work / "student")
    AutoTokenizer.from_pretrained(tiny_trained).save_pretrained(work / "student")
    (work / "student" / "otklik_distill.json").write_text(json.dumps({"steps": 7}))
    out = tmp_path / "fast"
    out.mkdir()
    (out / "stale.onnx").write_text("old")
    refused = CliRunner().invoke(cli, ["distill", "--export-only", "--work-dir", str(work), "--out", str(out),
                                       "--max-drift", "0"])
    assert refused.exit_code != 0 and "disagrees with PyTorch" in str(refused.exception)
    res = CliRunner().invoke(cli, ["distill", "--export-only", "--work-dir", str(work), "--out", str(out),
                                   "--max-drift", "10", "--minmax-activations"])
    assert res.exit_code == 0, res.output
    assert not (out / "stale.onnx").exists() and json.loads((out / "otklik_distill.json").read_text()) == {
        "steps": 7, "clip_activations": False}
    clf = load_checkpoint(out, device="cpu")
    assert type(clf).__name__ == "OnnxClassifier" and len(clf.predict(["Курьер опоздал"])) == 1
    res = CliRunner().invoke(cli, ["distill", "--export-only", "--work-dir", str(work), "--out", str(out),
                                   "--max-drift", "10"])  # clipped ranges are the default
    assert res.exit_code == 0, res.output
    assert json.loads((out / "otklik_distill.json").read_text())["clip_activations"] is True
    assert load_checkpoint(out, device="cpu").version == clf.version.replace("+calm", "-clip+calm")  # other scales


def test_the_model_card_gives_the_distill_command_that_made_the_student():
    from classifiers.card import distill_command

    shipped = {"layers": [0, 2, 4, 7, 9, 11], "steps": 3509, "prefix": "", "links": "http", "augmented_rows": 0,
               "clip_activations": True}
    assert distill_command(shipped) == "otklik distill"  # the defaults are the shipped student's recipe
    older = {"layers": [0, 2, 4, 7, 9, 11], "steps": 3334, "augmented_rows": 0, "epochs": 2.67}  # before --prefix
    assert distill_command(older) == 'otklik distill --prefix "query: " --links "" --minmax-activations'
    record = {"layers": [0, 4, 8, 11], "prefix": "query: ", "links": "url", "teacher_links": "url", "ffn": 1024,
              "sentiment_weight": 3.0, "hidden_weight": 0.0, "augmented_rows": 120, "clip_activations": True}
    assert distill_command(record) == ('otklik distill --layers 4 --prefix "query: " --links url --ffn 1024 '
                                       "--sentiment-weight 3.0 --augment 1 --teacher-reads-links")
    assert "--teacher-reads-links" not in distill_command({**record, "teacher_links": None})
    assert "--augment 2 " in distill_command({**record, "augment": 2})  # the run's own count, when recorded


def test_distill_defaults_are_the_shipped_students_recipe():
    """`otklik distill` with no flags reproduces the shipped student: its card's command is the bare command."""
    import json

    from classifiers.card import distill_command
    from classifiers.cli import distill_cmd
    from classifiers.registry import FAST_MODEL_DIR

    defaults = {p.name: p.default for p in distill_cmd.params}
    assert (defaults["prefix"], defaults["links"], defaults["clip_activations"]) == ("", "http", True)
    shipped = json.loads((FAST_MODEL_DIR / "otklik_distill.json").read_text())
    assert distill_command(shipped) == "otklik distill"


def test_a_student_reads_links_as_a_placeholder_and_its_own_prefix(tiny_trained, tmp_path, monkeypatch):
    """`otklik distill --prefix "" --links http`: trained, calibrated and served on the texts as it reads them."""
    import json

    from classifiers import distill
    from classifiers.checkpoint import encoder_text
    from classifiers.model import load_checkpoint

    rows = [{"text": t, "sentiment": s} for t, s in (
        ("Курьер опоздал http://t.co/AbC123xyz", "negative"), ("Спасибо, всё быстро https://ozon.ru/t/9", "positive"),
        ("Где посылка?", "neutral"), ("@cdek_ru посылку потеряли www.cdek.ru/track?id=1", "negative"))] * 8
    monkeypatch.setattr(distill, "transfer_rows", lambda seed, *a, **kw: [dict(r) for r in rows])
    read = []
    real_encode = distill.encode_rows
    monkeypatch.setattr(distill, "encode_rows", lambda tok, rs, *a, **kw: read.append(kw.get("links")) or
                        real_encode(tok, rs, *a, **kw))
    out = distill.run_distillation(teacher=tiny_trained, out_dir=tmp_path / "fast", layers=1, epochs=1,
                                   work_dir=tmp_path / "work", max_minutes=1, max_drift=10.0, prefix="", links="http",
                                   echo=lambda m: None)
    assert read == [None, "http"]  # the teacher's soft labels on its own reading, the student trained on its own
    clf = load_checkpoint(out, device="cpu")
    assert (clf.prefix, clf.links) == ("", "http")
    assert json.loads((out / "otklik_distill.json").read_text())["links"] == "http"
    assert clf.encode(["Курьер опоздал http://t.co/AbC123xyz"]) == clf.encode(["Курьер опоздал http"])
    assert clf.encode(["Курьер опоздал"]) != load_checkpoint(tiny_trained, device="cpu").encode(["Курьер опоздал"])
    a, b = clf.scores(["Отличный сервис https://t.co/Q1", "Отличный сервис http://vk.cc/zz9"])[0]
    assert np.array_equal(a, b)
    feed = next(distill.calibration_feeds(clf.tokenizer, "", ["см. www.example.com/x"], links="http"))
    assert feed["input_ids"][0].tolist() == clf.encode([encoder_text("см. http", "")])[0]

    read.clear()  # --teacher-reads-links: the teacher's soft labels on the placeholder too, cached apart
    distill.run_distillation(teacher=tiny_trained, out_dir=tmp_path / "fast2", layers=1, epochs=1,
                             work_dir=tmp_path / "work", max_minutes=1, max_drift=10.0, prefix="", links="http",
                             teacher_reads_links=True, echo=lambda m: None)
    assert read == ["http", "http"]
    assert len(list((tmp_path / "work").glob("teacher_logits_*_links-http.npy"))) == 1
    assert json.loads((tmp_path / "fast2" / "otklik_distill.json").read_text())["teacher_links"] == "http"


def test_links_are_replaced_only_where_a_checkpoint_asks_for_it():
    from classifiers.checkpoint import encoder_text

    text = "RT @user: беда http://t.co/AbC12, см. WWW.Ozon.ru/a?b=1 и https://x.ru"
    assert encoder_text(text, "query: ", "http") == "query: RT @user: беда http см. http и http"
    assert encoder_text(text, "query: ") == "query: " + text
    assert encoder_text(None, "", "http") == "" and encoder_text("без ссылок", "", "http") == "без ссылок"


def test_the_sentiment_weight_scales_what_the_student_learns_of_sentiment(tiny_trained, tmp_path, monkeypatch):
    """`otklik distill --sentiment-weight 0`: the head's sentiment rows get no gradient (they stay the teacher's)."""
    import json

    from transformers import AutoModelForSequenceClassification

    from classifiers import distill
    from classifiers.train import _head

    rows = [{"text": t, "sentiment": s} for t, s in (
        ("Курьер опоздал", "negative"), ("Спасибо, всё быстро", "positive"), ("Где посылка?", "neutral"))] * 8
    monkeypatch.setattr(distill, "transfer_rows", lambda seed, *a, **kw: [dict(r) for r in rows])
    teacher = AutoModelForSequenceClassification.from_pretrained(tiny_trained)
    ns = len(teacher.config.otklik_sentiment_labels)
    moved = {}
    for weight in (0.0, 1.0):
        work = tmp_path / f"work{weight}"
        distill.run_distillation(teacher=tiny_trained, out_dir=tmp_path / f"fast{weight}", layers=1, epochs=2,
                                 work_dir=work, max_minutes=1, max_drift=10.0, sentiment_weight=weight,
                                 echo=lambda m: None)
        student = AutoModelForSequenceClassification.from_pretrained(work / "student")
        moved[weight] = [float((_head(student).weight[rows_] - _head(teacher).weight[rows_]).detach().abs().max())
                         for rows_ in (slice(0, ns), slice(ns, None))]
        assert json.loads((work / "student" / "otklik_distill.json").read_text())["sentiment_weight"] == weight
    assert moved[0.0][0] == 0.0 and moved[0.0][1] > 0  # topics learnt, sentiment rows untouched
    assert moved[1.0][0] > 0


def test_pooled_output_distillation_pulls_the_student_towards_the_teacher(tiny_trained, tmp_path, monkeypatch):
    """`otklik distill --hidden-weight W`: the teacher's pooled outputs cached once, and the student pulled to them."""
    import json

    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from classifiers import distill

    texts = ["Курьер опоздал на три часа", "Спасибо, всё быстро", "Где посылка?", "Посылку потеряли, верните деньги",
             "Пункт выдачи закрыт", "Отличный сервис"]
    teacher = AutoModelForSequenceClassification.from_pretrained(tiny_trained).eval()
    tok = AutoTokenizer.from_pretrained(tiny_trained)
    enc = tok(["query: " + t for t in texts], padding=True, return_tensors="pt")
    with torch.no_grad():
        pooled, logits = distill.pooled_and_logits(teacher, enc["input_ids"], enc["attention_mask"])
        assert torch.allclose(logits, teacher(**enc).logits, atol=1e-5)  # the same computation as the forward
    ids = [tok("query: " + t)["input_ids"] for t in texts]
    cache = tmp_path / "teacher_pooled_x.npy"
    cached = distill.teacher_pooled(teacher, ids, tok.pad_token_id, torch.device("cpu"), cache, lambda m: None)
    assert cached.shape == (len(texts), teacher.config.hidden_size) and cache.exists()
    assert torch.allclose(cached, pooled, atol=0.05)  # fp16 on disk, the teacher's autocast precision
    assert torch.equal(distill.teacher_pooled(teacher, [], 0, torch.device("cpu"), cache, lambda m: None), cached)

    rows = [{"text": t, "sentiment": "neutral"} for t in texts] * 6
    monkeypatch.setattr(distill, "transfer_rows", lambda seed, *a, **kw: [dict(r) for r in rows])
    calls = []
    real = distill.pooled_and_logits
    monkeypatch.setattr(distill, "pooled_and_logits", lambda *a: calls.append(1) or real(*a))
    for weight in (0.0, 1.0):
        work = tmp_path / f"work{weight}"
        calls.clear()
        distill.run_distillation(teacher=tiny_trained, out_dir=tmp_path / f"fast{weight}", layers=1, epochs=1,
                                 work_dir=work, max_minutes=1, max_drift=10.0, hidden_weight=weight,
                                 echo=lambda m: None)
        assert json.loads((work / "student" / "otklik_distill.json").read_text())["hidden_weight"] == weight
        assert len(list(work.glob("teacher_pooled_*.npy"))) == (1 if weight else 0)
        assert (len(calls) > 0) == bool(weight)  # the teacher's pass and the student's steps read pooled outputs


def test_the_pooled_loss_pulls_towards_its_targets_and_the_sentiment_weight_scales_sentiment():
    import torch

    from classifiers.distill import cosine_distance, distillation_loss

    gen = torch.Generator().manual_seed(0)
    target = torch.randn(8, 16, generator=gen)
    pooled = torch.randn(8, 16, generator=gen, requires_grad=True)
    start = float(cosine_distance(pooled, target))
    opt = torch.optim.SGD([pooled], lr=20.0)
    for _ in range(50):
        opt.zero_grad()
        cosine_distance(pooled, target).backward()
        opt.step()
    assert float(cosine_distance(pooled, target)) < start / 2 and abs(float(cosine_distance(target, target))) < 1e-6

    ns = 3
    lg = torch.randn(8, ns + 4, generator=gen, requires_grad=True)
    teacher, sent = torch.randn(8, ns + 4, generator=gen), torch.tensor([0, 1, 2, -1, 0, 1, 2, -1])
    grads = {}
    for weight in (0.0, 1.0, 3.0):
        lg.grad = None
        distillation_loss(lg, teacher, sent, ns, sentiment_weight=weight).backward()
        grads[weight] = lg.grad.clone()
    assert torch.all(grads[0.0][:, :ns] == 0) and torch.any(grads[1.0][:, :ns] != 0)
    assert torch.allclose(grads[3.0][:, :ns], 3 * grads[1.0][:, :ns])
    assert torch.equal(grads[3.0][:, ns:], grads[1.0][:, ns:])
