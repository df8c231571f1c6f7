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
