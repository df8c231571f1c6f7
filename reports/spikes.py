"""Spike detection on a count series: rolling baseline + k·σ with a Poisson floor on σ (no Django here).

For each bucket the baseline is the mean of the previous `window` unflagged buckets; σ is the largest of
their standard deviation, √mean (the Poisson spread of counts) and 1. A bucket is flagged when its count is
at least `min_count` and above mean + k·σ. Flagged buckets never enter later baselines, so a long surge does
not become its own baseline. Flags separated by at most `cooldown` quiet buckets form one spike.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from reports.config import SpikeParams


@dataclass(frozen=True)
class Flag:
    index: int
    count: int
    baseline: float
    sigma: float
    threshold: float

    @property
    def z(self) -> float:
        return (self.count - self.baseline) / self.sigma


@dataclass(frozen=True)
class SpikeRun:
    """One spike: the flagged buckets `first`..`last` (indices into the series) and its peak."""

    first: int
    last: int
    peak: Flag
    total: int
    flags: tuple[Flag, ...] = ()

    @property
    def rise(self) -> float:
        return self.peak.count - self.peak.baseline

    @property
    def ratio(self) -> float | None:
        return self.peak.count / self.peak.baseline if self.peak.baseline > 0 else None

    @property
    def p_value(self) -> float:
        return poisson_sf(self.peak.count, self.peak.baseline)


def poisson_sf(x: int, lam: float) -> float:
    """P(X >= x) for X ~ Poisson(lam)."""
    if x <= 0:
        return 1.0
    if lam <= 0:
        return 0.0

    def term(i: int) -> float:
        return math.exp(-lam + i * math.log(lam) - math.lgamma(i + 1))

    if x <= lam:  # the lower tail is the short sum here
        return max(0.0, 1.0 - math.fsum(term(i) for i in range(x)))
    total, i = 0.0, x
    while True:  # terms fall off past the mode, so sum the upper tail directly
        t = term(i)
        total += t
        if t < 1e-17 * total or i > x + 10_000:
            return min(1.0, total)
        i += 1


def flag_buckets(counts: list[int], params: SpikeParams, first: int = 0) -> list[Flag]:
    """Return the buckets of `counts` that rise far above their own rolling baseline.

    Buckets before `first` (before any data was collected) are neither history nor candidates: an
    empty week before the first crawl is "unknown", not "zero", and would make day one look like a spike.
    """
    flags, history = [], []
    for i, x in enumerate(counts):
        if i < first:
            continue
        base = history[-params.window:]
        if len(base) >= params.min_history:
            mean = statistics.fmean(base)
            sigma = max(statistics.pstdev(base), math.sqrt(mean), 1.0)
            threshold = mean + params.k * sigma
            if x >= params.min_count and x > threshold:
                flags.append(Flag(i, x, mean, sigma, threshold))
                continue
        history.append(x)
    return flags


def find_runs(counts: list[int], params: SpikeParams, first: int = 0) -> list[SpikeRun]:
    """Group flagged buckets into spikes: one spike per surge, however many buckets it lasts."""
    runs: list[list[Flag]] = []
    for f in flag_buckets(counts, params, first):
        if runs and f.index - runs[-1][-1].index - 1 <= params.cooldown:
            runs[-1].append(f)
        else:
            runs.append([f])
    return [SpikeRun(r[0].index, r[-1].index, max(r, key=lambda f: (f.count - f.baseline, -f.index)),
                     sum(f.count for f in r), tuple(r)) for r in runs]
