"""The learning-rate schedule of training and distillation: linear warm-up, then linear decay to zero.

A run with a time budget (`--minutes`, a stage's `max_minutes`) used to stop wherever the deadline fell, with
the learning rate still high: the shipped student stopped at 1.6 of 6 scheduled epochs. Here the decay ends at
the last step that fits the budget instead: every `probe` steps the step rate so far (evaluations included) says
how many steps fit in the time left, and `total` moves there (never past the steps the epochs ask for).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class LinearSchedule:
    """LR factor per step, for `torch.optim.lr_scheduler.LambdaLR`; `fit_budget` fits its end to a time budget."""

    planned: int  # steps the epochs ask for
    warmup: int  # warm-up steps, fixed at the start
    probe: int = 100  # the end is refitted every `probe` steps
    margin: float = 0.95  # share of the time left that is planned for
    total: int = 0  # where the decay ends: `planned` until a budget says fewer

    def __post_init__(self) -> None:
        self.planned, self.warmup = max(1, self.planned), max(1, self.warmup)
        self.total = self.total or self.planned

    def __call__(self, step: int) -> float:
        if step < self.warmup:
            return (step + 1) / self.warmup
        return max(0.0, (self.total - step) / max(1, self.total - self.warmup))

    def fit_budget(self, step: int, steps_per_s: float, remaining: float | None) -> bool:
        """Every `probe` steps, end the decay where `remaining` seconds run out at `steps_per_s`.

        Returns True when `total` changed.
        """
        if remaining is None or step % self.probe or steps_per_s <= 0:
            return False
        fits = step + int(self.margin * max(0.0, remaining) * steps_per_s)
        total = max(step + 1, self.warmup + 1, min(self.planned, fits))
        changed, self.total = total != self.total, total
        return changed
