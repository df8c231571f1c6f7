"""Inference with an Otklik checkpoint: PyTorch (any Auto-loadable checkpoint) or ONNX Runtime (the fast student).

The fast path: tokenise the whole batch once with the Rust tokenizer, group texts by padded length, run
under `torch.inference_mode` (bf16 on CPUs that have it, fp16/bf16 on GPU), and put the results back in input
order. See `checkpoint.py` for how the logits split into sentiment and topics.

Labels never depend on which other texts share a call. PyTorch's reduced-precision kernels give a row slightly
different results for different tensor shapes (measured on this CPU in bf16: logits move by 0.06 when the
same text is padded to another length or run with 2 instead of 1 rows), which flips near-tie decisions. So
every PyTorch forward pass has a shape fixed by the text's own length: the length is padded up to a multiple of
`PAD_MULTIPLE` and every batch of that padded length has exactly `rows_for(length)` rows (missing rows are
padding rows whose outputs are dropped). The int8 ONNX student with fixed activation scales (`onnx_scales.py`)
computes each row bit-identically whatever the batch's rows and padded length (tested; checked again on every
CPU load by `shape_independent`), so there its batches are dense instead: texts sorted by length, padded to the
longest of the batch, no filler rows (~1.2x faster on short texts). On CPU its session runs one thread per
operator and `workers` (one per core) batches run at once, the TF-IDF mixtures' n-grams counted on a side thread
meanwhile: ~1.1x over one batch at a time on all cores, and a row's logits are bit-identical either way (tested).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Sequence

import numpy as np

from .checkpoint import CALM_READING, encoder_text, read_links, read_otklik_config
from .onnx_cpu import cpu_session, session_options
from .sentiment_tfidf import SentimentTfidf
from .tfidf_linear import JointTfidf
from .topic_fallback import read_min_score, topic_sets
from .topic_tfidf import TopicTfidf
from .train import cpu_has_bf16
from .types import Prediction


PAD_MULTIPLE = 16
# Tokens per CPU batch (rows × padded length). Batch shapes depend on the padded length alone (so that a text's
# scores do not depend on its batch mates), so a lone long text runs with filler rows up to this budget: at 4,096
# the filler rows of the few long texts took a third of the student's time on short texts; 512 loses nothing on
# the short ones (bench/classify_bench.py, docs/classifier.md).
CPU_MAX_TOKENS = 512
GPU_MAX_TOKENS = 65536
# Dense batches (ONNX on CPU) have no filler rows, so their budget only bounds a batch's memory.
DENSE_MAX_TOKENS = 1024


# A text longer than the checkpoint's max_length is read whole, as windows of max_length tokens (each starting with
# the prefix) that overlap by WINDOW_OVERLAP tokens (a quarter of a window at most), at most MAX_WINDOWS of them;
# its topic logits are the maximum over the windows (a topic named anywhere counts) and its sentiment logits their
# mean. Review-site stories run past 256 tokens (docs/classifier.md, *Long texts*).
WINDOW_OVERLAP = 32
MAX_WINDOWS = 16
# How texts are read, for caches of a checkpoint's labels (promote.OUTCOMES_CACHE): change it when inference changes.
READING = f"windows-{WINDOW_OVERLAP}x{MAX_WINDOWS}{CALM_READING}"

# What `shape_independent` runs at load: a short, a mid and a long text, alone and in batches of other shapes.
SHAPE_PROBE = ("ок", "Курьер опоздал на три часа, заказ 40012345 так и не привезли",
               "Пункт выдачи закрыт, на горячей линии никто не отвечает, трек не обновляется. " * 6)


def padded_length(n_tokens: int, multiple: int = PAD_MULTIPLE) -> int:
    """The sequence length a text of `n_tokens` tokens is padded to: the next multiple of `multiple`."""
    return max(multiple, -(-n_tokens // multiple) * multiple)


def _softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(1, keepdims=True)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class _Base:
    """Shared tokenisation, batching and post-processing."""

    name = "transformer"
    version = "unversioned"
    # True: a row's scores depend on its batch's shape, so shapes are fixed by the text's own length (module doc).
    shape_sensitive = True

    def _init_common(self, path: Path, config, tokenizer, batch_size: int, max_tokens: int):
        self.path = Path(path)
        self.config = config
        self.tokenizer = tokenizer
        (self.sentiments, self.topic_codes, self.thresholds, self.version, self.prefix,
         self.max_length) = read_otklik_config(config)
        self.version += CALM_READING  # stored classifications made before texts in capitals were read calmly differ
        self.links = read_links(config)  # a placeholder read in place of every link, if the checkpoint has one
        self.name = getattr(config, "otklik_model_name", None) or f"{config.model_type}-{self.path.name}"
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self.read_whole = True  # False: a long text is cut at max_length tokens (`windows`)
        self.fallback_topic = "other" if "other" in self.topic_codes else None
        self.topic_tfidf = TopicTfidf.load(path)  # a char TF-IDF mixed into the topic scores (topic_tfidf.py)
        self.sentiment_tfidf = SentimentTfidf.load(path)  # and into the sentiment scores (sentiment_tfidf.py)
        if self.topic_tfidf is not None:
            self.thresholds = {**self.thresholds, **self.topic_tfidf.thresholds}
            self.version = f"{self.version}+tfidf"
        if self.sentiment_tfidf is not None:
            self.version = f"{self.version}+stfidf"
        self.fallback_min_score = read_min_score(path)  # a text with no topic above threshold (topic_fallback.py)
        if self.fallback_min_score is not None:
            self.version = f"{self.version}+fb"

    # -- batching -------------------------------------------------------------------------------
    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        enc = self.tokenizer([encoder_text(t, self.prefix, self.links) for t in texts], truncation=True,
                             max_length=self.max_length, add_special_tokens=True, return_attention_mask=False,
                             return_token_type_ids=False)
        return enc["input_ids"]

    def windows(self, texts: Sequence[str]) -> tuple[list[list[int]], np.ndarray]:
        """Every text's ids as windows of at most max_length tokens, and the index of the text each window reads.

        A text that fits is one window, exactly `encode`'s ids; a longer one is cut into windows that overlap by
        WINDOW_OVERLAP tokens, each `<s>` + prefix + a slice of the text + `</s>` (module constants)."""
        if not self.read_whole:
            return self.encode(texts), np.arange(len(texts))
        full = self.tokenizer([encoder_text(t, self.prefix, self.links) for t in texts], truncation=True,
                              max_length=self.max_length * MAX_WINDOWS, add_special_tokens=True,
                              return_attention_mask=False, return_token_type_ids=False)["input_ids"]
        head = self.tokenizer(self.prefix.rstrip(), add_special_tokens=False)["input_ids"] if self.prefix.strip() \
            else []
        out, owner = [], []
        for i, ids in enumerate(full):
            for w in self._split(ids, head):
                out.append(w)
                owner.append(i)
        return out, np.asarray(owner, dtype=np.int64)

    def _split(self, ids: list[int], head: list[int]) -> list[list[int]]:
        """`ids` (with its special tokens) as overlapping windows of max_length tokens; the first is `encode`'s."""
        if len(ids) <= self.max_length:
            return [ids]
        if ids[1 : 1 + len(head)] != head:
            head = []
        start_tok, body, end_tok = ids[:1], ids[1 + len(head) : -1], ids[-1:]
        size = self.max_length - 2 - len(head)
        starts = [0]
        while starts[-1] + size < len(body) and len(starts) < MAX_WINDOWS:
            starts.append(min(starts[-1] + size - min(WINDOW_OVERLAP, size // 4), len(body) - size))
        return [start_tok + head + body[s : s + size] + end_tok for s in starts]

    def rows_for(self, length: int) -> int:
        """Rows of every batch of padded length `length`: a function of the length alone."""
        return max(1, min(self.batch_size, self.max_tokens // length))

    def batches(self, lengths: Sequence[int]):
        """(length, rows, indices) of each forward pass, in the form `shape_sensitive` asks for."""
        return self._fixed_batches(lengths) if self.shape_sensitive else self._dense_batches(lengths)

    def _fixed_batches(self, lengths: Sequence[int]):
        """Texts of one padded length, at most `rows_for` of them a batch, every batch `rows_for` rows."""
        padded = np.asarray([padded_length(L) for L in lengths], dtype=np.int64)
        order = np.argsort(padded, kind="stable")
        start = 0
        while start < len(order):
            length = int(padded[order[start]])
            end = start
            while end < len(order) and padded[order[end]] == length:
                end += 1
            rows = self.rows_for(length)
            for b in range(start, end, rows):
                yield length, rows, [int(i) for i in order[b : min(b + rows, end)]]
            start = end

    def _dense_batches(self, lengths: Sequence[int]):
        """Texts sorted by length, each batch padded to its longest: at most `batch_size` rows, `max_tokens` tokens."""
        order = np.argsort(np.asarray(lengths, dtype=np.int64), kind="stable")
        start = 0
        while start < len(order):
            end, length = start + 1, int(lengths[order[start]])
            while end < len(order) and end - start < self.batch_size:
                longer = max(length, int(lengths[order[end]]))
                if longer * (end - start + 1) > self.max_tokens:
                    break
                end, length = end + 1, longer
            yield length, end - start, [int(i) for i in order[start:end]]
            start = end

    def shape_independent(self) -> bool:
        """Whether this runtime gives every `SHAPE_PROBE` text the same logits alone and in batches of other shapes."""
        ids = self.encode(SHAPE_PROBE)
        alone = [self._forward(*self.pad([s], len(s), 1))[0] for s in ids]
        longest = max(len(s) for s in ids)
        for length, rows in ((longest, len(ids)), (longest + 9, len(ids) + 5)):
            out = self._forward(*self.pad(ids, length, rows))
            if not all(np.array_equal(out[i], row) for i, row in enumerate(alone)):
                return False
        return True

    def pad(self, seqs: Sequence[Sequence[int]], length: int | None = None,
            rows: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Ids and attention mask of shape (rows, length); extra rows are all padding (mask 0 but one token)."""
        length = length or max(len(s) for s in seqs)
        rows = max(rows or len(seqs), len(seqs))
        ids = np.full((rows, length), self.pad_id, dtype=np.int64)
        mask = np.zeros((rows, length), dtype=np.int64)
        mask[len(seqs):, 0] = 1  # a filler row attends to one pad token, so its softmax stays finite
        for i, s in enumerate(seqs):
            ids[i, : len(s)] = s
            mask[i, : len(s)] = 1
        return ids, mask

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        n_out = self.config.num_labels
        out = np.zeros((len(texts), n_out), dtype=np.float32)
        if not len(texts):
            return out
        ids, owner = self.windows(texts)
        rows = out if len(ids) == len(texts) else np.zeros((len(ids), n_out), dtype=np.float32)

        def run(batch: tuple[int, int, list[int]]) -> None:
            length, n, sel = batch
            x, m = self.pad([ids[i] for i in sel], length, n)
            rows[sel] = self._forward(x, m)[: len(sel)]

        self._run_batches(run, list(self.batches([len(s) for s in ids])))
        if rows is not out:
            self._pool_windows(rows, owner, out)
        return out

    def _pool_windows(self, rows: np.ndarray, owner: np.ndarray, out: np.ndarray) -> None:
        """Per text: the mean of its windows' sentiment logits, the maximum of their topic logits."""
        ns = len(self.sentiments)
        counts = np.bincount(owner, minlength=len(out)).astype(np.float32)
        np.add.at(out[:, :ns], owner, rows[:, :ns])  # out[:, :ns] is a view, so this writes into out
        out[:, :ns] /= counts[:, None]
        topics = np.full((len(out), rows.shape[1] - ns), -np.inf, dtype=np.float32)
        np.maximum.at(topics, owner, rows[:, ns:])
        out[:, ns:] = topics

    def _run_batches(self, run, batches: list) -> None:
        """Call `run` on every batch; one after another here, each on its own thread where a runtime allows it."""
        for batch in batches:
            run(batch)

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- contract -------------------------------------------------------------------------------
    def scores(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        return self._probabilities(texts, self.logits(texts), lambda: self._mixture_linear(texts))

    def _probabilities(self, texts: Sequence[str], lg: np.ndarray, mixture_linear) -> tuple[np.ndarray, np.ndarray]:
        """Sentiment and topic probabilities from the logits `lg` and the mixtures' linear scores (a callable)."""
        ns = len(self.sentiments)
        ps, pt = _softmax(lg[:, :ns]), _sigmoid(lg[:, ns:])
        if not len(texts):
            return ps, pt
        z_topic, z_sentiment = mixture_linear()
        if self.topic_tfidf is not None:
            pt = self.topic_tfidf.mix(pt, texts, self.topic_codes, z_topic)
        if self.sentiment_tfidf is not None:
            ps = self.sentiment_tfidf.mix(ps, texts, self.sentiments, z_sentiment)
        return ps, pt

    def _mixture_linear(self, texts: Sequence[str]) -> list[np.ndarray | None]:
        """[topic, sentiment] linear scores of the mixtures present now (None where absent), n-grams counted once."""
        slots = (self.topic_tfidf, self.sentiment_tfidf)
        parts = [p for p in slots if p is not None]
        if not parts:
            return [None, None]
        key = tuple(id(p) for p in parts)
        if getattr(self, "_joint_key", None) != key:  # built on first use and when a mixture is swapped
            self._joint, self._joint_key = JointTfidf(parts), key
        scores = iter(self._joint.linear(texts))
        return [None if p is None else next(scores) for p in slots]

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        ps, pt = self.scores(list(texts))
        topics = topic_sets(pt, self.topic_codes, self.thresholds, self.fallback_topic, self.fallback_min_score)
        out = []
        for i in range(len(ps)):
            s_scores = {s: round(float(ps[i, j]), 6) for j, s in enumerate(self.sentiments)}
            t_scores = {c: round(float(pt[i, j]), 6) for j, c in enumerate(self.topic_codes)}
            out.append(Prediction(self.sentiments[int(ps[i].argmax())], s_scores, topics[i], t_scores))
        return out


class TransformerClassifier(_Base):
    """A PyTorch Hugging Face checkpoint loaded through `AutoModelForSequenceClassification`."""

    def __init__(self, path: str | os.PathLike, device: str = "auto", batch_size: int | None = None,
                 max_tokens: int | None = None, threads: int | None = None, precision: str = "auto"):
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        path = Path(path)
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        if self.device.type == "cpu":
            n = threads or int(os.environ.get("OTKLIK_THREADS", 0) or 0) or (os.cpu_count() or 1)
            torch.set_num_threads(n)
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForSequenceClassification.from_pretrained(path)
        if precision == "auto":
            precision = os.environ.get("OTKLIK_PRECISION", "auto")
        self.dtype = torch.float32
        if self.device.type == "cuda":
            if precision in ("auto", "bf16", "fp16"):
                self.dtype = torch.float16 if precision == "fp16" else (
                    torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16)
        elif precision == "bf16" or (precision == "auto" and cpu_has_bf16()):
            # CPUs with native bf16 (AVX512-BF16/AMX): ~1.3x faster, 99.7 % identical argmax on tweets
            self.dtype = torch.bfloat16
        model = model.to(self.device, dtype=self.dtype).eval()
        self.model = model
        gpu = self.device.type == "cuda"
        self._init_common(path, model.config, tokenizer, batch_size or (256 if gpu else 64),
                          max_tokens or (GPU_MAX_TOKENS if gpu else CPU_MAX_TOKENS))

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            x = torch.from_numpy(ids).to(self.device, non_blocking=True)
            m = torch.from_numpy(mask).to(self.device, non_blocking=True)
            return self.model(input_ids=x, attention_mask=m).logits.float().cpu().numpy()


class OnnxClassifier(_Base):
    """The same contract served by ONNX Runtime from `<dir>/model.onnx` (+ config.json, tokenizer files)."""

    def __init__(self, path: str | os.PathLike, device: str = "auto", batch_size: int | None = None,
                 max_tokens: int | None = None, threads: int | None = None, onnx_file: str = "model.onnx"):
        import onnxruntime as ort
        from transformers import AutoConfig, AutoTokenizer

        path = Path(path)
        n = threads or int(os.environ.get("OTKLIK_THREADS", 0) or 0) or (os.cpu_count() or 1)
        cuda = device in ("auto", "cuda") and "CUDAExecutionProvider" in ort.get_available_providers()
        self.workers = 1 if cuda else n
        if cuda:
            self.session = ort.InferenceSession(str(path / onnx_file), session_options(n),
                                                providers=["CUDAExecutionProvider", "CPUExecutionProvider"])
        else:  # the fused layer-norm and GELU kernels are slow on CPU (onnx_cpu.py); one thread per batch
            self.session = cpu_session(path / onnx_file, 1 if self.workers > 1 else n)
        self._inputs = {i.name for i in self.session.get_inputs()}
        config = AutoConfig.from_pretrained(path)
        tokenizer = AutoTokenizer.from_pretrained(path)
        gpu = self.session.get_providers()[0] == "CUDAExecutionProvider"  # False where CUDA failed to start
        self._init_common(path, config, tokenizer, batch_size or 64, max_tokens or GPU_MAX_TOKENS)
        if not gpu:
            self.shape_sensitive = not self.shape_independent()
            self.max_tokens = max_tokens or (CPU_MAX_TOKENS if self.shape_sensitive else DENSE_MAX_TOKENS)

    def _run_batches(self, run, batches: list) -> None:
        """On CPU, `workers` batches at once, each on one thread (module doc); a batch's rows come out the same."""
        if self.workers < 2 or len(batches) < 2:
            return super()._run_batches(run, batches)
        with ThreadPoolExecutor(self.workers) as pool:
            for done in [pool.submit(run, batch) for batch in batches]:
                done.result()

    def scores(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """As `_Base.scores`, with the mixtures' n-grams counted on a side thread while the batches run."""
        if self.workers < 2 or not len(texts) or (self.topic_tfidf is None and self.sentiment_tfidf is None):
            return super().scores(texts)
        with ThreadPoolExecutor(1) as side:
            mixtures = side.submit(self._mixture_linear, texts)
            lg = self.logits(texts)
            return self._probabilities(texts, lg, mixtures.result)

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        return self.session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0].astype(np.float32)


def load_checkpoint(path: str | os.PathLike, device: str = "auto", **kw):
    """An ONNX student when the directory holds `model.onnx` (and no PyTorch weights), else PyTorch."""
    path = Path(path)
    has_torch = any((path / f).exists() for f in ("model.safetensors", "pytorch_model.bin"))
    if (path / "model.onnx").exists() and (not has_torch or device == "onnx"):
        return OnnxClassifier(path, device="cpu" if device == "onnx" else device, **kw)
    return TransformerClassifier(path, device=device, **kw)
