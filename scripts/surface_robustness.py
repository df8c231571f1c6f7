"""How a checkpoint holds up when the same texts are written differently: in capitals, some words in capitals,
lower case without punctuation, with typos, an emoji appended, no spaces after punctuation.

Reads the validation splits carved from TRAIN (logistics topics and sentiment, banks and telecom tweets), never a
test set. Real reviews are written all these ways; a drop here is a drop on real text that the authored tests, all
written in tidy sentence case, cannot show.

    .venv/bin/python scripts/surface_robustness.py [--model DIR] [--calm-reading-off]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

KEYBOARD = "йцукенгшщзхъфывапролджэячсмитьбю"


def variants(seed: int = 13) -> dict[str, Callable[[str], str]]:
    """Each way of writing a text, as a function of the text (the random ones seeded per variant)."""
    rng = random.Random(seed)

    def typo(word: str) -> str:
        if len(word) < 4 or rng.random() > 0.15:
            return word
        i, op = rng.randrange(1, len(word) - 1), rng.random()
        if op < 1 / 3:
            return word[:i] + word[i + 1:]
        if op < 2 / 3:
            return word[:i] + word[i + 1] + word[i] + word[i + 2:]
        return word[:i] + rng.choice(KEYBOARD) + word[i + 1:]

    return {
        "as written": lambda t: t,
        "in capitals": str.upper,
        "30 % of words in capitals": lambda t: " ".join(w.upper() if rng.random() < 0.3 else w for w in t.split(" ")),
        "lower case, no punctuation": lambda t: re.sub(r"[^\w\s]", "", t.lower()),
        "typos in 15 % of words": lambda t: " ".join(typo(w) for w in t.split(" ")),
        "an emoji appended": lambda t: t + " 📦",
        "no space after punctuation": lambda t: re.sub(r"([,.!?])\s+", r"\1", t),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="classifiers/models/default")
    ap.add_argument("--calm-reading-off", action="store_true",
                    help="read texts exactly as written (classifiers.checkpoint.unshouted off), for comparison")
    args = ap.parse_args()

    import classifiers.checkpoint as checkpoint
    from classifiers.metrics import f1_pos_neg, macro_f1, multilabel_report
    from classifiers.model import load_checkpoint
    from classifiers.pipeline import logistics_splits, sentiment_splits
    from classifiers.taxonomy import load_taxonomy

    if args.calm_reading_off:
        checkpoint.unshouted = lambda text: text
    onnx = (Path(args.model) / "model.onnx").exists() and not (Path(args.model) / "model.safetensors").exists()
    clf = load_checkpoint(args.model, device="onnx" if onnx else "cpu")
    codes = load_taxonomy().codes
    _, logistics = logistics_splits(codes)
    _, tweets = sentiment_splits()
    print("| how the texts are written | logistics topic micro-F1 | logistics sentiment macro-F1 | banks F1(pos,neg) "
          "| telecom F1(pos,neg) |\n|---|---:|---:|---:|---:|")
    for name in variants():
        write = variants()[name]  # a fresh seed for each variant: the same words change whatever runs before
        preds = clf.predict([write(r["text"]) for r in logistics])
        topics = multilabel_report([r["topics"] for r in logistics], [p.topics for p in preds], codes)["micro_f1"]
        pairs = [(r["sentiment"], p.sentiment) for r, p in zip(logistics, preds) if r.get("sentiment")]
        tweet_f1 = [f1_pos_neg([r["sentiment"] for r in tweets[d]],
                               [p.sentiment for p in clf.predict([write(r["text"]) for r in tweets[d]])])
                    for d in ("banks", "telecom")]
        print(f"| {name} | {topics:.3f} | {macro_f1(*zip(*pairs)):.3f} | {tweet_f1[0]:.3f} | {tweet_f1[1]:.3f} |",
              flush=True)


if __name__ == "__main__":
    main()
