"""Multi-task fine-tuning of a Hugging Face encoder: sentiment (3-way softmax) + topics (multi-label sigmoid).

Rows are dicts with `text` and optionally `sentiment` (a label or None) and `topics` (a list of
codes, or None when the row says nothing about topics). A row contributes sentiment loss only
when it has a sentiment, topic loss only when `topics` is not None: sentiment-only corpora and
the logistics set train one network. Optional per-row `weight` (default 1).

The loop runs on CPU or CUDA, bf16 autocast where the hardware supports it, length-bucketed
batches with dynamic padding, AdamW + linear warm-up/decay, fixed seeds; it writes a resumable
state every `save_every` steps (`<out>/resume.pt`) and the best model by validation score to
`<out>/best/` (a normal `save_pretrained` directory).
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch

from .checkpoint import DEFAULT_PREFIX, encoder_text, read_links, read_otklik_config, set_otklik_config
from .schedule import LinearSchedule
from .taxonomy import SENTIMENTS


@dataclass
class StageConfig:
    name: str = "stage"
    epochs: float = 3.0
    lr: float = 6e-5
    head_lr: float = 1e-3
    weight_decay: float = 0.01
    warmup: float = 0.06
    batch_size: int = 32
    max_length: int = 128
    eval_every: int = 300
    save_every: int = 100
    max_minutes: float | None = None
    topic_loss_weight: float = 1.0
    topic_pos_weight_power: float = 0.0  # >0: BCE pos_weight = (negatives/positives)^power per topic, capped at 10
    class_weight_power: float = 0.5
    keep_sentiment_weight: float = 0.0  # >0: KL to fixed sentiment targets (train_stage's keep_targets) on rows that have them
    seed: int = 13
    precision: str = "auto"  # auto | fp32 | bf16 | fp16
    grad_clip: float = 1.0
    log_every: int = 20


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def resolve_device(device: str = "auto") -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def cpu_has_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def autocast_dtype(device: torch.device, precision: str):
    if precision == "fp32":
        return None
    if precision == "bf16":
        return torch.bfloat16
    if precision == "fp16":
        return torch.float16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if cpu_has_bf16() else None


def configure_threads(n: int | None = None) -> int:
    n = n or int(os.environ.get("OTKLIK_THREADS", 0) or 0) or (os.cpu_count() or 1)
    torch.set_num_threads(n)
    return n


# --------------------------------------------------------------------------- encoding & batching


@dataclass
class Encoded:
    ids: list[list[int]]
    sent: np.ndarray  # [n] int64, -1 = no sentiment
    topics: np.ndarray  # [n, T] float32
    topic_mask: np.ndarray  # [n] float32 (1 = topic labels present)
    weight: np.ndarray  # [n] float32


def encode_rows(tokenizer, rows: Sequence[dict], topic_codes: Sequence[str], prefix: str, max_length: int,
                sentiments: Sequence[str] = SENTIMENTS, links: str | None = None) -> Encoded:
    texts = [encoder_text(r["text"], prefix, links) for r in rows]
    enc = tokenizer(texts, truncation=True, max_length=max_length, add_special_tokens=True)
    s_index = {s: i for i, s in enumerate(sentiments)}
    t_index = {c: i for i, c in enumerate(topic_codes)}
    n, T = len(rows), len(topic_codes)
    sent = np.full(n, -1, dtype=np.int64)
    topics = np.zeros((n, T), dtype=np.float32)
    tmask = np.zeros(n, dtype=np.float32)
    weight = np.ones(n, dtype=np.float32)
    for i, r in enumerate(rows):
        s = r.get("sentiment")
        if s in s_index:
            sent[i] = s_index[s]
        if r.get("topics") is not None:
            tmask[i] = 1.0
            for c in r["topics"]:
                if c in t_index:
                    topics[i, t_index[c]] = 1.0
        weight[i] = float(r.get("weight", 1.0))
    return Encoded(list(enc["input_ids"]), sent, topics, tmask, weight)


def bucketed_batches(lengths: Sequence[int], batch_size: int, rng: random.Random, bucket_batches: int = 50) -> list[list[int]]:
    """Shuffle, then sort by length inside chunks of `bucket_batches` batches; shuffle the batches."""
    idx = list(range(len(lengths)))
    rng.shuffle(idx)
    chunk = batch_size * bucket_batches
    batches = []
    for c in range(0, len(idx), chunk):
        part = sorted(idx[c : c + chunk], key=lambda i: lengths[i])
        batches.extend(part[b : b + batch_size] for b in range(0, len(part), batch_size))
    rng.shuffle(batches)
    return batches


def pad_batch(seqs: Sequence[Sequence[int]], pad_id: int):
    L = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), L), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), L), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s, dtype=torch.long)
        mask[i, : len(s)] = 1
    return ids, mask


# --------------------------------------------------------------------------- model


def build_model(base_dir: str | Path, topic_codes: Sequence[str], *, version: str, taxonomy_version: int | None,
                prefix: str = DEFAULT_PREFIX, max_length: int = 256):
    """Load `base_dir` (a bare encoder or an earlier Otklik checkpoint) with a 3 + N label head.

    When `base_dir` is an Otklik checkpoint with other topic columns (a topic was added or
    removed in the taxonomy), the encoder and the columns of the topics both know are kept.
    """
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    base_cfg = AutoConfig.from_pretrained(base_dir)
    old_topics = list(getattr(base_cfg, "otklik_topic_labels", None) or [])
    has_head = bool(getattr(base_cfg, "otklik_sentiment_labels", None))
    cfg = AutoConfig.from_pretrained(base_dir)
    set_otklik_config(cfg, topic_codes, version=version, taxonomy_version=taxonomy_version, prefix=prefix,
                      max_length=max_length, thresholds=getattr(base_cfg, "otklik_topic_thresholds", None))
    if cfg.architectures and cfg.architectures[0].endswith("Model"):
        cfg.architectures = None
    same = has_head and old_topics == list(topic_codes)
    model = AutoModelForSequenceClassification.from_pretrained(base_dir, config=cfg, ignore_mismatched_sizes=not same,
                                                               dtype=torch.float32)
    if has_head and not same:
        old = AutoModelForSequenceClassification.from_pretrained(base_dir, dtype=torch.float32)
        oh, nh = _head(old), _head(model)
        with torch.no_grad():
            rows_old = list(range(3)) + [3 + old_topics.index(c) for c in topic_codes if c in old_topics]
            rows_new = list(range(3)) + [3 + i for i, c in enumerate(topic_codes) if c in old_topics]
            nh.weight[rows_new] = oh.weight[rows_old]
            nh.bias[rows_new] = oh.bias[rows_old]
        del old
    return model, tokenizer


def _head(model) -> torch.nn.Linear:
    head = getattr(model, "classifier", None)
    if isinstance(head, torch.nn.Linear):
        return head
    if head is not None and isinstance(getattr(head, "out_proj", None), torch.nn.Linear):
        return head.out_proj
    raise TypeError(f"cannot find the classification head of {type(model).__name__}")


def _param_groups(model, cfg: StageConfig):
    head_params = set(id(p) for p in _head(model).parameters())
    pooler = getattr(getattr(model, "base_model", model), "pooler", None)
    if pooler is not None:
        head_params |= set(id(p) for p in pooler.parameters())
    groups = {"enc_decay": [], "enc_nodecay": [], "head": []}
    for n, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if id(p) in head_params:
            groups["head"].append(p)
        elif p.ndim < 2 or "LayerNorm" in n or n.endswith(".bias"):
            groups["enc_nodecay"].append(p)
        else:
            groups["enc_decay"].append(p)
    return [
        {"params": groups["enc_decay"], "lr": cfg.lr, "weight_decay": cfg.weight_decay},
        {"params": groups["enc_nodecay"], "lr": cfg.lr, "weight_decay": 0.0},
        {"params": groups["head"], "lr": cfg.head_lr, "weight_decay": 0.0},
    ]


def class_weights(sent: np.ndarray, power: float, n_classes: int = 3) -> torch.Tensor:
    counts = np.bincount(sent[sent >= 0], minlength=n_classes).astype(np.float64)
    counts = np.maximum(counts, 1)
    w = (counts.sum() / (n_classes * counts)) ** power
    return torch.tensor(w / w.mean(), dtype=torch.float32)


def topic_pos_weight(topics: np.ndarray, tmask: np.ndarray, power: float) -> torch.Tensor | None:
    if power <= 0 or not topics.shape[1] or tmask.sum() == 0:
        return None
    lab = topics[tmask > 0]
    pos = np.maximum(lab.sum(0), 1.0)
    neg = np.maximum(len(lab) - lab.sum(0), 1.0)
    return torch.tensor(np.clip((neg / pos) ** power, 1.0, 10.0), dtype=torch.float32)


def multitask_loss(logits, sent, topics, tmask, weight, cw, topic_w: float, n_sent: int = 3, pos_weight=None,
                   keep=None, keep_w: float = 0.0):
    """Sentiment CE + topic_w × topic BCE (+ keep_w × KL(keep ‖ sentiment) on rows whose `keep` row is not NaN)."""
    logits = logits.float()
    ls = logits[:, :n_sent]
    lt = logits[:, n_sent:]
    smask = (sent >= 0).float() * weight
    ce = torch.nn.functional.cross_entropy(ls, sent.clamp(min=0), weight=cw.to(ls.device), reduction="none")
    s_loss = (ce * smask).sum() / smask.sum().clamp(min=1.0)
    loss = s_loss
    t_loss = torch.zeros((), device=logits.device)
    if lt.shape[1] and tmask.sum() > 0:
        bce = torch.nn.functional.binary_cross_entropy_with_logits(
            lt, topics, reduction="none", pos_weight=None if pos_weight is None else pos_weight.to(lt.device)).mean(1)
        tw = tmask * weight
        t_loss = (bce * tw).sum() / tw.sum().clamp(min=1.0)
        loss = loss + topic_w * t_loss
    if keep is not None and keep_w > 0:
        has = ~torch.isnan(keep[:, 0])
        if has.any():
            p = keep[has].to(ls.device)
            kl = (p * (torch.log(p.clamp(min=1e-8)) - torch.log_softmax(ls[has], -1))).sum(1)
            loss = loss + keep_w * kl.mean()
    return loss, s_loss.detach(), t_loss.detach()


# --------------------------------------------------------------------------- inference helper


@torch.inference_mode()
def predict_logits(model, ids: Sequence[Sequence[int]], pad_id: int, device: torch.device, batch_size: int = 64,
                   amp=None, forward: Callable | None = None, width: int | None = None) -> np.ndarray:
    """[len(ids), num_labels] logits, or with `forward(input_ids, mask)` any per-row output of `width` columns."""
    model.eval()
    forward = forward or (lambda x, m: model(input_ids=x, attention_mask=m).logits)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out = np.zeros((len(ids), width or model.config.num_labels), dtype=np.float32)
    for b in range(0, len(order), batch_size):
        sel = order[b : b + batch_size]
        x, m = pad_batch([ids[i] for i in sel], pad_id)
        x, m = x.to(device), m.to(device)
        with torch.autocast(device.type, dtype=amp, enabled=amp is not None):
            lg = forward(x, m).float()
        out[sel] = lg.cpu().numpy()
    return out


def split_probs(logits: np.ndarray, n_sent: int = 3):
    ls = logits[:, :n_sent]
    ls = ls - ls.max(1, keepdims=True)
    ps = np.exp(ls)
    ps /= ps.sum(1, keepdims=True)
    pt = 1.0 / (1.0 + np.exp(-logits[:, n_sent:]))
    return ps, pt


# --------------------------------------------------------------------------- the loop


def train_stage(model, tokenizer, train_rows: list[dict], cfg: StageConfig, out_dir: str | Path, *,
                evaluate: Callable[[object], tuple[float, dict]] | None = None, device: str = "auto",
                log: Callable[[str], None] = print, keep_targets: np.ndarray | None = None) -> Path:
    """Fine-tune `model` on `train_rows`; return the directory of the best (or last) model.

    `keep_targets` ([n, 3] sentiment probabilities, NaN rows = none) with `cfg.keep_sentiment_weight > 0`
    holds the sentiment output near those targets while the stage learns something else (learning
    without forgetting: the pipeline passes the sentiment stage's predictions on the replay rows).

    `evaluate(model) -> (score, details)` is called every `eval_every` steps and at the end;
    the best-scoring weights are saved to `<out>/best`. Re-running with the same arguments
    resumes from `<out>/resume.pt` if present.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    dev = resolve_device(device)
    set_seed(cfg.seed)
    _, topic_codes, _, _, prefix, _ = read_otklik_config(model.config)
    max_len = min(cfg.max_length, int(getattr(model.config, "max_position_embeddings", cfg.max_length)))
    enc = encode_rows(tokenizer, train_rows, topic_codes, prefix, max_len, links=read_links(model.config))
    keep_all = None
    if keep_targets is not None:
        if len(keep_targets) != len(train_rows):
            raise ValueError(f"keep_targets has {len(keep_targets)} rows for {len(train_rows)} training rows")
        keep_all = torch.from_numpy(np.asarray(keep_targets, dtype=np.float32))
    lengths = [len(s) for s in enc.ids]
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    cw = class_weights(enc.sent, cfg.class_weight_power)
    pw = topic_pos_weight(enc.topics, enc.topic_mask, cfg.topic_pos_weight_power)
    steps_per_epoch = math.ceil(len(lengths) / cfg.batch_size)
    total_steps = max(1, int(round(cfg.epochs * steps_per_epoch)))
    log(f"[{cfg.name}] {len(lengths)} rows, {steps_per_epoch} steps/epoch, {total_steps} steps, class weights {cw.tolist()}"
        + (f", topic pos_weight {[round(x, 2) for x in pw.tolist()]}" if pw is not None else ""))
    model.to(dev)
    opt = torch.optim.AdamW(_param_groups(model, cfg), betas=(0.9, 0.98), eps=1e-6)
    schedule = LinearSchedule(total_steps, int(cfg.warmup * total_steps))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule)
    amp = autocast_dtype(dev, cfg.precision)
    scaler = torch.amp.GradScaler("cuda") if (amp == torch.float16 and dev.type == "cuda") else None
    step, best_score, history = 0, -1.0, []
    resume = out / "resume.pt"
    if resume.exists():
        state = torch.load(resume, map_location="cpu", weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optim"])
        sched.load_state_dict(state["sched"])
        step, best_score, history = state["step"], state["best_score"], state.get("history", [])
        log(f"[{cfg.name}] resumed at step {step} (best {best_score:.4f})")
    t0, step0 = time.time(), step
    deadline = t0 + cfg.max_minutes * 60 if cfg.max_minutes else None

    def save_resume():
        tmp = out / "resume.pt.tmp"
        torch.save({"model": model.state_dict(), "optim": opt.state_dict(), "sched": sched.state_dict(),
                    "step": step, "best_score": best_score, "history": history, "config": asdict(cfg)}, tmp)
        os.replace(tmp, resume)

    def do_eval():
        nonlocal best_score
        if evaluate is None:
            return
        te = time.time()
        score, details = evaluate(model)
        model.train()
        history.append({"step": step, "score": score, **details})
        improved = score > best_score
        if improved:
            best_score = score
            model.save_pretrained(out / "best")
            tokenizer.save_pretrained(out / "best")
        log(f"[{cfg.name}] eval step {step}: score {score:.4f} {'(best)' if improved else ''} "
            f"{json.dumps(details, ensure_ascii=False)} ({time.time() - te:.0f}s)")

    model.train()
    run_loss, run_n, t_last = 0.0, 0, time.time()
    epoch = step // steps_per_epoch
    stop = False
    while step < schedule.total and not stop:
        rng = random.Random(cfg.seed * 1000 + epoch)
        batches = bucketed_batches(lengths, cfg.batch_size, rng)
        start_in_epoch = step - epoch * steps_per_epoch
        for bi in range(start_in_epoch, len(batches)):
            if step >= schedule.total:
                break
            sel = batches[bi]
            x, m = pad_batch([enc.ids[i] for i in sel], pad_id)
            sent = torch.from_numpy(enc.sent[sel])
            topics = torch.from_numpy(enc.topics[sel])
            tmask = torch.from_numpy(enc.topic_mask[sel])
            weight = torch.from_numpy(enc.weight[sel])
            keep = None if keep_all is None else keep_all[sel]
            x, m, sent, topics, tmask, weight = (t.to(dev) for t in (x, m, sent, topics, tmask, weight))
            with torch.autocast(dev.type, dtype=amp, enabled=amp is not None):
                logits = model(input_ids=x, attention_mask=m).logits
            loss, s_l, t_l = multitask_loss(logits, sent, topics, tmask, weight, cw, cfg.topic_loss_weight,
                                            pos_weight=pw, keep=keep, keep_w=cfg.keep_sentiment_weight)
            if scaler:
                scaler.scale(loss).backward()
                scaler.unscale_(opt)
            else:
                loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            if scaler:
                scaler.step(opt)
                scaler.update()
            else:
                opt.step()
            opt.zero_grad(set_to_none=True)
            sched.step()
            step += 1
            # with a time budget the decay ends where the budget does (the progress line shows the new end)
            schedule.fit_budget(step, (step - step0) / max(1e-9, time.time() - t0),
                                deadline - time.time() if deadline else None)
            run_loss += float(loss.detach())
            run_n += 1
            if step % cfg.log_every == 0:
                dt = time.time() - t_last
                log(f"[{cfg.name}] step {step}/{schedule.total} epoch {epoch} loss {run_loss / run_n:.4f} "
                    f"(sent {float(s_l):.3f} topic {float(t_l):.3f}) lr {sched.get_last_lr()[0]:.2e} "
                    f"{cfg.log_every / dt:.2f} steps/s")
                run_loss, run_n, t_last = 0.0, 0, time.time()
            if cfg.eval_every and step % cfg.eval_every == 0 and step < schedule.total:
                do_eval()
            if cfg.save_every and step % cfg.save_every == 0:
                save_resume()
            if deadline and time.time() > deadline:
                log(f"[{cfg.name}] time budget reached at step {step}")
                stop = True
                break
        epoch += 1
    do_eval()
    save_resume()
    if evaluate is None or not (out / "best").exists():
        model.save_pretrained(out / "best")
        tokenizer.save_pretrained(out / "best")
    (out / "history.json").write_text(json.dumps(history, ensure_ascii=False, indent=1))
    (out / "DONE").write_text(json.dumps({"step": step, "best_score": best_score}))
    log(f"[{cfg.name}] done: {step} steps in {(time.time() - t0) / 60:.1f} min, best {best_score:.4f}")
    return out / "best"
