"""Several checkpoints' sentiment averaged at the output: every combination, validation first, then the fixed tests.

Each checkpoint's sentiment probabilities (mixtures included, as it ships) are computed once and cached beside the
other outputs; the average of a combination's probabilities is then scored per set. Validation sets are the carves
of TRAIN (`pipeline.sentiment_splits`, `pipeline.logistics_splits`); the test rows are printed after them and are
not for choosing. Checkpoints are given as NAME=DIR.

    .venv/bin/python scripts/output_ensemble.py D=classifiers/models/default I=var/abl/I/models/... [--cache DIR]
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifiers import data as D  # noqa: E402
from classifiers.evaluate import sentiment_test_sets  # noqa: E402
from classifiers.metrics import f1_pos_neg, macro_f1  # noqa: E402
from classifiers.pipeline import logistics_splits, sentiment_splits  # noqa: E402
from classifiers.taxonomy import load_taxonomy  # noqa: E402

LABELS = ["negative", "neutral", "positive"]


def labelled_sets() -> dict[str, list[dict]]:
    """`val_<set>` and `test_<set>` rows, each with its text and gold sentiment."""
    codes = load_taxonomy().codes
    _, val = sentiment_splits()
    _, log_val = logistics_splits(codes)
    sets = {f"val_{k}": v for k, v in val.items()}
    sets["val_logistics"] = log_val
    sets.update({f"test_{k}": v for k, v in sentiment_test_sets().items()})
    sets["test_logistics"] = D.load_logistics("test", known_codes=codes)
    return {k: [r for r in rows if r.get("sentiment") in LABELS] for k, rows in sets.items()}


def probabilities(name: str, model_dir: str, sets: dict[str, list[dict]], cache: Path) -> dict[str, np.ndarray]:
    """One checkpoint's sentiment probabilities per set, columns in LABELS order (cached as `<cache>/<name>.npz`)."""
    from classifiers.model import load_checkpoint

    file = cache / f"{name}.npz"
    if file.exists():
        saved = np.load(file)
        if all(k in saved and len(saved[k]) == len(v) for k, v in sets.items()):
            return {k: saved[k] for k in sets}
    clf = load_checkpoint(model_dir, device="cpu")
    order = [clf.sentiments.index(label) for label in LABELS]
    out = {}
    for key, rows in sets.items():
        out[key] = clf.scores([r["text"] for r in rows])[0][:, order]
        print(f"{name}: {key} ({len(rows)} texts)", flush=True)
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(file, **out)
    return out


def score(rows: list[dict], probs: np.ndarray) -> tuple[float, float]:
    """F1(pos,neg) and macro-F1 of the argmax of `probs` against the rows' gold sentiment."""
    gold = [r["sentiment"] for r in rows]
    pred = [LABELS[j] for j in probs.argmax(1)]
    return f1_pos_neg(gold, pred), macro_f1(gold, pred)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+", help="NAME=DIR")
    ap.add_argument("--cache", default="var/output_ensemble", help="where each checkpoint's probabilities are kept")
    args = ap.parse_args()
    models = dict(m.split("=", 1) for m in args.models)
    sets = labelled_sets()
    probs = {name: probabilities(name, path, sets, Path(args.cache)) for name, path in models.items()}
    for part in ("val", "test"):
        keys = [k for k in sets if k.startswith(part + "_")]
        print(f"\n{part}: F1(pos,neg) [macro-F1] per set; mean = F1(pos,neg) over the tweets and RuSentiment")
        for size in range(1, len(models) + 1):
            for combo in itertools.combinations(models, size):
                cells, means = [], []
                for key in keys:
                    f1pn, macro = score(sets[key], sum(probs[n][key] for n in combo) / len(combo))
                    cells.append(f"{key.split('_', 1)[1]} {f1pn:.3f} [{macro:.3f}]")
                    if not key.endswith("logistics"):
                        means.append(f1pn)
                print(f"{'+'.join(combo):14s} {'  '.join(cells)}  mean {np.mean(means):.4f}")


if __name__ == "__main__":
    main()
