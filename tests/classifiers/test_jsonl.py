"""classify_jsonl contract: one output line per non-blank input line, per-line errors, never a crash."""

from __future__ import annotations

import json

from classifiers.jsonl import classify_jsonl
from classifiers.taxonomy import SENTIMENTS


def test_classify_jsonl_contract(tiny_trained, tmp_path):
    inp = tmp_path / "in.jsonl"
    lines = [
        json.dumps({"id": 1, "text": "Курьер опоздал на три часа"}, ensure_ascii=False),
        json.dumps({"id": "b", "text": "   "}),
        json.dumps({"id": "c", "text": "я" * 300}, ensure_ascii=False),
        json.dumps({"id": "d"}),
        "{not json",
        "",
        json.dumps({"id": "e", "text": 5}),
        json.dumps({"id": "f", "text": "Спасибо за доставку!"}, ensure_ascii=False),
        json.dumps({"id": "g", "text": "слово " * 30}, ensure_ascii=False),
    ]
    inp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    stats = classify_jsonl(inp, out, model=str(tiny_trained), device="cpu", batch_size=2, max_chars=200)
    rows = [json.loads(l) for l in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(lines) - 1  # the blank line is ignored
    assert stats["read"] == len(lines) - 1 and stats["written"] == 3 and stats["skipped"] == 5
    ok = {r["id"]: r for r in rows if "error" not in r}
    assert set(ok) == {1, "f", "g"}
    for r in ok.values():
        assert r["sentiment"] in SENTIMENTS
        assert set(r["sentiment_scores"]) == set(SENTIMENTS)
        assert isinstance(r["topics"], list) and r["topics"]
        assert set(r["topics"]) <= set(r["topic_scores"])
        assert r["model_version"] == "tiny-test-1+calm"
    err = {r["id"]: r["error"] for r in rows if "error" in r and r["id"] is not None}
    assert err["b"] == "строка 2: пустой text"
    assert err["c"].startswith("строка 3: text слишком длинный")
    assert err["d"] == "строка 4: нет поля text"
    assert err["e"] == "строка 7: text не строка"
    anon = [r for r in rows if r["id"] is None]
    assert [(r["line"], r["reason"]) for r in anon] == [(5, "invalid_json")]


def test_cli_classify_command(tiny_trained, tmp_path):
    from click.testing import CliRunner

    from classifiers.cli import cli

    inp = tmp_path / "in.jsonl"
    inp.write_text(json.dumps({"id": 7, "text": "Где посылка?"}, ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    res = CliRunner().invoke(cli, ["classify", "--input", str(inp), "--output", str(out), "--model", str(tiny_trained),
                                   "--device", "cpu", "--batch-size", "8"])
    assert res.exit_code == 0, res.output
    assert json.loads(out.read_text(encoding="utf-8"))["id"] == 7
