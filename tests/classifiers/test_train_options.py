"""`otklik train` ablation knobs reach the training plan (stage 2: `--replay`, `--keep-sentiment`)."""

from __future__ import annotations

from click.testing import CliRunner

from classifiers import pipeline
from classifiers.cli import cli


def _plan_of(args, tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr(pipeline, "run_training", lambda plan, until=None: seen.append((plan, until)))
    res = CliRunner().invoke(cli, ["train", "--work-dir", str(tmp_path / "w"), "--no-promote", *args])
    assert res.exit_code == 0, res.output
    return seen[0][0]


def test_replay_and_keep_weight_reach_the_multitask_stage(tmp_path, monkeypatch):
    default = _plan_of([], tmp_path, monkeypatch)
    assert (default.replay, default.multitask.keep_sentiment_weight) == (3000, pipeline.KEEP_SENTIMENT)
    plan = _plan_of(["--replay", "9000", "--keep-sentiment", "1.0"], tmp_path, monkeypatch)
    assert (plan.replay, plan.multitask.keep_sentiment_weight) == (9000, 1.0)
    assert plan.topics.keep_sentiment_weight == pipeline.KEEP_SENTIMENT  # stage 3 keeps its own


def test_a_negative_replay_is_refused(tmp_path, monkeypatch):
    res = CliRunner().invoke(cli, ["train", "--work-dir", str(tmp_path / "w"), "--replay", "-1"])
    assert res.exit_code == 2 and "--replay" in res.output and not (tmp_path / "w").exists()


def test_the_topics_stage_runs_from_scratch_and_not_from_a_checkpoint(tmp_path, monkeypatch):
    scratch = _plan_of([], tmp_path, monkeypatch)
    assert scratch.topics_stage is None and pipeline.runs_topics_stage(scratch)
    start = tmp_path / "default"
    start.mkdir()
    continued = _plan_of(["--from-checkpoint", str(start)], tmp_path, monkeypatch)
    assert not pipeline.runs_topics_stage(continued)
    assert pipeline.runs_topics_stage(_plan_of(["--from-checkpoint", str(start), "--topics-stage"], tmp_path,
                                               monkeypatch))
    assert not pipeline.runs_topics_stage(_plan_of(["--no-topics-stage"], tmp_path, monkeypatch))
