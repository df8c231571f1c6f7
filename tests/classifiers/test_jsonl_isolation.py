"""`otklik classify --input`: every bad line is one reported skip, valid lines are never lost, a killed run is marked.

Input: tests/data/files/classify_hostile.jsonl (one case a line, see docs/reliability.md "Hostile files").
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from classifiers.jsonl import classify_jsonl, partial_path
from otklik.cli import main

HOSTILE = Path(__file__).resolve().parents[1] / "data" / "files" / "classify_hostile.jsonl"
ROOT = Path(__file__).resolve().parents[2]

EXPECTED_SKIPS = {2: "bad_unicode", 3: "bad_unicode", 4: "too_deep", 7: "not_utf8", 8: "not_object",
                  9: "bad_id", 10: "bad_id", 12: "invalid_json"}
CLASSIFIED = {"bom-1": 1, "cr-5": 5, "crlf-6": 6, "nul-13": 13, 14: 14}


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_hostile_lines_are_skipped_one_by_one(tiny_trained, tmp_path):
    out = tmp_path / "out.jsonl"
    report = io.StringIO()
    stats = classify_jsonl(HOSTILE, out, model=str(tiny_trained), device="cpu", batch_size=4, report=report)
    rows = _rows(out)
    ok = {r["id"]: r for r in rows if "error" not in r}
    assert set(ok) == set(CLASSIFIED)  # the BOM did not eat the first id; CR/CRLF/NUL lines kept whole
    assert all(r["sentiment"] for r in ok.values())
    errors = {r["line"]: r["reason"] for r in rows if "error" in r}
    assert errors == EXPECTED_SKIPS
    assert stats["read"] == 13 and stats["written"] == 5 and stats["skipped"] == 8
    assert stats["skipped_by_reason"] == {"bad_unicode": 2, "too_deep": 1, "not_utf8": 1, "not_object": 1,
                                          "bad_id": 2, "invalid_json": 1}
    lines = report.getvalue().splitlines()
    assert [int(l.split()[1].rstrip(":")) for l in lines] == sorted(EXPECTED_SKIPS)
    assert lines[0].startswith("строка 2: одиночный суррогат")
    # the id of a skipped line is kept when it can be written, else null
    by_line = {r["line"]: r for r in rows if "error" in r}
    assert by_line[2]["id"] == "sur-text" and by_line[3]["id"] is None and by_line[9]["id"] is None
    assert not partial_path(out).exists()


def test_cli_exit_code_and_summary(tiny_trained, tmp_path):
    out = tmp_path / "out.jsonl"
    args = ["classify", "--input", str(HOSTILE), "--output", str(out), "--model", str(tiny_trained), "--device", "cpu"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 1
    assert "строка 4: слишком глубокая вложенность JSON" in res.output
    assert "прочитано строк 13, записано 5, пропущено 8" in res.output
    assert "Traceback" not in res.output
    res = CliRunner().invoke(main, [*args, "--allow-skips"])
    assert res.exit_code == 0, res.output
    assert len(_rows(out)) == 13


def test_output_may_not_be_the_input(tiny_trained, tmp_path):
    inp = tmp_path / "in.jsonl"
    inp.write_text('{"id": 1, "text": "Где посылка?"}\n', encoding="utf-8")
    before = inp.read_bytes()
    for target in (inp, tmp_path / "." / "in.jsonl"):
        res = CliRunner().invoke(main, ["classify", "--input", str(inp), "--output", str(target),
                                        "--model", str(tiny_trained), "--device", "cpu"])
        assert res.exit_code == 2 and "это входной файл" in res.output
        assert inp.read_bytes() == before
    link = tmp_path / "link.jsonl"
    link.symlink_to(inp)
    res = CliRunner().invoke(main, ["classify", "--input", str(inp), "--output", str(link),
                                    "--model", str(tiny_trained), "--device", "cpu"])
    assert res.exit_code == 2 and inp.read_bytes() == before


def test_killed_run_leaves_only_a_partial_file(tiny_trained, tmp_path):
    """SIGKILL mid-run: OUT does not exist, OUT.partial holds whole flushed lines; a rerun writes OUT."""
    inp = tmp_path / "big.jsonl"
    text = "Курьер опоздал на три часа, посылку потеряли, верните деньги " * 3
    with open(inp, "w", encoding="utf-8") as fh:
        for i in range(40_000):
            fh.write(json.dumps({"id": i, "text": f"{i} {text}"}, ensure_ascii=False) + "\n")
    out = tmp_path / "out.jsonl"
    cmd = [sys.executable, "-m", "otklik", "classify", "--input", str(inp), "--output", str(out),
           "--model", str(tiny_trained), "--device", "cpu", "--batch-size", "64"]
    env = {**os.environ, "OTKLIK_THREADS": "1"}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    partial = partial_path(out)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if partial.exists() and partial.stat().st_size > 0:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be killed: make the input bigger"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists()
    done = _rows(partial)  # every flushed line is whole JSON
    assert 0 < len(done) < 40_000 and [r["id"] for r in done] == list(range(len(done)))
    res = CliRunner().invoke(main, cmd[3:])
    assert res.exit_code == 0, res.output
    assert len(_rows(out)) == 40_000 and not partial.exists()
