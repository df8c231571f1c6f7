"""The CPU session splits the fused layer-norm and GELU kernels (slow there) without changing what a text scores."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import numpy as np
import onnx
import pytest

from classifiers.onnx_cpu import cpu_session, split_slow_fusions

sys.path.insert(0, str(Path(__file__).parent))
from test_batch_independence import LONG, TEXTS  # noqa: E402

FAST = Path(__file__).resolve().parents[2] / "classifiers" / "models" / "fast"


def ops(model) -> Counter:
    return Counter(n.op_type for n in model.graph.node)


@pytest.fixture(scope="module")
def tiny_exports(tiny_trained, tmp_path_factory) -> dict[str, Path]:
    """The tiny checkpoint exported as fused ONNX: fp32, and int8 with fixed scales (the student's form)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from classifiers.distill import export_onnx

    out = tmp_path_factory.mktemp("tiny_onnx")
    tok = AutoTokenizer.from_pretrained(tiny_trained)
    paths = {}
    for name, quantize in (("fp32", False), ("int8", True)):
        model = AutoModelForSequenceClassification.from_pretrained(tiny_trained).eval()
        paths[name] = export_onnx(model, tok, out / name, quantize=quantize, max_drift=10.0)
    paths["tokenizer"] = Path(tiny_trained)
    return paths


def feed(tokenizer_dir: Path, texts) -> dict[str, np.ndarray]:
    from transformers import AutoTokenizer

    enc = AutoTokenizer.from_pretrained(tokenizer_dir)(["query: " + t for t in texts], padding=True, truncation=True,
                                                       max_length=48, return_tensors="np")
    return {k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask")}


def fused_session(path: Path):
    return cpu_session(path, 2, split=False)


def test_the_int8_graph_loses_its_slow_fusions_and_its_biases_move_into_the_matmuls(tiny_exports):
    fused = onnx.load(str(tiny_exports["int8"]))
    before = ops(fused)
    assert before["SkipLayerNormalization"] and before["BiasGelu"]  # what ONNX Runtime's BERT optimiser makes
    split = split_slow_fusions(fused)
    after = ops(split)
    assert not after["SkipLayerNormalization"] and not after["BiasGelu"]
    assert after["LayerNormalization"] == before["SkipLayerNormalization"]
    assert after["Gelu"] == before["BiasGelu"]
    with_bias = [n for n in split.graph.node if n.op_type == "MatMulIntegerToFloat" and len(n.input) == 7]
    assert len(with_bias) == before["SkipLayerNormalization"] + before["BiasGelu"]
    assert ops(fused) == before  # the input graph is left as it was


def test_the_split_graph_scores_like_the_fused_one(tiny_exports, tmp_path):
    x = feed(tiny_exports["tokenizer"], [*TEXTS, LONG])
    fp32 = [s.run(None, x)[0] for s in (fused_session(tiny_exports["fp32"]), cpu_session(tiny_exports["fp32"], 2))]
    assert np.allclose(fp32[0], fp32[1], atol=1e-4)
    int8 = [s.run(None, x)[0] for s in (fused_session(tiny_exports["int8"]), cpu_session(tiny_exports["int8"], 2))]
    assert np.abs(int8[0] - int8[1]).max() < 0.05  # int8 rounding may flip at a boundary, nothing more


def test_onnx_runtime_does_not_fuse_the_split_graph_back_at_load(tiny_exports, tmp_path):
    as_run = {split: tmp_path / f"as_run_{split}.onnx" for split in (True, False)}
    for split, path in as_run.items():
        cpu_session(tiny_exports["int8"], 2, optimized_path=path, split=split)
    run, stored = (ops(onnx.load(str(as_run[split]))) for split in (True, False))
    assert run["LayerNormalization"] and not run["SkipLayerNormalization"]
    assert run["Gelu"] and not run["BiasGelu"]
    assert stored["SkipLayerNormalization"] and stored["BiasGelu"]  # unsplit, ONNX Runtime keeps the fused kernels


def skip_layer_norm_graph(opset: int):
    """y = LayerNorm(x + bias + skip) as one SkipLayerNormalization node, x a graph input (no matmul to fold into)."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    weights = [numpy_helper.from_array(rng.normal(size=8).astype(np.float32), name) for name in ("g", "b", "bias")]
    io = [helper.make_tensor_value_info(name, TensorProto.FLOAT, [None, 8]) for name in ("x", "skip", "y")]
    node = helper.make_node("SkipLayerNormalization", ["x", "skip", "g", "b", "bias"], ["y"], domain="com.microsoft",
                            epsilon=1e-12)
    graph = helper.make_graph([node], "sln", io[:2], io[2:], weights)
    opsets = [helper.make_opsetid("", opset), helper.make_opsetid("com.microsoft", 1)]
    return helper.make_model(graph, opset_imports=opsets)


def test_a_layer_norm_without_a_matmul_before_it_keeps_its_bias_as_an_add_and_old_opsets_stay_fused(tmp_path):
    x = {"x": np.random.default_rng(1).normal(size=(5, 8)).astype(np.float32),
         "skip": np.random.default_rng(2).normal(size=(5, 8)).astype(np.float32)}
    graph = skip_layer_norm_graph(17)
    split = split_slow_fusions(graph)
    assert ops(split) == Counter({"Add": 2, "LayerNormalization": 1})
    onnx.save(graph, tmp_path / "sln.onnx")
    fused, plain = (cpu_session(tmp_path / "sln.onnx", 1, split=s).run(None, x)[0] for s in (False, True))
    assert np.allclose(fused, plain, atol=1e-5)
    assert ops(split_slow_fusions(skip_layer_norm_graph(13))) == Counter({"SkipLayerNormalization": 1})


def test_the_shipped_student_served_split_scores_like_its_fused_file_and_still_ignores_its_batch():
    from classifiers.model import OnnxClassifier

    assert ops(onnx.load(str(FAST / "model.onnx")))["SkipLayerNormalization"]  # the file is stored fused
    clf = OnnxClassifier(FAST, device="cpu")
    ids, mask = clf.pad(clf.encode([*TEXTS, LONG]))
    x = {"input_ids": ids, "attention_mask": mask}
    served, reference = clf.session.run(None, x)[0], fused_session(FAST / "model.onnx").run(None, x)[0]
    assert np.abs(served - reference).max() < 0.5
    assert (served[:, :3].argmax(1) == reference[:, :3].argmax(1)).all()
    assert clf.shape_independent() and not clf.shape_sensitive


def test_batches_run_in_parallel_give_every_text_the_scores_of_one_batch_at_a_time():
    from classifiers.model import OnnxClassifier

    texts = [*TEXTS, LONG] * 6
    parallel = OnnxClassifier(FAST, device="cpu", threads=2, max_tokens=96)  # several batches, two at a time
    serial = OnnxClassifier(FAST, device="cpu", threads=1, max_tokens=96)
    assert (parallel.workers, serial.workers) == (2, 1)
    assert len(list(parallel.batches([len(s) for s in parallel.encode(texts)]))) > 4
    assert np.array_equal(parallel.logits(texts), serial.logits(texts))
    for got, want in zip(parallel.scores(texts), serial.scores(texts)):  # mixtures counted on a side thread
        assert np.array_equal(got, want)
    assert parallel.predict(texts) == serial.predict(texts)
    assert [p.sentiment for p in parallel.predict(texts[::-1])] == [p.sentiment for p in serial.predict(texts)][::-1]
