"""Weight-space interpolation of two checkpoints (`classifiers/interpolate.py`) on tiny real checkpoints."""

from __future__ import annotations

import torch
from transformers import AutoModelForSequenceClassification

from classifiers.interpolate import interpolate_checkpoints
from classifiers.train import build_model


def _weights(path):
    return AutoModelForSequenceClassification.from_pretrained(path, dtype=torch.float32).state_dict()


def test_interpolation_mixes_weights_and_matches_head_rows_by_label(tiny_trained, tmp_path):
    # the end model has one topic more than the start model (a new taxonomy code), in another column order
    start_model, tok = build_model(tiny_trained, ["billing", "tracking"], version="s", taxonomy_version=1)
    start_model.save_pretrained(tmp_path / "start")
    tok.save_pretrained(tmp_path / "start")
    end_model, _ = build_model(tiny_trained, ["tracking", "support", "billing"], version="e", taxonomy_version=2)
    with torch.no_grad():
        for p in end_model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    end_model.save_pretrained(tmp_path / "end")
    tok.save_pretrained(tmp_path / "end")
    s, e = _weights(tmp_path / "start"), _weights(tmp_path / "end")

    for alpha in (0.0, 0.3, 1.0):
        m = _weights(interpolate_checkpoints(tmp_path / "start", tmp_path / "end", alpha, tmp_path / f"a{alpha}"))
        name = "bert.encoder.layer.0.attention.self.query.weight"
        assert torch.allclose(m[name], alpha * s[name] + (1 - alpha) * e[name], atol=1e-6)
        w = m["classifier.weight"]
        # columns: 3 sentiments, then end's topics; start's topics sit at 3 + [billing, tracking]
        assert torch.allclose(w[3], alpha * s["classifier.weight"][4] + (1 - alpha) * e["classifier.weight"][3], atol=1e-6)
        assert torch.allclose(w[5], alpha * s["classifier.weight"][3] + (1 - alpha) * e["classifier.weight"][5], atol=1e-6)
        assert torch.equal(w[4], e["classifier.weight"][4])  # support: only the end model knows it
    assert all(torch.equal(v, e[k]) for k, v in _weights(tmp_path / "a0.0").items())
