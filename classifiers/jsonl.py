"""`otklik classify`: JSON Lines in, JSON Lines out, one output line per input line, never a crash on bad lines."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from .registry import FAST_MODEL_DIR, load_classifier

MAX_TEXT_CHARS = 20_000  # longer texts get an error line; shorter ones past the model's token limit are truncated
CHUNK_LINES = 2048


def _count_lines(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(1 for _ in fh)


def classify_jsonl(input_path, output_path, model=None, device: str = "auto", batch_size: int = 64,
                   fast: bool = False, max_chars: int = MAX_TEXT_CHARS, progress: bool | None = None) -> dict:
    """Classify every line of `input_path` (`{"id": …, "text": …}`) into `output_path`.

    Each output line: `id`, `sentiment`, `sentiment_scores` (label → probability), `topics`
    (codes), `topic_scores` (code → probability), `model`, `model_version`. A line that is not
    JSON, has no usable `text`, an empty text, or a text longer than `max_chars` characters gets
    `{"id": …, "error": "…"}` (sentiment null, empty scores) instead, and the run goes on.
    `fast` picks the distilled ONNX student (`classifiers/models/fast/`) unless `model` is given.
    Progress goes to stderr for inputs of more than 1,000 lines (or when `progress=True`).
    Returns a summary dict (lines, ok, errors, seconds, texts_per_second, model, model_version).
    """
    inp, outp = Path(input_path), Path(output_path)
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
    stats = {"lines": 0, "ok": 0, "errors": 0}
    t0 = time.time()
    name, version = getattr(clf, "name", "?"), getattr(clf, "version", "?")

    def error_row(rid, msg):
        stats["errors"] += 1
        return {"id": rid, "sentiment": None, "sentiment_scores": {}, "topics": [], "topic_scores": {},
                "model": name, "model_version": version, "error": msg}

    def flush(pending, fout):
        texts = [p[1] for p in pending if p[2] is None]
        preds = iter(clf.predict(texts)) if texts else iter(())
        for rid, _text, err in pending:
            if err is not None:
                row = error_row(rid, err)
            else:
                p = next(preds)
                row = {"id": rid, "sentiment": p.sentiment, "sentiment_scores": p.sentiment_scores,
                       "topics": p.topics, "topic_scores": p.topic_scores, "model": name, "model_version": version}
                stats["ok"] += 1
            fout.write(json.dumps(row, ensure_ascii=False) + "\n")
        if bar:
            bar.update(len(pending))

    outp.parent.mkdir(parents=True, exist_ok=True)
    with open(inp, encoding="utf-8", errors="replace") as fin, open(outp, "w", encoding="utf-8") as fout:
        pending: list[tuple] = []
        for lineno, line in enumerate(fin, 1):
            stats["lines"] += 1
            if not line.strip():
                pending.append((None, None, f"line {lineno}: empty line"))
            else:
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    pending.append((None, None, f"line {lineno}: invalid JSON ({exc.msg})"))
                else:
                    if not isinstance(obj, dict):
                        pending.append((None, None, f"line {lineno}: not a JSON object"))
                    else:
                        rid, text = obj.get("id"), obj.get("text")
                        if not isinstance(text, str):
                            pending.append((rid, None, "missing text" if text is None else "text is not a string"))
                        elif not text.strip():
                            pending.append((rid, None, "empty text"))
                        elif len(text) > max_chars:
                            pending.append((rid, None, f"text too long: {len(text)} characters (limit {max_chars})"))
                        else:
                            pending.append((rid, text, None))
            if len(pending) >= CHUNK_LINES:
                flush(pending, fout)
                pending = []
        if pending:
            flush(pending, fout)
    if bar:
        bar.close()
    secs = time.time() - t0
    stats.update(seconds=round(secs, 3), texts_per_second=round(stats["ok"] / secs, 1) if secs else None,
                 model=name, model_version=version)
    return stats
