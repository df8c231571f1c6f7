"""ONNX Runtime sessions for the int8 graphs on CPU, with the two fused element-wise kernels that are slow there split.

ONNX Runtime's BERT optimiser fuses each residual add and layer norm into `SkipLayerNormalization` and each bias and
GELU into `BiasGelu`. On CPU (ONNX Runtime 1.32, AMD EPYC, 2 threads) those two contrib kernels took 18 % and 20 % of
the fast student's time on short texts: `SkipLayerNormalization` ran at 0.4 G elements/s against 2.2 for the same
arithmetic as `Add` + `LayerNormalization`. `split_slow_fusions` rewrites them so that the `MatMulIntegerToFloat`
before each adds the bias itself, followed by `Add` + `LayerNormalization` and a bias-free `Gelu`: the student runs
~1.25× faster (docs/classifier.md, *Benchmark*). ONNX Runtime would fuse Add + LayerNormalization back at load, so
`cpu_session` turns that one fusion off. A row's result still ignores its batch (checked at every load by
`model.shape_independent`); GPU sessions keep the fused graph.
"""

from __future__ import annotations

from pathlib import Path

MS_DOMAIN = "com.microsoft"
# The load-time fusion that would undo `split_slow_fusions` (ONNX Runtime ignores names it does not know).
UNDOING_FUSIONS = ["SkipLayerNormFusion"]
_BIAS_INPUT = 6  # MatMulIntegerToFloat: A, B, a_scale, b_scale, a_zero_point, b_zero_point, bias


def split_slow_fusions(model):
    """A copy of `model` with `SkipLayerNormalization` and `BiasGelu` rewritten as faster CPU ops (module doc).

    A bias goes into the producing `MatMulIntegerToFloat` when that node has no bias and feeds nothing else; otherwise
    it stays a separate `Add`. A `BiasGelu` whose input comes from anything else is left as it is.
    """
    import onnx
    from onnx import helper

    out = onnx.ModelProto()
    out.CopyFrom(model)
    graph = out.graph
    producer = {o: n for n in graph.node for o in n.output}
    uses: dict[str, int] = {o.name: 1 for o in graph.output}  # a graph output is a use the bias must not change
    for n in graph.node:
        for i in n.input:
            uses[i] = uses.get(i, 0) + 1

    def takes_bias(x: str) -> bool:
        node = producer.get(x)
        return (node is not None and node.op_type == "MatMulIntegerToFloat" and node.domain == MS_DOMAIN
                and len(node.input) <= _BIAS_INPUT and uses.get(x) == 1)

    def fold_bias(x: str, bias: str) -> None:
        node = producer[x]
        node.input.extend([""] * (_BIAS_INPUT - len(node.input)) + [bias])

    # LayerNormalization is an ONNX op from opset 17 on; an older graph keeps its fused layer norms
    has_layer_norm = any(o.domain in ("", "ai.onnx") and o.version >= 17 for o in out.opset_import)
    nodes = []
    for n in graph.node:
        if n.op_type == "SkipLayerNormalization" and n.domain == MS_DOMAIN and has_layer_norm \
                and len(n.input) in (4, 5) and len(n.output) == 1:
            x, skip, gamma, beta = n.input[:4]
            bias = n.input[4] if len(n.input) == 5 else ""
            if bias and takes_bias(x):
                fold_bias(x, bias)
            elif bias:
                nodes.append(helper.make_node("Add", [x, bias], [f"{n.output[0]}/biased"], name=f"{n.name}/bias"))
                x = f"{n.output[0]}/biased"
            eps = next((a.f for a in n.attribute if a.name == "epsilon"), 1e-12)
            nodes.append(helper.make_node("Add", [x, skip], [f"{n.output[0]}/sum"], name=f"{n.name}/skip"))
            nodes.append(helper.make_node("LayerNormalization", [f"{n.output[0]}/sum", gamma, beta], list(n.output),
                                          name=f"{n.name}/norm", axis=-1, epsilon=eps))
        elif n.op_type == "BiasGelu" and n.domain == MS_DOMAIN and takes_bias(n.input[0]):
            fold_bias(n.input[0], n.input[1])
            nodes.append(helper.make_node("Gelu", [n.input[0]], list(n.output), name=f"{n.name}/gelu",
                                          domain=MS_DOMAIN))
        else:
            nodes.append(n)
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(out)
    return out


def session_options(threads: int):
    """ONNX Runtime options: `threads` threads inside each operator, one graph node at a time, every optimisation."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return opts


def cpu_session(path: str | Path, threads: int, optimized_path: str | Path | None = None, split: bool = True):
    """An ONNX Runtime CPU session of the graph at `path`, split by `split_slow_fusions`, on `threads` threads.

    `optimized_path`: where to write the graph as ONNX Runtime runs it after its own load-time fusions (to inspect).
    `split=False`: the graph as stored, with ONNX Runtime's own fusions (the baseline of the benchmark).
    """
    import onnx
    import onnxruntime as ort

    opts = session_options(threads)
    if optimized_path is not None:
        opts.optimized_model_filepath = str(optimized_path)
    if not split:
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    model = split_slow_fusions(onnx.load(str(path)))
    return ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"],
                                disabled_optimizers=UNDOING_FUSIONS)
