"""The learning-rate schedule: warm-up, linear decay, and an end that follows a time budget."""

from __future__ import annotations

import torch

from classifiers.schedule import LinearSchedule


def test_without_a_budget_it_warms_up_and_decays_to_zero_at_the_planned_step():
    s = LinearSchedule(planned=1000, warmup=50)
    assert s(0) == 1 / 50 and s(49) == 1.0
    assert s(50) == 1.0 and 0 < s(999) < 0.01 and s(1000) == 0.0
    assert not s.fit_budget(100, steps_per_s=2.0, remaining=None)
    assert s.total == 1000


def test_a_budget_moves_the_end_of_the_decay_to_the_last_step_that_fits():
    s = LinearSchedule(planned=1000, warmup=50, probe=100)
    assert not s.fit_budget(99, steps_per_s=2.0, remaining=100.0)  # only every `probe` steps
    assert s.fit_budget(100, steps_per_s=2.0, remaining=100.0)
    assert s.total == 100 + int(0.95 * 200)
    assert s(s.total - 1) > 0 and s(s.total) == 0.0
    assert s.fit_budget(200, steps_per_s=2.0, remaining=1e6)  # more time than the epochs need
    assert s.total == 1000  # never past the planned steps
    s.fit_budget(300, steps_per_s=2.0, remaining=0.0)
    assert s.total == 301  # out of time: the next step is the last


def test_the_fitted_end_survives_a_resume_through_the_scheduler_state():
    def scheduler(schedule):
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        return torch.optim.lr_scheduler.LambdaLR(opt, schedule)

    fitted = LinearSchedule(planned=1000, warmup=50)
    fitted.fit_budget(100, steps_per_s=1.0, remaining=200.0)
    state = scheduler(fitted).state_dict()
    fresh = LinearSchedule(planned=1000, warmup=50)
    scheduler(fresh).load_state_dict(state)
    assert fresh.total == fitted.total < 1000
