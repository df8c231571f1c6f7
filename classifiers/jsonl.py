"""`otklik classify`: JSON Lines in, JSON Lines out; a bad line is reported and skipped, never a crash."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import TextIO

from store.linefile import BadLine, SkipLog, check_not_same_file, is_valid_unicode, read_jsonl_lines

from .registry import FAST_MODEL_DIR, load_classifier

MAX_TEXT_CHARS = 20_000  # longer texts are skipped; shorter ones past max_length are read in windows (model.py)
CHUNK_LINES = 2048


def _count_lines(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(1 for _ in fh)


def partial_path(output_path: str | Path) -> Path:
    """Where a run writes until it has finished: OUT.partial, renamed to OUT at the end."""
    out = Path(output_path)
    return out.with_name(out.name + ".partial")


def usable_id(rid: object) -> str | int | None:
    """The id as it can be written back (a string or an integer), else None."""
    if isinstance(rid, bool) or not isinstance(rid, int | str):
        return None
    return rid if isinstance(rid, int) or is_valid_unicode(rid) else None


def check_record(lineno: int, obj: dict, max_chars: int) -> tuple[object, str] | BadLine:
    """The (id, text) of a parsed line, or why the line cannot be classified."""
    rid, text = obj.get("id"), obj.get("text")
    if isinstance(rid, str):
        if not is_valid_unicode(rid):
            return BadLine(lineno, "bad_unicode", "в id")
    elif rid is not None and (isinstance(rid, bool) or not isinstance(rid, int)):
        return BadLine(lineno, "bad_id", type(rid).__name__)
    if text is None:
        return BadLine(lineno, "missing_text")
    if not isinstance(text, str):
        return BadLine(lineno, "text_not_string")
    if not text.strip():
        return BadLine(lineno, "empty_text")
    if len(text) > max_chars:
        return BadLine(lineno, "text_too_long", f"{len(text)} символов, предел {max_chars}")
    if not is_valid_unicode(text):
        return BadLine(lineno, "bad_unicode", "в text")
    return rid, text


def classify_jsonl(input_path, output_path, model=None, device: str = "auto", batch_size: int = 64,
                   fast: bool = False, max_chars: int = MAX_TEXT_CHARS, progress: bool | None = None,
                   report: TextIO | None = None) -> dict:
    """Classify every line of `input_path` (`{"id": …, "text": …}`) into `output_path`.

    Each output line: `id`, `sentiment`, `sentiment_scores` (label → probability), `topics`
    (codes), `topic_scores` (code → probability), `model`, `model_version`. A line that cannot be
    classified (not UTF-8 or not a JSON object, no usable `text`, an empty text or one longer than
    `max_chars`, a lone surrogate, an `id` that is not a string or integer, a text the model fails on)
    is reported on `report` (stderr) as "строка N: reason", written as `{"id", "line", "error", "reason"}`
    (sentiment null, empty scores) and skipped; blank lines are ignored. Output is written to
    OUT.partial and flushed chunk by chunk; it becomes OUT only when the run ends, so a killed run
    leaves OUT.partial. `output_path` may not be the input file.
    `fast` picks the distilled ONNX student (`classifiers/models/fast/`) unless `model` is given.
    Progress goes to stderr for inputs of more than 1,000 lines (or when `progress=True`).
    Returns a summary dict: read (non-blank lines), written (classified), skipped, skipped_by_reason,
    blank, seconds, texts_per_second, model, model_version.
    """
    inp, outp = Path(input_path), Path(output_path)
    check_not_same_file(inp, outp)
    if model is None and fast:
        model = FAST_MODEL_DIR
    clf = load_classifier(model, device=device)
    if hasattr(clf, "batch_size"):
        clf.batch_size = batch_size
    total = _count_lines(inp)
    show = progress if progress is not None else total > 1000
    bar = None
    if show:
        from tqdm import tqdm

        bar = tqdm(total=total, unit="line", file=sys.stderr, desc="classify")
    skips = SkipLog(stream=report)
    stats = {"read": 0, "written": 0}
    t0 = time.time()
    name, version = getattr(clf, "name", "?"), getattr(clf, "version", "?")

    def error_row(bad: BadLine, rid=None) -> dict:
        skips.skip(bad)
        return {"id": rid, "line": bad.line, "sentiment": None, "sentiment_scores": {}, "topics": [],
                "topic_scores": {}, "model": name, "model_version": version, "reason": bad.reason,
                "error": bad.message()}

    def predict(texts: list[str]) -> list:
        """Predictions for a chunk; if the chunk fails, each text alone, so one bad text costs only itself."""
        try:
            return list(clf.predict(texts))
        except Exception:  # noqa: BLE001 - isolate the failing line, re-raise if every line fails
            out: list = []
            last: Exception | None = None
            for text in texts:
                try:
                    out.append(clf.predict([text])[0])
                except Exception as exc:  # noqa: BLE001
                    last = exc
                    out.append(exc)
            if last is not None and all(isinstance(p, Exception) for p in out):
                raise last
            return out

    def flush(pending: list, fout) -> None:
        """Write a chunk of (line, id, text or BadLine) and flush it."""
        preds = iter(predict([t for _, _, t in pending if isinstance(t, str)]))
        for lineno, rid, text in pending:
            p = next(preds) if isinstance(text, str) else None
            if isinstance(text, BadLine):
                row = error_row(text, rid)
            elif isinstance(p, Exception):
                row = error_row(BadLine(lineno, "classifier_error", f"{type(p).__name__}: {p}"[:200]), rid)
            else:
                row = {"id": rid, "sentiment": p.sentiment, "sentiment_scores": p.sentiment_scores,
                       "topics": p.topics, "topic_scores": p.topic_scores, "model": name, "model_version": version}
                stats["written"] += 1
            fout.write(json.dumps(row, ensure_ascii=False) + "\n")
        fout.flush()
        if bar:
            bar.update(pending[-1][0] - bar.n)

    outp.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_path(outp)
    with open(tmp, "w", encoding="utf-8") as fout:
        pending: list[tuple] = []
        for entry in read_jsonl_lines(inp):
            stats["read"] += 1
            if isinstance(entry, BadLine):
                pending.append((entry.line, None, entry))
            else:
                lineno, obj = entry
                checked = check_record(lineno, obj, max_chars)
                if isinstance(checked, BadLine):
                    pending.append((lineno, usable_id(obj.get("id")), checked))
                else:
                    pending.append((lineno, *checked))
            if len(pending) >= CHUNK_LINES:
                flush(pending, fout)
                pending = []
        if pending:
            flush(pending, fout)
        os.fsync(fout.fileno())
    os.replace(tmp, outp)
    if bar:
        bar.close()
    secs = time.time() - t0
    stats.update(skipped=skips.total, skipped_by_reason=dict(skips.by_reason), seconds=round(secs, 3),
                 texts_per_second=round(stats["written"] / secs, 1) if secs else None,
                 model=name, model_version=version)
    return stats


def summary_text(stats: dict, output_path) -> str:
    """The run's summary as the person running it reads it."""
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(stats["skipped_by_reason"].items()))
    return (f"{output_path}: прочитано строк {stats['read']}, записано {stats['written']}, "
            f"пропущено {stats['skipped']}" + (f" ({reasons})" if reasons else "")
            + f"; {stats['seconds']} с, модель {stats['model']} {stats['model_version']}")


def exit_code(stats: dict, allow_skips: bool) -> int:
    """1 when a line was skipped (the skipped lines are in the output with their reason), unless allowed."""
    return 1 if stats["skipped"] and not allow_skips else 0
