"""`otklik evaluate-file`: the shipped model, student and rules scored on a labelled file; a bad file not at all."""

from __future__ import annotations

import json

from click.testing import CliRunner

from otklik.cli import main

ROWS = [
    {"id": "r1", "text": "Списали деньги дважды за одну доставку, верните", "topics": ["billing", "returns"],
     "sentiment": "negative"},
    {"id": "r2", "text": "Курьер приехал вовремя, спасибо!", "topics": ["praise"], "sentiment": "positive"},
    {"id": "r3", "text": "Посылку потеряли на сортировке, трек не обновляется месяц",
     "topics": ["lost_item", "tracking"], "sentiment": "negative"},
    {"id": "r4", "text": "Как поменять адрес доставки?", "topics": ["address_change", "question"]},
]


def _write(path, rows) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def test_a_labelled_file_is_scored_for_model_student_and_rules(tmp_path):
    data, out = tmp_path / "real.jsonl", tmp_path / "report.json"
    _write(data, ROWS)
    result = CliRunner().invoke(main, ["evaluate-file", str(data), "--device", "cpu", "--json-out", str(out)])
    assert result.exit_code == 0, result.output
    assert "| **micro** |" in result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["n"] == 4 and {"model", "fast", "rules"} <= set(report)
    support = {c: m["support"] for c, m in report["model"]["report"]["per_label"].items() if m["support"]}
    assert support == {"billing": 1, "returns": 1, "praise": 1, "lost_item": 1, "tracking": 1, "address_change": 1,
                       "question": 1}
    # The lemma rule «списать дважды» catches the double charge: rules recall on billing is 1.
    assert report["rules"]["report"]["per_label"]["billing"]["recall"] == 1.0
    assert report["model"]["report"]["micro_f1"] > report["rules"]["report"]["micro_f1"]


def test_bad_lines_stop_the_run_and_are_all_named(tmp_path):
    data, out = tmp_path / "bad.jsonl", tmp_path / "report.json"
    _write(data, [ROWS[0], {"text": "без тем", "sentiment": "negative"}, ROWS[1],
                  {"text": "тема не из таксономии", "topics": ["weather"]}])
    result = CliRunner().invoke(main, ["evaluate-file", str(data), "--json-out", str(out)])
    assert result.exit_code == 1
    assert "2 плохих строк, оценка не начата" in result.output
    assert "строка 2: нет поля topics" in result.output and "строка 4: неизвестный код темы (weather)" in result.output
    assert not out.exists()
