"""Spike detection on hand-computed series, and the config file."""

import math

import pytest

from reports.config import ConfigError, SpikeParams, load_config
from reports.spikes import find_runs, flag_buckets, poisson_sf

P = SpikeParams(window=7, k=3.0, min_count=5, min_history=3, cooldown=2)


def test_planted_spike_hand_computed():
    (run,) = find_runs([2, 3, 2, 3, 2, 3, 2, 15, 3, 2], P)
    assert (run.first, run.last, run.total) == (7, 7, 15)
    assert run.peak.baseline == pytest.approx(17 / 7)
    assert run.peak.sigma == pytest.approx(math.sqrt(17 / 7))  # the Poisson floor beats the sample σ (0.49)
    assert run.peak.threshold == pytest.approx(17 / 7 + 3 * math.sqrt(17 / 7))
    assert run.rise == pytest.approx(15 - 17 / 7)


def test_flat_and_noisy_series_do_not_spike():
    assert find_runs([4] * 30, P) == []
    assert find_runs([0, 0, 0, 0, 4, 0, 0, 0], P) == []  # 4 < min_count
    assert find_runs([20, 22, 19, 21, 24, 20, 23, 27], P) == []  # 27 < 21.3 + 3·4.6


def test_needs_history_before_flagging():
    assert find_runs([50, 1, 1, 1], P) == []
    assert [f.index for f in flag_buckets([1, 1, 1, 50], P)] == [3]


def test_cooldown_makes_one_spike_of_a_surge():
    runs = find_runs([2, 3, 2, 3, 2, 3, 2, 15, 14, 3, 2, 12, 2, 2, 2, 2, 2, 13], P)
    assert [(r.first, r.last, r.total) for r in runs] == [(7, 11, 41), (17, 17, 13)]
    assert runs[0].peak.index == 7 and [f.index for f in runs[0].flags] == [7, 8, 11]
    # Flagged buckets stay out of later baselines: day 11 is still judged against the quiet days.
    assert runs[0].flags[-1].baseline == pytest.approx(17 / 7)
    no_cooldown = find_runs([2, 3, 2, 3, 2, 3, 2, 15, 14, 3, 2, 12], SpikeParams(cooldown=0))
    assert [(r.first, r.last) for r in no_cooldown] == [(7, 8), (11, 11)]


def test_poisson_tail():
    assert poisson_sf(0, 3.0) == 1.0
    assert poisson_sf(2, 2.0) == pytest.approx(1 - math.exp(-2) * 3)
    assert poisson_sf(15, 17 / 7) < 1e-7


def test_bundled_config_and_env_overrides(monkeypatch):
    cfg = load_config()
    assert cfg.spikes.bucket == "day" and cfg.alerts.cooldown_hours == 24 and cfg.brand == "СкороДоставка"
    monkeypatch.setenv("OTKLIK_ALERT_WEBHOOK", "https://hooks.example.org/x")
    monkeypatch.setenv("OTKLIK_ALERT_EMAILS", "a@example.org, b@example.org")
    cfg = load_config()
    assert cfg.alerts.webhook_url == "https://hooks.example.org/x"
    assert cfg.alerts.email_to == ("a@example.org", "b@example.org")


@pytest.mark.parametrize("text, message", [
    ("alerts:\n  spikes:\n    bucket: week\n", "bucket"),
    ("alerts:\n  webhook_url: ftp://x\n", "http"),
    ("report:\n  spikes:\n    windw: 3\n", "unknown keys windw"),
    ("nonsense: 1\n", "unknown keys nonsense"),
    ("report: [\n", "cannot read"),
])
def test_bad_config_is_a_clear_error(tmp_path, text, message):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_buckets_before_collection_began_are_not_history():
    """A series that starts mid-window is not a spike on its first day: the empty days before were unknown."""
    from reports.spikes import SpikeParams, find_runs

    params = SpikeParams(window=7, k=3.0, min_count=3, min_history=3, cooldown=1)
    counts = [0, 0, 0, 0, 0, 0, 0, 5, 6, 5, 5, 6, 15, 5, 6]  # collection began at index 7
    naive = find_runs(counts, params)
    assert naive and naive[0].first == 7  # read as zeros, day one looks like a surge
    runs = find_runs(counts, params, first=7)
    assert [(r.first, r.last, r.peak.count) for r in runs] == [(12, 12, 15)]  # only the real spike
