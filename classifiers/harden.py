"""Hardening: a checkpoint continued so that a carelessly typed text reads as the tidy one does.

The checkpoint (the teacher, frozen) labels every training text as it is written. A full copy of it (the
student) trains on the same rows, `share` of them rewritten by `surface.careless` (lower case without punctuation,
typos, «е» for «ё», …), towards the teacher's labels of the tidy text and the gold labels where a row has them
(`distill.distillation_loss`): the edits keep what a text says, so its labels stay. The unedited rows hold the
student where the teacher was on tidy text. Topic thresholds are tuned again on the logistics validation split;
the mixtures and the fallback (`otklik ensemble-topics`, `ensemble-sentiment`, `tune-fallback`) are fitted again
on the result. Training rows only (`distill.transfer_rows`), never a test split.
"""

from __future__ import annotations

import copy
import json
import random
import time
from pathlib import Path
from typing import Callable

from .surface import careless


def careless_rows(rows: list[dict], share: float, seed: int) -> list[dict]:
    """`rows` with a seeded `share` of their texts rewritten by `surface.careless` (labels kept)."""
    rng = random.Random(seed)
    out = []
    for r in rows:
        out.append({**r, "text": careless(r["text"], rng)} if rng.random() < share else r)
    return out


def harden(model_dir: str | Path, out_dir: str | Path, *, work_dir: str | Path = "var/harden", limit: int = 12000,
           share: float = 0.6, epochs: float = 1.0, lr: float = 2e-5, max_minutes: float = 30.0, seed: int = 13,
           device: str = "cpu", precision: str = "auto", echo: Callable[[str], None] = print) -> Path:
    """Harden the checkpoint at `model_dir` (module doc) into `out_dir`, a new version; returns `out_dir`.

    `limit` caps the sentiment rows (the logistics train rows are all read, twice, as in distillation); `precision`
    (auto, bf16, fp32) is that of the teacher's labels and of training.
    """
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from .checkpoint import read_links, read_otklik_config
    from .distill import teacher_targets, train_on_teacher, transfer_rows
    from .pipeline import git_rev, logistics_splits, tune_thresholds
    from .train import StageConfig, configure_threads, encode_rows, resolve_device, set_seed

    configure_threads()
    set_seed(seed)
    src, out, work = Path(model_dir), Path(out_dir), Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    tok = AutoTokenizer.from_pretrained(src)
    teacher = AutoModelForSequenceClassification.from_pretrained(src, dtype=torch.float32).eval()
    sentiments, codes, teacher_thresholds, version, prefix, _ = read_otklik_config(teacher.config)
    links = read_links(teacher.config)
    dev = resolve_device(device)
    rows = transfer_rows(seed, limit)
    t_logits, _ = teacher_targets(teacher.to(dev), tok, rows, codes, prefix, links, dev, work, False, echo, precision)
    edited = careless_rows(rows, share, seed)
    changed = sum(a["text"] != b["text"] for a, b in zip(rows, edited))
    enc = encode_rows(tok, edited, codes, prefix, 128, links=links)
    student = copy.deepcopy(teacher).to(dev)  # all its layers: a continuation, not a student
    cfg = StageConfig(name="harden", lr=lr, head_lr=lr, batch_size=32, warmup=0.05)
    steps, per_epoch, seconds = train_on_teacher(
        student, enc.ids, enc.sent, t_logits, tok.pad_token_id, dev, len(sentiments), cfg, epochs=epochs,
        max_minutes=max_minutes, seed=seed, echo=echo, precision=precision,
        note=f"{changed} of {len(rows)} texts written carelessly")
    _, log_val = logistics_splits(codes, seed)
    if log_val:
        thresholds = tune_thresholds(student, tok, log_val, codes, dev, 128)
        echo(f"thresholds (logistics validation): {thresholds}")
        student.config.otklik_topic_thresholds = {c: float(thresholds.get(c, 0.5)) for c in codes}
    else:  # nothing to tune them on: the teacher's stay
        student.config.otklik_topic_thresholds = dict(teacher_thresholds)
    student.config.otklik_model_version = f"e5s-{time.strftime('%Y%m%d-%H%M')}-{git_rev()}"
    student.config.otklik_hardened_from = version
    out.mkdir(parents=True, exist_ok=True)
    student.to(torch.float16).save_pretrained(out)
    tok.save_pretrained(out)
    record = {"from": version, "rows": len(rows), "careless_rows": changed, "share": share, "limit": limit,
              "lr": lr, "steps": steps, "epochs": round(steps / per_epoch, 2), "seconds": seconds, "seed": seed}
    (out / "otklik_harden.json").write_text(json.dumps(record))
    echo(f"hardened {version} → {student.config.otklik_model_version} at {out}")
    return out
