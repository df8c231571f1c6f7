"""Metrics on hand-computed examples; thresholds; the promotion gate; the corrections format."""

from __future__ import annotations

import json

import pytest

from classifiers.metrics import best_threshold, f1_pos_neg, macro_f1, multilabel_report


def test_f1_pos_neg_by_hand():
    gold = ["positive", "positive", "negative", "neutral", "negative", "neutral"]
    pred = ["positive", "neutral", "negative", "positive", "neutral", "neutral"]
    # positive: tp=1 fp=1 fn=1 -> P=R=F1=0.5 ; negative: tp=1 fp=0 fn=1 -> P=1 R=.5 F1=2/3
    assert f1_pos_neg(gold, pred) == pytest.approx((0.5 + 2 / 3) / 2)
    # neutral: tp=1 fp=2 fn=1 -> P=1/3 R=1/2 F1=0.4
    assert macro_f1(gold, pred) == pytest.approx((0.5 + 2 / 3 + 0.4) / 3)


def test_multilabel_report_by_hand():
    gold = [["a"], ["a", "b"], [], ["b"]]
    pred = [["a"], ["b"], ["a"], []]
    rep = multilabel_report(gold, pred, ["a", "b", "c"])
    # a: tp1 fp1 fn1 -> .5 ; b: tp1 fp0 fn1 -> 2/3 ; c: no support (excluded from macro)
    assert rep["per_label"]["a"]["f1"] == pytest.approx(0.5)
    assert rep["per_label"]["b"]["precision"] == 1.0 and rep["per_label"]["b"]["recall"] == 0.5
    assert rep["macro_f1"] == pytest.approx((0.5 + 2 / 3) / 2)
    # micro: tp2 fp1 fn2 -> P 2/3 R 1/2 F 4/7
    assert rep["micro_f1"] == pytest.approx(4 / 7)


def test_best_threshold():
    probs = [0.9, 0.8, 0.35, 0.3, 0.1, 0.05]
    gold = [True, True, True, False, False, False]
    t = best_threshold(probs, gold, window=0, one_se=False)
    assert 0.30 < t <= 0.35
    assert best_threshold([0.9, 0.1], [True, False], min_positives=3) == 0.5


def test_best_threshold_prefers_a_plateau_to_a_spike():
    # six positives score 0.92-0.97, two negatives 0.90-0.91 just below them: only thresholds in (0.91, 0.92]
    # give F1 0.857; the lower range 0.4-0.6 gives 0.78-0.84 throughout
    probs = [0.97, 0.96, 0.95, 0.94, 0.93, 0.92, 0.6, 0.5, 0.91, 0.9, 0.55, 0.45, 0.3, 0.1]
    gold = [True] * 8 + [False] * 6

    def f1_at(t):
        tp = sum(p >= t and g for p, g in zip(probs, gold))
        fp = sum(p >= t and not g for p, g in zip(probs, gold))
        fn = sum(p < t and g for p, g in zip(probs, gold))
        return 2 * tp / (2 * tp + fp + fn)

    raw = best_threshold(probs, gold, window=0, one_se=False)
    smooth = best_threshold(probs, gold, one_se=False)
    assert raw == 0.92  # the raw argmax sits on the spike, one grid step from a cliff
    assert 0.4 <= smooth <= 0.6
    assert f1_at(raw) > f1_at(smooth) > 0.75  # the spike is higher on these texts, just not robust


def test_best_threshold_one_se_rule_stays_at_the_default_without_evidence():
    import random

    rng = random.Random(0)
    # a weak label: positives only slightly higher than negatives, F1 flat over a wide range
    gold = [True] * 18 + [False] * 165
    probs = [min(0.99, max(0.01, rng.gauss(0.6 if g else 0.3, 0.25))) for g in gold]
    assert best_threshold(probs, gold) == 0.5
    assert best_threshold(probs, gold, one_se=False) != 0.5  # the smoothed argmax still wanders off
    # a clean, well-separated label keeps a threshold far from the default when F1 says so
    gold = [True] * 40 + [False] * 160
    probs = [0.95] * 40 + [0.6] * 20 + [0.05] * 140  # 20 negatives at 0.60: every t in (0.60, 0.95] is clean
    t = best_threshold(probs, gold)
    assert 0.6 < t <= 0.95


def _fake_model(path, version):
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"model_type": "bert", "otklik_model_version": version}))
    (path / "weights.txt").write_text(version)
    return path


def test_promotion_gate_refuses_worse(tmp_path):
    from classifiers.promote import promote_candidate
    from tests.classifiers.test_significance import outcomes_with_errors

    default = _fake_model(tmp_path / "models" / "default", "v1")
    good = _fake_model(tmp_path / "runs" / "v2", "v2")
    bad = _fake_model(tmp_path / "runs" / "v3", "v3")
    # error rates per set: v2 is better everywhere, v3 far better on tweets but far worse on RuSentiment
    outcomes = {
        "v1": outcomes_with_errors({"banks": 0.30, "telecom": 0.30, "rusentiment": 0.25}),
        "v2": outcomes_with_errors({"banks": 0.27, "telecom": 0.29, "rusentiment": 0.24}),
        "v3": outcomes_with_errors({"banks": 0.15, "telecom": 0.15, "rusentiment": 0.40}),
    }
    fn = lambda p: outcomes[json.loads((p / "config.json").read_text())["otklik_model_version"]]  # noqa: E731
    out = []
    assert promote_candidate(bad, default_dir=default, archive_dir=tmp_path / "archive", outcomes_fn=fn,
                             echo=out.append) is False
    assert (default / "weights.txt").read_text() == "v1"
    assert any("NOT promoted" in o and "rusentiment_macro_f1" in o for o in out)
    assert promote_candidate(good, default_dir=default, archive_dir=tmp_path / "archive", outcomes_fn=fn, echo=out.append)
    assert (default / "weights.txt").read_text() == "v2"
    assert (tmp_path / "archive" / "v1" / "weights.txt").read_text() == "v1"  # previous version kept
    assert promote_candidate(bad, default_dir=default, archive_dir=tmp_path / "archive", outcomes_fn=fn, force=True,
                             echo=out.append)
    assert (default / "weights.txt").read_text() == "v3"


def test_corrections_format(tmp_path):
    from classifiers.data import load_corrections

    p = tmp_path / "c.jsonl"
    p.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"text": "Курьер опоздал", "sentiment": "negative", "topics": ["delivery_delay", "nonsense"]},
        {"text": "Спасибо", "sentiment": "positive"},
        {"text": "Где трек?", "sentiment": None, "topics": []},
    ]) + "\n", encoding="utf-8")
    rows = load_corrections(p, known_codes=["delivery_delay"])
    assert [r["text"] for r in rows] == ["Курьер опоздал", "Спасибо", "Где трек?"]
    assert rows[0]["topics"] == ["delivery_delay"]
    assert rows[1]["topics"] is None and rows[2]["topics"] == [] and rows[2]["sentiment"] is None


def test_best_threshold_favours_precision_where_recall_is_already_high():
    import random

    rng = random.Random(3)
    # recall at 0.5 is ~0.95 but many negatives also pass 0.5: among the thresholds tied with the best F1,
    # the highest one is taken, which raises precision
    gold = [True] * 60 + [False] * 240
    probs = [min(0.99, max(0.01, rng.gauss(0.8 if g else 0.35, 0.15))) for g in gold]

    def pr_at(t):
        tp = sum(p >= t and g for p, g in zip(probs, gold))
        fp = sum(p >= t and not g for p, g in zip(probs, gold))
        return tp / (tp + fp), tp / 60

    p05, r05 = pr_at(0.5)
    assert r05 >= 0.85 and p05 < r05
    t = best_threshold(probs, gold)
    balanced = best_threshold(probs, gold, high_recall=None)
    assert t > balanced >= 0.5
    assert pr_at(t)[0] > pr_at(balanced)[0]


def test_bad_corrections_file_is_refused_whole(tmp_path):
    """Training is all-or-nothing: every bad line is named and nothing is trained."""
    from click.testing import CliRunner

    from classifiers.cli import cli
    from classifiers.data import CorrectionsFileError, load_corrections

    p = tmp_path / "c.jsonl"
    p.write_bytes("\n".join([
        "\ufeff" + json.dumps({"text": "Курьер опоздал", "sentiment": "negative"}, ensure_ascii=False),
        json.dumps({"text": "", "sentiment": "negative"}),
        json.dumps({"text": "ничего", "sentiment": "bogus"}, ensure_ascii=False),
        "{oops",
        "",
        '{"text": "\\ud800", "sentiment": "neutral"}',
        json.dumps({"text": "Спасибо"}, ensure_ascii=False),
        json.dumps({"text": "Где трек?", "topics": "tracking"}, ensure_ascii=False),
    ]).encode("utf-8") + b"\n")
    with pytest.raises(CorrectionsFileError) as err:
        load_corrections(p)
    assert [(b.line, b.reason) for b in err.value.bad] == [
        (2, "empty_text"), (3, "bad_sentiment"), (4, "invalid_json"), (6, "bad_unicode"), (7, "no_label"),
        (8, "bad_topics")]
    work = tmp_path / "work"
    res = CliRunner().invoke(cli, ["train", "--work-dir", str(work), "--corrections", str(p)])
    assert res.exit_code == 1 and "6 плохих строк, обучение не начато" in res.output
    assert "строка 3: sentiment не negative/neutral/positive/null ('bogus')" in res.output
    assert not work.exists()


def test_cached_fixed_set_labels_are_dropped_when_texts_are_read_differently(tmp_path, monkeypatch):
    """The gate's cache of a checkpoint's labels is keyed by the evaluation data and by how texts are read."""
    from classifiers import evaluate, model, promote
    from classifiers.significance import Outcomes

    calls = []

    def predict(model_dir, device="auto"):
        calls.append(model_dir)
        out = Outcomes(topic_codes=["a"])
        out.sentiment["banks"] = (["positive"], ["negative" if len(calls) > 1 else "positive"])
        return out

    monkeypatch.setattr(evaluate, "predict_fixed_sets", predict)
    monkeypatch.setattr(evaluate, "eval_fingerprint", lambda: "data-1")
    first = promote.fixed_set_outcomes(tmp_path)
    assert promote.fixed_set_outcomes(tmp_path).sentiment == first.sentiment and len(calls) == 1  # cached
    monkeypatch.setattr(model, "READING", "another-reading")
    again = promote.fixed_set_outcomes(tmp_path)
    assert len(calls) == 2 and again.sentiment["banks"][1] == ["negative"]


def test_labels_cached_before_the_calm_reading_are_not_reused(tmp_path, monkeypatch):
    """A checkpoint's fixed-set labels cached before capitals were read calmly are stale (the gate once compared a
    candidate read calmly with the default's labels from before)."""
    import json

    from classifiers import evaluate, promote
    from classifiers.significance import Outcomes

    calls = []

    def predict(model_dir, device="auto"):
        calls.append(model_dir)
        return Outcomes(topic_codes=["a"])

    monkeypatch.setattr(evaluate, "predict_fixed_sets", predict)
    monkeypatch.setattr(evaluate, "eval_fingerprint", lambda: "data-1")
    stale = {"fingerprint": "data-1/windows-32x16", "outcomes": Outcomes(topic_codes=["a"]).to_json()}
    (tmp_path / promote.OUTCOMES_CACHE).write_text(json.dumps(stale))
    promote.fixed_set_outcomes(tmp_path)
    assert len(calls) == 1
    assert json.loads((tmp_path / promote.OUTCOMES_CACHE).read_text())["fingerprint"].endswith("+calm")
