"""Fixed int8 activation scales: the `--fast` student's scores do not depend on the texts that share its batch."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

from classifiers.onnx_scales import (calibrate_ranges, dynamic_nodes, freeze_activation_scales, fuse_integer_matmuls,
                                     has_frozen_scales, uint8_scale)

sys.path.insert(0, str(Path(__file__).parent))
from test_batch_independence import LONG, TEXTS  # noqa: E402

FAST = Path(__file__).resolve().parents[2] / "classifiers" / "models" / "fast"


def run(model, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


def quantize_roundtrip_graph():
    """x → DynamicQuantizeLinear → DequantizeLinear: what int8 makes of each value."""
    nodes = [helper.make_node("DynamicQuantizeLinear", ["x"], ["q", "q_scale", "q_zero"], name="dq"),
             helper.make_node("DequantizeLinear", ["q", "q_scale", "q_zero"], ["y"], name="back")]
    graph = helper.make_graph(nodes, "roundtrip", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 4])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_dynamic_scales_tie_a_row_to_its_batch_and_frozen_ones_do_not():
    model = quantize_roundtrip_graph()
    row = np.array([[0.11, -0.52, 0.93, 0.37]], dtype=np.float32)
    loud = np.array([[40.0, -25.0, 3.0, 0.0]], dtype=np.float32)
    alone, crowded = run(model, row)[0], run(model, np.vstack([row, loud]))[0]
    assert np.abs(alone - crowded).max() > 0.05  # the bug: a loud batch mate coarsens this row's int8 grid

    calibration = [{"x": np.vstack([row, loud])}, {"x": -row}]
    ranges = calibrate_ranges(model, calibration)
    assert ranges == {"x": (-25.0, 40.0)}
    frozen = freeze_activation_scales(model, ranges)
    assert not dynamic_nodes(frozen)
    assert np.array_equal(run(frozen, row)[0], run(frozen, np.vstack([row, loud]))[0])
    # at the range of the batch it was calibrated on, the frozen graph reproduces the dynamic one exactly
    batch = np.vstack([row, loud])
    assert np.array_equal(run(frozen, batch), run(model, batch))
    # outside the calibrated range a value saturates instead of moving the scale
    top = run(frozen, np.array([[100.0, 0, 0, 0]], dtype=np.float32))[0, 0]
    assert abs(top - 40.0) <= uint8_scale(-25.0, 40.0)[0]


def test_uint8_scale_keeps_zero_exact():
    scale, zero = uint8_scale(-1.0, 3.0)
    assert np.isclose(scale, 4.0 / 255) and zero == 64
    assert uint8_scale(0.5, 2.0) == (2.0 / 255, 0)  # 0 is always inside the range, as in DynamicQuantizeLinear
    assert uint8_scale(0.0, 0.0) == (1.0, 0)


def test_tiny_int8_export_has_fixed_fused_scales_and_matches_the_unfused_graph(tiny_trained, tmp_path):
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from classifiers.distill import calibration_feeds, export_onnx, freeze_scales

    model = AutoModelForSequenceClassification.from_pretrained(tiny_trained).eval()
    tok = AutoTokenizer.from_pretrained(tiny_trained)
    export_onnx(model, tok, tmp_path / "fp32", quantize=False)
    dynamic = tmp_path / "dynamic.onnx"
    quantize_dynamic(str(tmp_path / "fp32" / "model.onnx"), str(dynamic), weight_type=QuantType.QInt8, per_channel=True,
                     extra_options={"DefaultTensorType": TensorProto.FLOAT})
    texts = ["Курьер опоздал на три часа", "Спасибо!", "Где посылка?", "Коробка мятая, товар цел"] * 3
    unfused = onnx.load(str(dynamic))
    ranges = calibrate_ranges(unfused, calibration_feeds(tok, "query: ", texts))
    frozen_unfused = freeze_activation_scales(unfused, ranges)
    freeze_scales(dynamic, tok, "query: ", texts)
    fused = onnx.load(str(dynamic))
    assert has_frozen_scales(dynamic)
    ops = [n.op_type for n in fused.graph.node]
    assert "MatMulInteger" not in ops and "MatMulIntegerToFloat" in ops
    enc = tok(["query: " + t for t in TEXTS], padding=True, return_tensors="np")
    feed = {"input_ids": enc["input_ids"].astype(np.int64), "attention_mask": enc["attention_mask"].astype(np.int64)}
    got = [ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feed)[0]
           for m in (frozen_unfused, fused)]
    assert np.allclose(got[0], got[1], atol=1e-4)


def test_the_shipped_fast_student_scores_a_text_the_same_alone_and_in_any_batch():
    from classifiers.model import OnnxClassifier

    assert has_frozen_scales(FAST / "model.onnx")
    clf = OnnxClassifier(FAST, device="cpu")
    alone = np.stack([clf.logits([t])[0] for t in TEXTS])
    for other in (clf.logits(TEXTS), clf.logits([LONG, *TEXTS, LONG])[1:-1],
                  clf.logits([*TEXTS * 9, "а", "б", "в"])[: len(TEXTS)], clf.logits(list(reversed(TEXTS)))[::-1],
                  clf.logits([*TEXTS, "ЖЖЖЖ!!!!!!!!!!!!!! 99999999999999 😡😡😡😡😡😡😡"])[: len(TEXTS)]):
        assert np.array_equal(alone, other)
    labels = [(p.sentiment, p.topics) for p in clf.predict(TEXTS)]
    assert labels == [(p.sentiment, p.topics) for p in (clf.predict([t])[0] for t in TEXTS)]


def test_the_shipped_student_uses_dense_batches_exactly_where_a_row_ignores_its_batch_shape():
    """Dense batches (no filler rows, padded to the batch's longest text) need this; the load-time probe decides."""
    from classifiers.model import OnnxClassifier

    clf = OnnxClassifier(FAST, device="cpu")
    ids = clf.encode([*TEXTS, LONG])
    own = [clf._forward(*clf.pad([s], len(s), 1))[0] for s in ids[: len(TEXTS)]]
    longest = max(len(s) for s in ids)
    same = [np.array_equal(clf._forward(*clf.pad(ids, length, rows))[i], row)
            for length in (len(ids[-1]), longest + 1, longest + 37) for rows in (len(ids), len(ids) + 5)
            for i, row in enumerate(own)]
    assert clf.shape_sensitive == (not all(same))
    assert all(same)  # x86 ONNX Runtime, int8 with fixed scales: measured bit-identical


def test_the_shape_probe_notices_a_runtime_whose_rows_depend_on_the_batch():
    from classifiers.model import OnnxClassifier

    clf = OnnxClassifier(FAST, device="cpu")
    exact = clf._forward
    clf._forward = lambda ids, mask: exact(ids, mask) + 1e-6 * ids.shape[1]  # a length-dependent rounding error
    assert not clf.shape_independent()


def test_a_clipped_range_saturates_rare_outliers_for_finer_steps_and_keeps_an_even_spread_whole():
    from classifiers.onnx_scales import CLIP_FRACTIONS, closest_range, uint8_rounding_error

    rng = np.random.default_rng(0)
    common = rng.normal(0, 1, 999_998).astype(np.float32)
    spiky = np.concatenate([common, np.array([60.0, -40.0], dtype=np.float32)])
    lo, hi = float(spiky.min()), float(spiky.max())
    clipped = closest_range(spiky, lo, hi)
    assert clipped != (lo, hi) and clipped in [(lo * f, hi * f) for f in CLIP_FRACTIONS]
    assert uint8_rounding_error(spiky, *clipped) < uint8_rounding_error(spiky, lo, hi) / 2
    even = rng.uniform(-3, 5, 20000).astype(np.float32)
    assert closest_range(even, float(even.min()), float(even.max())) == (float(even.min()), float(even.max()))

    model = quantize_roundtrip_graph()
    batches = [{"x": spiky[i:i + 200_000].reshape(-1, 4)} for i in range(0, spiky.size, 200_000)]
    assert calibrate_ranges(model, batches) == {"x": (lo, hi)}
    low, high = calibrate_ranges(model, batches, clip=True)["x"]
    assert lo < low < 0 < high < hi
    x = common[:400].reshape(-1, 4)
    plain, finer = (run(freeze_activation_scales(model, {"x": r}), x) for r in ((lo, hi), (low, high)))
    assert np.abs(finer - x).mean() < np.abs(plain - x).mean() / 2


def test_an_export_with_clipped_activation_ranges_is_frozen_and_still_agrees_with_pytorch(tiny_trained, tmp_path):
    """`otklik distill --clip-activations`: the same export, its fixed ranges chosen by least rounding error."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from classifiers.distill import export_onnx

    model = AutoModelForSequenceClassification.from_pretrained(tiny_trained).eval()
    tok = AutoTokenizer.from_pretrained(tiny_trained)
    scales = {}
    for clip in (False, True):
        path = export_onnx(model, tok, tmp_path / str(clip), max_drift=1.0, clip_activations=clip)
        assert has_frozen_scales(path)
        graph = onnx.load(str(path))
        scales[clip] = sorted(float(onnx.numpy_helper.to_array(i)) for i in graph.graph.initializer
                              if i.name.endswith("_scale") and not i.dims and i.data_type == TensorProto.FLOAT)
    assert len(scales[True]) == len(scales[False]) > 0
    assert all(c <= p + 1e-9 for c, p in zip(scales[True], scales[False])) and scales[True] != scales[False]
    enc = tok(["query: " + t for t in TEXTS], padding=True, return_tensors="pt")
    with torch.no_grad():
        ref = model(**enc).logits.numpy()
    feed = {k: enc[k].numpy().astype(np.int64) for k in ("input_ids", "attention_mask")}
    session = ort.InferenceSession(str(tmp_path / "True" / "model.onnx"), providers=["CPUExecutionProvider"])
    assert np.abs(session.run(None, feed)[0] - ref).max() < 1.0
