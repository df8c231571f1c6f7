"""A text's labels and scores do not depend on which other texts share its batch (issue 16, point 6)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifiers.model import PAD_MULTIPLE, TransformerClassifier, padded_length

DEFAULT = Path(__file__).resolve().parents[2] / "classifiers" / "models" / "default"
FAST = DEFAULT.parent / "fast"

TEXTS = [
    "Посылку привезли вовремя, но коробка мятая",
    "где мой заказ",
    "ну такое",
    "Курьер опоздал на три часа и ещё нагрубил по телефону, больше не закажу",
    "спасибо за доставку!",
    "Трек SK123456789RU не обновляется с понедельника, в поддержке молчат",
]
LONG = " ".join(["Заказ 40012345 задержали уже на неделю, курьер не звонил, горячая линия не отвечает."] * 12)


def test_padded_length_depends_on_the_text_alone():
    assert padded_length(1) == PAD_MULTIPLE
    assert padded_length(PAD_MULTIPLE) == PAD_MULTIPLE
    assert padded_length(PAD_MULTIPLE + 1) == 2 * PAD_MULTIPLE


@pytest.mark.parametrize("precision", ["auto", "fp32"])
def test_scores_identical_alone_and_in_any_batch(precision):
    """bf16 on this CPU moved logits by 0.06 between shapes before the fix; now they are bit-identical."""
    clf = TransformerClassifier(DEFAULT, device="cpu", precision=precision)
    alone = np.stack([clf.logits([t])[0] for t in TEXTS])
    together = clf.logits(TEXTS)
    with_long = clf.logits([LONG, *TEXTS, LONG])[1:-1]
    crowded = clf.logits([*TEXTS * 9, "а", "б", "в"])[: len(TEXTS)]
    reordered = clf.logits(list(reversed(TEXTS)))[::-1]
    for other in (together, with_long, crowded, reordered):
        assert np.array_equal(alone, other)
    labels = [(p.sentiment, p.topics) for p in clf.predict(TEXTS)]
    assert labels == [(p.sentiment, p.topics) for p in (clf.predict([t])[0] for t in TEXTS)]


def test_tiny_model_batches_have_fixed_shapes(tiny_trained):
    clf = TransformerClassifier(tiny_trained, device="cpu", precision="fp32")
    shapes = []
    original = clf._forward

    def spy(ids, mask):
        shapes.append(ids.shape)
        return original(ids, mask)

    clf._forward = spy
    clf.logits(["коротко", "ещё короче", "x " * 40])
    assert shapes and all(rows == clf.rows_for(length) for rows, length in shapes)


def test_dense_batches_cover_every_text_once_within_their_budget():
    from classifiers.model import OnnxClassifier

    clf = OnnxClassifier(FAST, device="cpu", batch_size=8, max_tokens=100)
    clf.shape_sensitive = False  # what the load-time probe decides on CPUs where it holds (test_onnx_scales.py)
    lengths = [3, 40, 7, 7, 12, 99, 1, 30, 30, 30, 5, 18, 2, 60, 9, 9, 9, 9, 9, 9, 9, 9, 9, 11]
    seen = []
    for length, rows, sel in clf.batches(lengths):
        assert rows == len(sel) <= 8  # no filler rows
        assert length == max(lengths[i] for i in sel)  # padded to the batch's longest text, no further
        assert rows * length <= 100 or rows == 1
        seen += sel
    assert sorted(seen) == list(range(len(lengths)))
    assert clf.logits([]).shape == (0, clf.config.num_labels)

