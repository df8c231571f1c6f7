"""Keep a new authored training file away from the held-out tests: drop repeats and near-copies of test rows.

    python -m classifiers.data_overlap classifiers/data/logistics/authored_f1_train.jsonl [...]

A row of a new file is dropped when its normalised text (lowercase, ё → е, `\\w+` tokens) equals a row read before
it (any authored file, or an earlier row of the new files), or when its token-set Jaccard with any test row
(`authored_*_test.jsonl`) is at least `threshold` (0.5, the rule of parts C-E). The files are rewritten in place
with the rows that stay, in their order; the dropped ids are printed.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from .data import LOGISTICS_DIR, logistics_files, read_jsonl

TOKEN = re.compile(r"\w+")


def tokens(text: str) -> tuple[str, ...]:
    return tuple(TOKEN.findall(text.lower().replace("ё", "е")))


def jaccard(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def overlapping(new_rows: list[dict], known_texts: list[str], test_texts: list[str],
                threshold: float = 0.5) -> dict[str, str]:
    """{id: why} of the new rows to drop: a repeat of a known or earlier new text, or a near-copy of a test text."""
    seen = {tokens(t) for t in known_texts}
    tests = [frozenset(tokens(t)) for t in test_texts]
    drop: dict[str, str] = {}
    for r in new_rows:
        toks = tokens(r["text"])
        if toks in seen:
            drop[r["id"]] = "repeat"
            continue
        seen.add(toks)
        words = frozenset(toks)
        best = max((jaccard(words, t) for t in tests), default=0.0)
        if best >= threshold:
            drop[r["id"]] = f"jaccard {best:.2f} with a test row"
    return drop


def main(paths: list[str], directory: Path = LOGISTICS_DIR) -> int:
    new = [Path(p).resolve() for p in paths]
    known = [r["text"] for f in logistics_files("train", directory) if f.resolve() not in new for r in read_jsonl(f)]
    tests = [r["text"] for f in logistics_files("test", directory) for r in read_jsonl(f)]
    rows = {p: list(read_jsonl(p)) for p in new}
    drop = overlapping([r for p in new for r in rows[p]], known, tests)
    for p in new:
        kept = [r for r in rows[p] if r["id"] not in drop]
        p.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8")
        print(f"{p.name}: {len(kept)} kept, {len(rows[p]) - len(kept)} dropped")
    for rid, why in drop.items():
        print(f"  {rid}: {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
