"""Training and evaluation data: the shared labelled corpora, the authored logistics set, desk corrections.

Every loader returns plain dicts with at least `text`; sentiment rows carry `sentiment`
(negative/neutral/positive), topic rows carry `topics` (a list of codes), and `source`
/ `domain` say where a row came from. Nothing here copies shared data into the repo.
"""

from __future__ import annotations

import json
import os
import random
from collections import defaultdict
from pathlib import Path
from typing import Iterable

from .taxonomy import SENTIMENTS

REPO_ROOT = Path(__file__).resolve().parents[1]
LOGISTICS_DIR = Path(__file__).with_name("data") / "logistics"

# SentiRuEval-2015 aspect categories per domain (a category is "present" unless marked `absence`)
ASPECT_CATEGORIES = ("Comfort", "Costs", "Appearance", "Reliability", "Safety", "Driveability",
                     "Food", "Interior", "Price", "Service", "Whole")


def shared_data_dir() -> Path:
    """`$OTKLIK_SHARED_DATA`, else `<repo>/../shared/data` (looking further up for a git worktree)."""
    env = os.environ.get("OTKLIK_SHARED_DATA")
    if env:
        return Path(env)
    for parent in list(REPO_ROOT.parents)[:3]:
        cand = parent / "shared" / "data"
        if cand.is_dir():
            return cand
    return REPO_ROOT.parent / "shared" / "data"


def read_jsonl(path: str | Path) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


def load_tweets(split: str) -> list[dict]:
    """SentiRuEval tweets (banks, telecom): `train` (SentiRuEval-2016) or `test` (2015 etalon)."""
    path = shared_data_dir() / "sentirueval_tweets.jsonl"
    return [
        {"id": r["id"], "text": r["text"], "sentiment": r["label"], "domain": r["domain"], "source": "sentirueval"}
        for r in read_jsonl(path)
        if r["split"] == split and r["label"] in SENTIMENTS
    ]


def load_rusentiment(splits: Iterable[str]) -> list[dict]:
    """RuSentiment VK posts with a 3-way label; `speech` and `skip` rows are left out."""
    splits = set(splits)
    path = shared_data_dir() / "rusentiment.jsonl"
    return [
        {"id": r["id"], "text": r["text"], "sentiment": r["label"], "domain": "vk_posts", "source": "rusentiment"}
        for r in read_jsonl(path)
        if r["split"] in splits and r["label"] in SENTIMENTS
    ]


def load_aspect_reviews(split: str) -> list[dict]:
    """SentiRuEval-2015 restaurant/car reviews; `categories` = the aspect categories present."""
    path = shared_data_dir() / "sentirueval2015_aspect_reviews.jsonl"
    out = []
    for r in read_jsonl(path):
        if r["split"] != split:
            continue
        cats = sorted(c for c, v in (r.get("categories") or {}).items() if v != "absence")
        out.append({"id": r["id"], "text": r["text"], "categories": cats, "domain": r["domain"], "source": "aspects"})
    return out


def aspect_labels(rows: list[dict]) -> list[str]:
    """Category names in a stable order, prefixed with the domain (cars/Comfort, restaurants/Food …)."""
    seen = set()
    for r in rows:
        for c in r["categories"]:
            seen.add(f"{r['domain']}/{c}")
    return sorted(seen)


def logistics_files(split: str, directory: Path | None = None) -> list[Path]:
    d = directory or LOGISTICS_DIR
    return sorted(d.glob(f"authored_*_{split}.jsonl"))


def load_logistics(split: str, directory: Path | None = None, known_codes: Iterable[str] | None = None) -> list[dict]:
    """The authored logistics set (`authored_*_{train,test}.jsonl`: id, text, channel, sentiment, topics, split)."""
    known = set(known_codes) if known_codes is not None else None
    out = []
    for path in logistics_files(split, directory):
        for r in read_jsonl(path):
            topics = [t for t in r.get("topics", []) if known is None or t in known]
            out.append(
                {
                    "id": r.get("id"),
                    "text": r["text"],
                    "sentiment": r.get("sentiment") if r.get("sentiment") in SENTIMENTS else None,
                    "topics": topics,
                    "domain": "logistics",
                    "channel": r.get("channel"),
                    "source": f"authored:{path.stem}",
                }
            )
    return out


class CorrectionsFileError(ValueError):
    """A corrections file with bad lines: training refuses the whole file before it starts (all-or-nothing)."""

    def __init__(self, path: str | Path, bad: list):
        self.path, self.bad = Path(path), bad
        super().__init__(f"{path}: {len(bad)} плохих строк, обучение не начато; исправьте их:\n{bad_lines_listed(bad)}")


def bad_lines_listed(bad: list, shown: int = 20) -> str:
    """The first `shown` bad lines of a file, one a line, and how many more there are."""
    more = f"\n… и ещё {len(bad) - shown}" if len(bad) > shown else ""
    return "\n".join(b.message() for b in bad[:shown]) + more


def _correction(lineno: int, r: dict, known: set[str] | None):
    """One correction row, or the BadLine saying why the line is not one."""
    from store.linefile import BadLine, is_valid_unicode

    text = r.get("text")
    if text is None:
        return BadLine(lineno, "missing_text")
    if not isinstance(text, str):
        return BadLine(lineno, "text_not_string")
    if not is_valid_unicode(text):
        return BadLine(lineno, "bad_unicode", "в text")
    if not text.strip():
        return BadLine(lineno, "empty_text")
    sentiment, topics = r.get("sentiment"), r.get("topics")
    if sentiment is not None and sentiment not in SENTIMENTS:
        return BadLine(lineno, "bad_sentiment", repr(sentiment)[:40])
    if topics is not None and not (isinstance(topics, list) and all(isinstance(t, str) for t in topics)):
        return BadLine(lineno, "bad_topics")
    if sentiment is None and topics is None:
        return BadLine(lineno, "no_label")
    if topics is not None and known is not None:
        topics = [t for t in topics if t in known]
    return {"id": r.get("id"), "text": text.strip(), "sentiment": sentiment, "topics": topics,
            "domain": "corrections", "source": "corrections"}


def load_corrections(path: str | Path, known_codes: Iterable[str] | None = None) -> list[dict]:
    """Moderator corrections exported from the desk, one JSON object a line.

    Format (every field but `text` optional)::

        {"text": "Курьер опоздал на три часа", "sentiment": "negative",
         "topics": ["delivery_delay", "courier_behaviour"],
         "id": "review-123", "model_version": "e5s-…", "corrected_at": "2025-01-31T12:00:00Z"}

    `sentiment` is one of negative/neutral/positive (or null when the moderator only fixed
    topics); `topics` is the complete corrected list of taxonomy codes (an empty list means
    "none of the topics"; a missing/null `topics` means "topics not reviewed"). Unknown topic
    codes are dropped. Corrections are trained on with extra weight and never evaluated on.
    All or nothing: any bad line (not JSON, no text, an unknown sentiment, neither label, …) raises
    `CorrectionsFileError` naming every bad line; blank lines are ignored.
    """
    from store.linefile import BadLine, read_jsonl_lines

    known = set(known_codes) if known_codes is not None else None
    out, bad = [], []
    for entry in read_jsonl_lines(path):
        row = entry if isinstance(entry, BadLine) else _correction(*entry, known)
        (bad if isinstance(row, BadLine) else out).append(row)
    if bad:
        raise CorrectionsFileError(path, bad)
    return out


def stratified_split(rows: list[dict], frac: float, seed: int, key=lambda r: (r.get("domain"), r.get("sentiment"))):
    """Split rows into (train, validation) with `frac` of each stratum in validation (deterministic)."""
    groups: dict = defaultdict(list)
    for r in rows:
        groups[key(r)].append(r)
    rng = random.Random(seed)
    train, val = [], []
    for k in sorted(groups, key=str):
        g = list(groups[k])
        rng.shuffle(g)
        n_val = int(round(len(g) * frac))
        val.extend(g[:n_val])
        train.extend(g[n_val:])
    return train, val
