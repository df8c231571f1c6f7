"""Weight-space interpolation between the sentiment-stage model and the topic-trained model (WiSE-FT).

Stages 2–3 teach topics but still pull sentiment away from what stage 1 learnt, even with the KL term.
Averaging the weights, `θ = α·θ_start + (1 − α)·θ_end`, often keeps most of both (Wortsman et al., 2022,
"Robust fine-tuning of zero-shot models"). Head rows are matched by label: a topic only the end model has
(a new taxonomy code) keeps its end-model row. α is chosen on the validation splits carved from TRAIN
(`select_alpha`), never on a test set.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def interpolate_checkpoints(start: str | Path, end: str | Path, alpha: float, out: str | Path) -> Path:
    """Write `alpha * start + (1 - alpha) * end` (head rows matched by label) to `out`, in end's format."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    a = AutoModelForSequenceClassification.from_pretrained(start, dtype=torch.float32)
    b = AutoModelForSequenceClassification.from_pretrained(end, dtype=torch.float32)
    if a.config.vocab_size != b.config.vocab_size:
        raise ValueError(f"vocabularies differ: {a.config.vocab_size} vs {b.config.vocab_size}")
    labels_a = [a.config.id2label[i] for i in range(a.config.num_labels)]
    labels_b = [b.config.id2label[i] for i in range(b.config.num_labels)]
    sa = a.state_dict()
    mixed = {}
    for name, tb in b.state_dict().items():
        ta = sa[name]
        if name.startswith("classifier."):
            t = tb.clone()
            for j, lab in enumerate(labels_b):
                if lab in labels_a:
                    t[j] = alpha * ta[labels_a.index(lab)] + (1 - alpha) * tb[j]
            mixed[name] = t
        elif ta.shape == tb.shape and tb.is_floating_point():
            mixed[name] = alpha * ta + (1 - alpha) * tb
        else:
            mixed[name] = tb
    b.load_state_dict(mixed)
    out = Path(out)
    b.save_pretrained(out)
    AutoTokenizer.from_pretrained(end).save_pretrained(out)
    return out


def select_alpha(start: str | Path, end: str | Path, work: str | Path, alphas=(0.0, 0.2, 0.35, 0.5),
                 device: str = "auto", echo=print) -> tuple[float, dict]:
    """Score each α on the validation splits; pick the best 0.4 × sentiment + 0.6 × topic micro-F1 (stage 2's score)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from .pipeline import SEED, logistics_splits, make_multitask_eval, sentiment_splits
    from .taxonomy import load_taxonomy

    codes = load_taxonomy().codes
    _, sent_val = sentiment_splits(SEED)
    _, log_val = logistics_splits(codes, SEED)
    results = {}
    evaluate = None
    for alpha in alphas:
        path = interpolate_checkpoints(start, end, alpha, Path(work) / f"alpha-{alpha}")
        model = AutoModelForSequenceClassification.from_pretrained(path, dtype=torch.float32)
        if evaluate is None:
            evaluate = make_multitask_eval(AutoTokenizer.from_pretrained(path), sent_val, log_val, codes, device, 128)
        score, details = evaluate(model)
        sent = float(np.mean([details["banks_f1pn"], details["telecom_f1pn"], details["rusentiment_macro_f1"]]))
        results[alpha] = {"score": round(score, 4), "sentiment_mean": round(sent, 4), **details}
        echo(f"alpha {alpha}: {results[alpha]}")
    best = max(results, key=lambda k: results[k]["score"])
    return best, results
