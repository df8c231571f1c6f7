"""Fixed activation scales for an int8 ONNX graph, so that a text's scores do not depend on its batch.

ONNX Runtime's dynamic quantisation (`DynamicQuantizeLinear`) picks one scale per activation tensor from the batch
at hand, so a text's int8 activations, and its logits, move with the other texts in its batch (up to 0.55 logits in
the student shipped before this module). `freeze_activation_scales` measures each such tensor's range once, on
calibration texts from the training splits, and replaces the node with `QuantizeLinear` at that fixed scale; a value
outside the measured range saturates. With the batch shapes fixed per padded length (`model.py`), the student's
scores are then identical alone and in any batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

DYNAMIC_OP = "DynamicQuantizeLinear"


def dynamic_nodes(model) -> list:
    return [n for n in model.graph.node if n.op_type == DYNAMIC_OP]


def calibrate_ranges(model, feeds: Iterable[dict[str, np.ndarray]], clip: bool = False,
                     sample: int = 8192, seed: int = 0) -> dict[str, tuple[float, float]]:
    """(min, max) over `feeds` of every tensor that a `DynamicQuantizeLinear` node of `model` quantises.

    With `clip`, each range is instead the one of `CLIP_FRACTIONS` × (min, max) whose uint8 rounding is closest
    to the tensor's values (mean squared error over up to `sample` seeded values a batch): rare outliers saturate
    so that the common values get finer steps.
    """
    import onnx
    import onnxruntime as ort

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    names = [n.input[0] for n in dynamic_nodes(model)]
    if not names:
        raise ValueError("the graph has no DynamicQuantizeLinear node: nothing to calibrate")
    probe.graph.output.extend(onnx.helper.make_tensor_value_info(x, onnx.TensorProto.FLOAT, None) for x in names)
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # keep the probed tensors
    session = ort.InferenceSession(probe.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    wanted = {i.name for i in session.get_inputs()}
    lo = dict.fromkeys(names, np.inf)
    hi = dict.fromkeys(names, -np.inf)
    kept: dict[str, list[np.ndarray]] = {x: [] for x in names}
    rng = np.random.default_rng(seed)
    seen = 0
    for feed in feeds:
        values = session.run(names, {k: v for k, v in feed.items() if k in wanted})
        for x, v in zip(names, values):
            lo[x], hi[x] = min(lo[x], float(v.min())), max(hi[x], float(v.max()))
            if clip:
                flat = v.reshape(-1)
                kept[x].append(flat if flat.size <= sample else rng.choice(flat, sample, replace=False))
        seen += 1
    if not seen:
        raise ValueError("no calibration batch was given")
    if not clip:
        return {x: (lo[x], hi[x]) for x in names}
    return {x: closest_range(np.concatenate(kept[x]), lo[x], hi[x]) for x in names}


CLIP_FRACTIONS = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2)


def uint8_rounding_error(values: np.ndarray, lo: float, hi: float) -> float:
    """Mean squared error of `values` quantised to uint8 over [lo, hi] (saturating) and back."""
    scale, zero = uint8_scale(lo, hi)
    q = np.clip(np.round(values / scale) + zero, 0, 255)
    return float(np.mean(((q - zero) * scale - values) ** 2))


def closest_range(values: np.ndarray, lo: float, hi: float) -> tuple[float, float]:
    """The fraction of (lo, hi) in `CLIP_FRACTIONS` with the least uint8 rounding error on `values`."""
    return min(((lo * f, hi * f) for f in CLIP_FRACTIONS), key=lambda r: uint8_rounding_error(values, *r))


def uint8_scale(lo: float, hi: float) -> tuple[float, int]:
    """Scale and zero point of DynamicQuantizeLinear's uint8 scheme for the range [lo, hi] (0 always inside)."""
    lo, hi = min(0.0, lo), max(0.0, hi)
    scale = (hi - lo) / 255.0 or 1.0
    return scale, int(np.clip(round(-lo / scale), 0, 255))


def freeze_activation_scales(model, ranges: dict[str, tuple[float, float]]):
    """`model` with each DynamicQuantizeLinear replaced by QuantizeLinear at the scale of its measured range."""
    import onnx
    from onnx import helper, numpy_helper

    out = onnx.ModelProto()
    out.CopyFrom(model)
    nodes = []
    for node in out.graph.node:
        if node.op_type != DYNAMIC_OP:
            nodes.append(node)
            continue
        x = node.input[0]
        if x not in ranges:
            raise KeyError(f"no calibrated range for {x!r} (node {node.name!r})")
        y, y_scale, y_zero = node.output
        scale, zero = uint8_scale(*ranges[x])
        out.graph.initializer.extend([numpy_helper.from_array(np.array(scale, dtype=np.float32), y_scale),
                                      numpy_helper.from_array(np.array(zero, dtype=np.uint8), y_zero)])
        nodes.append(helper.make_node("QuantizeLinear", [x, y_scale, y_zero], [y], name=f"{node.name}_frozen"))
    del out.graph.node[:]
    out.graph.node.extend(nodes)
    onnx.checker.check_model(out)
    return out


def fuse_integer_matmuls(model):
    """MatMulInteger → Cast → Mul(a_scale × b_scale) chains as one `MatMulIntegerToFloat` (ONNX Runtime contrib op).

    ONNX Runtime fuses this chain itself only behind `DynamicQuantizeLinear`; once the scales are frozen, the
    unfused chain costs ~8 % of the student's time on short texts.
    """
    import onnx
    from onnx import helper

    out = onnx.ModelProto()
    out.CopyFrom(model)
    producer = {o: n for n in out.graph.node for o in n.output}
    users: dict[str, list] = {}
    for n in out.graph.node:
        for i in n.input:
            users.setdefault(i, []).append(n)
    initializers = {i.name for i in out.graph.initializer}
    drop, fused = set(), {}
    for mm in out.graph.node:
        if mm.op_type != "MatMulInteger" or len(users.get(mm.output[0], [])) != 1:
            continue
        cast = users[mm.output[0]][0]
        if cast.op_type != "Cast" or len(users.get(cast.output[0], [])) != 1:
            continue
        mul = users[cast.output[0]][0]
        scales = producer.get(next((i for i in mul.input if i != cast.output[0]), ""))
        if (mul.op_type != "Mul" or scales is None or scales.op_type != "Mul"
                or not set(scales.input) <= initializers or len(users[scales.output[0]]) != 1):
            continue
        a_scale, b_scale = scales.input
        a, b, a_zero, b_zero = (list(mm.input) + ["", ""])[:4]
        fused[mm.name] = helper.make_node("MatMulIntegerToFloat", [a, b, a_scale, b_scale, a_zero, b_zero],
                                          [mul.output[0]], name=f"{mm.name}_to_float", domain="com.microsoft")
        drop.update({cast.name, mul.name, scales.name})
    nodes = [fused.get(n.name, n) for n in out.graph.node if n.name not in drop]
    del out.graph.node[:]
    out.graph.node.extend(nodes)
    return out


def has_frozen_scales(path: str | Path) -> bool:
    """True when the ONNX file at `path` has no batch-dependent quantisation left."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    return not dynamic_nodes(model)
