"""Narrower feed-forward blocks for the fast student: keep the intermediate neurons that carry the most signal.

Each encoder layer's feed-forward block is `output(GELU(intermediate(x)))` with `intermediate_size` neurons in
between (1,536 in e5-small), two thirds of a layer's multiply-adds per token. A neuron's importance is the mean of
|its activation| over the real tokens of some texts times the norm of its output weights (how much it adds to the
residual stream); `prune_ffn` keeps the `width` most important neurons of every layer, so that the student starts
as close to the teacher as that width allows and distillation recovers the rest.
"""

from __future__ import annotations

from typing import Iterable

import torch


def _layers(model) -> torch.nn.ModuleList:
    return model.base_model.encoder.layer


@torch.inference_mode()
def ffn_importance(model, batches: Iterable[tuple[torch.Tensor, torch.Tensor]]) -> list[torch.Tensor]:
    """Per layer, each intermediate neuron's mean |activation| over real tokens × its output weights' norm.

    `batches`: (input_ids, attention_mask) pairs; padding tokens do not count.
    """
    layers = _layers(model)
    sums = [torch.zeros(layer.intermediate.dense.out_features, device=layer.intermediate.dense.weight.device)
            for layer in layers]
    mask: dict[str, torch.Tensor] = {}

    def hook(i: int):
        return lambda module, inputs, out: sums[i].add_((out.float().abs() * mask["m"]).sum((0, 1)))

    handles = [layer.intermediate.register_forward_hook(hook(i)) for i, layer in enumerate(layers)]
    tokens = 0
    try:
        for ids, att in batches:
            mask["m"] = att.unsqueeze(-1).float().to(sums[0].device)
            tokens += int(att.sum())
            model(input_ids=ids, attention_mask=att)
    finally:
        for h in handles:
            h.remove()
    if not tokens:
        raise ValueError("ffn_importance needs at least one text")
    return [s / tokens * layer.output.dense.weight.detach().float().norm(dim=0) for s, layer in zip(sums, layers)]


def _narrowed(linear: torch.nn.Linear, keep: torch.Tensor, dim: int) -> torch.nn.Linear:
    """`linear` with only the `keep` rows (dim 0: output features) or columns (dim 1: input features)."""
    weight = linear.weight.detach().index_select(dim, keep).clone()
    out = torch.nn.Linear(weight.shape[1], weight.shape[0], bias=linear.bias is not None,
                          dtype=weight.dtype, device=weight.device)
    out.weight = torch.nn.Parameter(weight)
    if linear.bias is not None:
        bias = linear.bias.detach()
        out.bias = torch.nn.Parameter((bias.index_select(0, keep) if dim == 0 else bias).clone())
    return out


def prune_ffn(model, width: int, importance: list[torch.Tensor]) -> list[list[int]]:
    """Keep the `width` most important intermediate neurons of every layer (in place); returns the kept indices."""
    layers = _layers(model)
    current = model.config.intermediate_size
    if not 0 < width <= current:
        raise ValueError(f"feed-forward width must be between 1 and {current}, not {width}")
    if len(importance) != len(layers):
        raise ValueError(f"{len(importance)} importance vectors for {len(layers)} layers")
    kept = []
    for layer, score in zip(layers, importance):
        keep = score.topk(width).indices.sort().values
        layer.intermediate.dense = _narrowed(layer.intermediate.dense, keep, 0)
        layer.output.dense = _narrowed(layer.output.dense, keep, 1)
        kept.append(keep.tolist())
    model.config.intermediate_size = width
    return kept
