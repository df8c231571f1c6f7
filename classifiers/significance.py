"""Paired bootstrap over the fixed evaluation sets: is a candidate model not worse than the current default?

Both models are scored on the same texts. Each bootstrap replicate redraws every evaluation set with
replacement (one draw per set, shared by the metrics read from it, so logistics topics and logistics
sentiment move together) and computes every gate metric for both models on that draw. The **joint rule**:
the candidate passes when, in at least `confidence` of the replicates, *every* metric's difference
(candidate − current) is at least `-tolerance`. One borderline drop therefore cannot hide behind gains
elsewhere: a metric that falls below `-tolerance` in many replicates sinks the joint probability by itself.

Metrics are sums of per-text counts (true/false positives and negatives), so a replicate is a weighted sum:
`weights @ counts` with multinomial weights, which makes 2,000 replicates over ~11k texts a second's work.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SENTIMENTS = ("negative", "neutral", "positive")
TOLERANCE = 0.01
CONFIDENCE = 0.9
REPLICATES = 2000
SEED = 13


@dataclass
class Outcomes:
    """One model's predictions on the fixed sets, with the gold labels."""

    sentiment: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)  # set -> (gold, predicted)
    topics: tuple[list[list[str]], list[list[str]]] | None = None  # logistics (gold, predicted)
    topic_codes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"sentiment": {k: [list(g), list(p)] for k, (g, p) in self.sentiment.items()},
                "topics": [list(map(list, self.topics[0])), list(map(list, self.topics[1]))] if self.topics else None,
                "topic_codes": list(self.topic_codes)}

    @classmethod
    def from_json(cls, data: dict) -> "Outcomes":
        topics = data.get("topics")
        return cls({k: (g, p) for k, (g, p) in data["sentiment"].items()},
                   (topics[0], topics[1]) if topics else None, list(data.get("topic_codes") or []))


# --------------------------------------------------------------------------- per-text counts


def class_counts(gold, pred, labels) -> np.ndarray:
    """[n, 3 * len(labels)]: per text, (tp, fp, fn) for each label."""
    g, p = np.asarray(gold, dtype=object), np.asarray(pred, dtype=object)
    has = np.asarray([x is not None for x in gold])  # texts without a gold label count for nothing
    cols = []
    for lab in labels:
        cols += [(g == lab) & (p == lab), has & (g != lab) & (p == lab), (g == lab) & (p != lab)]
    return np.stack(cols, 1).astype(np.float64)


def topic_counts(gold, pred, codes) -> np.ndarray:
    """[n, 3]: per text, (tp, fp, fn) summed over the topic codes (micro averaging)."""
    known = set(codes)
    out = np.zeros((len(gold), 3))
    for i, (g, p) in enumerate(zip(gold, pred)):
        g, p = set(g) & known, set(p) & known
        out[i] = (len(g & p), len(p - g), len(g - p))
    return out


def f1_from(sums: np.ndarray) -> np.ndarray:
    """F1 from [..., 3] (tp, fp, fn) sums; 0 where undefined."""
    tp, fp, fn = sums[..., 0], sums[..., 1], sums[..., 2]
    denom = 2 * tp + fp + fn
    return np.divide(2 * tp, denom, out=np.zeros_like(tp, dtype=np.float64), where=denom > 0)


def metric_from(kind: str, sums: np.ndarray) -> np.ndarray:
    """A gate metric from summed counts ([..., k])."""
    if kind == "micro_f1":
        return f1_from(sums)
    per_class = f1_from(sums.reshape(*sums.shape[:-1], -1, 3))
    if kind == "f1pn":  # SentiRuEval: mean F1 of negative and positive
        return (per_class[..., 0] + per_class[..., 2]) / 2
    return per_class.mean(-1)  # macro_f1


# --------------------------------------------------------------------------- the gate


# sentiment set -> (gate metric name, metric kind); logistics rows are the same texts as the topic rows
SENTIMENT_METRICS = {"banks": ("banks_f1pn", "f1pn"), "telecom": ("telecom_f1pn", "f1pn"),
                     "rusentiment": ("rusentiment_macro_f1", "macro_f1"),
                     "logistics": ("logistics_sentiment_macro_f1", "macro_f1")}


def gate_metrics(outcomes: Outcomes, codes) -> dict[str, tuple[str, str, np.ndarray]]:
    """metric name -> (evaluation set, metric kind, per-text counts)."""
    out = {}
    for name, (gold, pred) in outcomes.sentiment.items():
        metric, kind = SENTIMENT_METRICS.get(name, (f"{name}_macro_f1", "macro_f1"))
        out[metric] = (name, kind, class_counts(gold, pred, SENTIMENTS))
    if outcomes.topics:
        out["logistics_topic_micro_f1"] = ("logistics", "micro_f1", topic_counts(*outcomes.topics, codes))
    return out


@dataclass
class MetricResult:
    name: str
    current: float
    candidate: float
    delta: float
    low: float  # 5th percentile of the bootstrap delta
    high: float  # 95th percentile
    p_not_worse: float  # share of replicates with delta >= -tolerance


@dataclass
class GateResult:
    metrics: list[MetricResult]
    joint: float  # share of replicates in which every metric is not worse
    tolerance: float
    confidence: float
    replicates: int

    @property
    def passed(self) -> bool:
        return self.joint >= self.confidence

    def blocking(self) -> list[str]:
        """Metrics that hold the joint probability down, worst first."""
        return [m.name for m in sorted(self.metrics, key=lambda m: m.p_not_worse) if m.p_not_worse < self.confidence]

    def format(self) -> str:
        lines = [f"{'metric':32s} {'current':>8s} {'candidate':>9s} {'delta':>8s} {'90% interval':>18s} "
                 f"{'P(not worse)':>12s}"]
        for m in self.metrics:
            lines.append(f"{m.name:32s} {m.current:8.4f} {m.candidate:9.4f} {m.delta:+8.4f} "
                         f"[{m.low:+7.4f}, {m.high:+7.4f}] {m.p_not_worse:12.3f}")
        lines.append(f"joint: every metric not worse by more than {self.tolerance} in {self.joint:.3f} of "
                     f"{self.replicates} paired bootstrap replicates (needs {self.confidence})")
        return "\n".join(lines)


def paired_bootstrap(candidate: Outcomes, current: Outcomes, tolerance: float = TOLERANCE,
                     confidence: float = CONFIDENCE, replicates: int = REPLICATES, seed: int = SEED) -> GateResult:
    """The joint paired-bootstrap gate on the sets and metrics both outcomes have."""
    codes = candidate.topic_codes or current.topic_codes  # scored on the candidate's taxonomy
    cand_m, cur_m = gate_metrics(candidate, codes), gate_metrics(current, codes)
    names = [k for k in cand_m if k in cur_m]
    for k in names:
        if len(cand_m[k][2]) != len(cur_m[k][2]):
            raise ValueError(f"{k}: the two models were scored on different texts "
                             f"({len(cand_m[k][2])} vs {len(cur_m[k][2])})")
    rng = np.random.default_rng(seed)
    weights: dict[str, np.ndarray] = {}
    deltas = {}
    results = []
    for k in names:
        set_name, kind, cand_counts = cand_m[k]
        cur_counts = cur_m[k][2]
        n = len(cand_counts)
        if set_name not in weights:
            weights[set_name] = rng.multinomial(n, np.full(n, 1.0 / n), size=replicates).astype(np.float64)
        w = weights[set_name]
        cand_b = metric_from(kind, w @ cand_counts)
        cur_b = metric_from(kind, w @ cur_counts)
        d = cand_b - cur_b
        deltas[k] = d
        c_point = float(metric_from(kind, cand_counts.sum(0)))
        u_point = float(metric_from(kind, cur_counts.sum(0)))
        results.append(MetricResult(k, u_point, c_point, c_point - u_point, float(np.percentile(d, 5)),
                                    float(np.percentile(d, 95)), float(np.mean(d >= -tolerance))))
    joint = float(np.mean(np.all(np.stack([deltas[k] >= -tolerance for k in names]), 0))) if names else 1.0
    return GateResult(results, joint, tolerance, confidence, replicates)
