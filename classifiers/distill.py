"""The `--fast` model: a shallow student distilled from the fine-tuned classifier, served as int8 ONNX.

Student = the teacher's embeddings + `layers` of its 12 transformer layers (evenly spaced,
last one included) + its pooler and head, then trained to match the teacher's logits
(soft sentiment distribution, temperature 2, and topic probabilities) on the training
texts (never on a test split), mixed with the gold labels where a row has them
(`distillation_loss`; `--sentiment-weight` scales its sentiment terms) and, with
`--hidden-weight`, pulled towards the teacher's pooled output (`cosine_distance`). Export:
ONNX (opset 17) with dynamic batch/sequence axes, then ONNX Runtime dynamic int8
quantisation of the MatMul weights. The directory also holds config.json + tokenizer files
so that `load_classifier` serves it through `OnnxClassifier` with the same contract.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import shutil
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from .checkpoint import encoder_text, read_links, read_otklik_config
from .onnx_cpu import cpu_session
from .registry import DEFAULT_MODEL_DIR, FAST_MODEL_DIR
from .schedule import LinearSchedule
from .train import (_param_groups, configure_threads, encode_rows, pad_batch, predict_logits, set_seed,
                    resolve_device, StageConfig, autocast_dtype, bucketed_batches)


def student_from_teacher(teacher, layers: int):
    """A copy of `teacher` keeping `layers` evenly spaced encoder layers (the last one always kept)."""
    import copy

    n = teacher.config.num_hidden_layers
    keep = sorted({round(i * (n - 1) / max(1, layers - 1)) for i in range(layers)}) if layers > 1 else [n - 1]
    student = copy.deepcopy(teacher)
    enc = student.base_model.encoder
    enc.layer = torch.nn.ModuleList([enc.layer[i] for i in keep])
    student.config.num_hidden_layers = len(keep)
    student.config.otklik_student_of = getattr(teacher.config, "otklik_model_version", None)
    student.config.otklik_student_layers = keep
    return student, keep


def transfer_rows(seed: int, limit: int | None = None, augment: int = 0, careless: int = 0) -> list[dict]:
    """Training texts for distillation: sentiment + logistics train rows (validation carved out as in training).

    `limit` caps the sentiment rows (a seeded sample); None takes them all. `augment` adds that many edited copies
    of every sentiment row and twice that of every logistics row (`augment.augmented_rows`, no gold labels: the
    teacher labels them). `careless` adds, last, that many copies of every row written carelessly
    (`surface.careless`: lower case, typos…), each naming its row in `copy_of`: they keep its gold labels, since the
    edits keep what a text says, and take the teacher's labels of it (`teacher_targets`).
    """
    from .augment import WORD, Neighbours, augmented_rows
    from .pipeline import logistics_splits, sentiment_splits
    from .taxonomy import load_taxonomy

    sent_train, _ = sentiment_splits(seed)
    log_train, _ = logistics_splits(load_taxonomy().codes, seed)
    rng = random.Random(seed)
    rows = sent_train if limit is None else rng.sample(sent_train, min(limit, len(sent_train)))
    near = Neighbours(w for r in rows + log_train for w in WORD.findall(r["text"])) if augment > 0 else None
    copies = augmented_rows(rows, augment, seed, near) + augmented_rows(log_train, 2 * augment, seed + 1, near)
    base = rows + log_train * 2  # logistics texts are few and matter most for topics
    if careless > 0:
        from .surface import careless as write_carelessly

        rng_c = random.Random(seed + 7)
        copies += [{**r, "text": write_carelessly(r["text"], rng_c), "augmented": "careless", "copy_of": i}
                   for _ in range(careless) for i, r in enumerate(base)]
    return base + copies


def export_onnx(model, tokenizer, out_dir: Path, quantize: bool = True, max_drift: float = 0.5,
                clip_activations: bool = False) -> Path:
    """Export `model` to `<out>/model.onnx` (int8-quantised when `quantize`) and check it against PyTorch.

    The check refuses an int8 export whose logits move by more than `max_drift` on three probe texts.
    `clip_activations`: activation ranges chosen by least rounding error, not min/max (`onnx_scales`).
    """
    class Wrapper(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask):
            return self.m(input_ids=input_ids, attention_mask=attention_mask).logits

    model = model.float().eval()
    try:  # eager attention exports the pattern ONNX Runtime's BERT optimiser fuses into one Attention op
        model.set_attn_implementation("eager")
    except (AttributeError, ValueError):
        model.config._attn_implementation = "eager"
    wrapper = Wrapper(model).eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    fp32 = out_dir / "model.fp32.onnx"
    ex = tokenizer(["query: пример текста", "query: ещё один, подлиннее пример текста"], padding=True, return_tensors="pt")
    with torch.no_grad():
        torch.onnx.export(wrapper, (ex["input_ids"], ex["attention_mask"]), str(fp32),
                          input_names=["input_ids", "attention_mask"], output_names=["logits"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                                        "logits": {0: "batch"}}, opset_version=17, dynamo=False)
    model.eval()
    final = out_dir / "model.onnx"
    from onnxruntime.transformers.optimizer import optimize_model

    cfg = model.config
    opt = optimize_model(str(fp32), model_type="bert", num_heads=cfg.num_attention_heads, hidden_size=cfg.hidden_size)
    fused = out_dir / "model.fused.onnx"
    opt.save_model_to_file(str(fused))
    fp32.unlink()
    if quantize:
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic

        # per-channel scales: with one scale per tensor a 4-layer student's logits moved by up to 0.96
        quantize_dynamic(str(fused), str(final), weight_type=QuantType.QInt8, per_channel=True,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
        fused.unlink()
        freeze_checkpoint_scales(final, tokenizer, model.config, clip=clip_activations)
    else:
        fused.rename(final)
    # check against PyTorch on a padded batch of another shape
    texts = ["query: Курьер опоздал на три часа", "query: Спасибо!", "query: " + "очень длинный текст " * 12]
    enc = tokenizer(texts, padding=True, truncation=True, return_tensors="pt",
                    max_length=min(128, model.config.max_position_embeddings))
    with torch.no_grad():
        ref = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).logits.numpy()
    sess = cpu_session(final, threads=os.cpu_count() or 1)  # the graph as `OnnxClassifier` serves it on CPU
    got = sess.run(None, {"input_ids": enc["input_ids"].numpy(), "attention_mask": enc["attention_mask"].numpy()})[0]
    err = float(np.abs(got - ref).max())
    if err > (max_drift if quantize else 1e-3):
        raise RuntimeError(f"ONNX export disagrees with PyTorch (max |Δlogit| = {err:.4f} on three probe texts, "
                           f"limit {max_drift if quantize else 1e-3}); a trained student is kept in the work dir: "
                           "`otklik distill --export-only --max-drift X` exports it with another limit")
    return final


def calibration_texts(n: int = 2000, seed: int = 13) -> list[str]:
    """A seeded sample of the distillation texts (training splits only) for measuring activation ranges."""
    rows = transfer_rows(seed)
    return [r["text"] for r in random.Random(seed).sample(rows, min(n, len(rows)))]


def calibration_feeds(tokenizer, prefix: str, texts: list[str], batch_size: int = 64, max_length: int = 128,
                      links: str | None = None):
    """ONNX inputs (`input_ids`, `attention_mask`, int64) for `texts` read with `prefix` and `links`, a batch a time."""
    for start in range(0, len(texts), batch_size):
        enc = tokenizer([encoder_text(t, prefix, links) for t in texts[start : start + batch_size]], padding=True,
                        truncation=True, max_length=max_length, return_tensors="np")
        yield {k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask")}


def freeze_scales(onnx_path: str | Path, tokenizer, prefix: str, texts: list[str] | None = None,
                  batch_size: int = 64, max_length: int = 128, links: str | None = None, clip: bool = False) -> Path:
    """Rewrite the int8 graph at `onnx_path` with fixed activation scales (`onnx_scales.py`), in place."""
    import onnx

    from .onnx_scales import calibrate_ranges, freeze_activation_scales, fuse_integer_matmuls

    texts = calibration_texts() if texts is None else texts
    feeds = calibration_feeds(tokenizer, prefix, texts, batch_size, max_length, links)
    model = onnx.load(str(onnx_path))
    frozen = fuse_integer_matmuls(freeze_activation_scales(model, calibrate_ranges(model, feeds, clip)))
    onnx.save(frozen, str(onnx_path))
    return Path(onnx_path)


def freeze_checkpoint_scales(onnx_path: str | Path, tokenizer, config, clip: bool = False) -> Path:
    """`freeze_scales` with the texts read as the checkpoint whose `config` is given reads them (prefix, links)."""
    return freeze_scales(onnx_path, tokenizer, read_otklik_config(config)[4], links=read_links(config),
                         max_length=min(128, config.max_position_embeddings), clip=clip)


def export_checkpoint_onnx(model_dir: str | Path, out_dir: str | Path, max_drift: float = 0.5,
                           clip_activations: bool = False) -> Path:
    """The whole checkpoint (all layers) as int8 ONNX: the middle option between the model and the student.

    `clip_activations` is `export_onnx`'s; the export's version says which ranges it has.
    """
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from .topic_fallback import SCORE_FILES

    src, out = Path(model_dir), Path(out_dir)
    tok = AutoTokenizer.from_pretrained(src)
    model = AutoModelForSequenceClassification.from_pretrained(src, dtype=torch.float32).eval()
    model.config.otklik_model_name = "e5-small-onnx-int8"
    version = getattr(model.config, "otklik_model_version", "unversioned")
    model.config.otklik_model_version = f"{version}-onnx-int8{'-clip' if clip_activations else ''}"
    export_onnx(model, tok, out, max_drift=max_drift, clip_activations=clip_activations)
    model.config.save_pretrained(out)
    tok.save_pretrained(out)
    for name in SCORE_FILES:
        if (src / name).exists():
            shutil.copy2(src / name, out / name)
    return out


def distillation_loss(lg: torch.Tensor, teacher_lg: torch.Tensor, sent: torch.Tensor, ns: int, T: float = 2.0,
                      sentiment_weight: float = 1.0) -> torch.Tensor:
    """Soft sentiment (KL at temperature `T`) + gold sentiment where known (`sent` >= 0), scaled by
    `sentiment_weight`, + 3 × the topic BCE against the teacher's probabilities."""
    kd_s = torch.nn.functional.kl_div(torch.log_softmax(lg[:, :ns] / T, -1), torch.softmax(teacher_lg[:, :ns] / T, -1),
                                      reduction="batchmean") * T * T
    kd_t = torch.nn.functional.binary_cross_entropy_with_logits(lg[:, ns:], torch.sigmoid(teacher_lg[:, ns:]))
    has = sent >= 0
    hard = torch.nn.functional.cross_entropy(lg[has, :ns], sent[has]) if has.any() else lg.sum() * 0
    return sentiment_weight * (kd_s + 0.5 * hard) + 3.0 * kd_t


def cosine_distance(pooled: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean `1 - cos` between each row of `pooled` and of `target`."""
    return (1.0 - torch.nn.functional.cosine_similarity(pooled, target, dim=-1)).mean()


def pooled_and_logits(model, input_ids: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(pooled output, logits) of a BERT sequence classifier, computed as its own forward computes them."""
    if not hasattr(model, "bert"):
        raise TypeError(f"pooled-output distillation needs a BERT classifier, not {type(model).__name__}")
    pooled = model.bert(input_ids=input_ids, attention_mask=mask).pooler_output
    return pooled, model.classifier(model.dropout(pooled))


def teacher_pooled(model, ids: list[list[int]], pad_id: int, device: torch.device, cache: Path,
                   echo: Callable[[str], None]) -> torch.Tensor:
    """The teacher's pooled output of every transfer text (fp32), read from `cache` or computed and saved there."""
    if not cache.exists():
        t0 = time.time()
        echo(f"teacher pooled outputs for {len(ids)} texts …")
        rows = predict_logits(model, ids, pad_id, device, amp=autocast_dtype(device, "auto"),
                              forward=lambda x, m: pooled_and_logits(model, x, m)[0], width=model.config.hidden_size)
        np.save(cache, rows.astype(np.float16))
        echo(f"  {time.time() - t0:.0f}s")
    return torch.from_numpy(np.load(cache).astype(np.float32))


def narrow_student(student, width: int, ids: list[list[int]], pad_id: int, seed: int,
                   echo: Callable[[str], None], sample: int = 1024, batch_size: int = 64) -> None:
    """Prune the student's feed-forward blocks to `width` neurons, importance measured on `sample` of `ids`."""
    from .ffn_prune import ffn_importance, prune_ffn

    pick = random.Random(seed).sample(range(len(ids)), min(sample, len(ids)))
    dev = next(student.parameters()).device
    padded = (pad_batch([ids[i] for i in pick[k:k + batch_size]], pad_id) for k in range(0, len(pick), batch_size))
    batches = ((x.to(dev), m.to(dev)) for x, m in padded)
    before = student.config.intermediate_size
    prune_ffn(student, width, ffn_importance(student.eval(), batches))
    echo(f"student: feed-forward blocks {before} → {width} neurons (importance on {len(pick)} transfer texts)")


def train_on_teacher(student, ids: list[list[int]], sent: np.ndarray, t_logits: np.ndarray, pad_id: int,
                     dev: torch.device, ns: int, cfg: StageConfig, *, epochs: float, max_minutes: float, seed: int,
                     echo: Callable[[str], None], sentiment_weight: float = 1.0, t_pooled: torch.Tensor | None = None,
                     hidden_weight: float = 0.0, note: str = "", precision: str = "auto") -> tuple[int, int, int]:
    """Train `student` on `ids` towards the teacher's logits `t_logits` (row for row) and the gold `sent`.

    The loss is `distillation_loss` (plus `hidden_weight` × `cosine_distance` to `t_pooled` when given); the learning
    rate warms up and decays to zero at the last step that fits `max_minutes`; `precision` is `autocast_dtype`'s.
    Returns (steps, steps per epoch, seconds).
    """
    student.train()
    opt = torch.optim.AdamW(_param_groups(student, cfg), betas=(0.9, 0.98), eps=1e-6)
    lengths = [len(s) for s in ids]
    steps_per_epoch = math.ceil(len(lengths) / cfg.batch_size)
    total = int(epochs * steps_per_epoch)
    schedule = LinearSchedule(total, int(cfg.warmup * total))  # its end follows the time budget (schedule.py)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule)
    amp = autocast_dtype(dev, precision)
    echo(f"{cfg.name}: {note + ', ' if note else ''}{total} steps")
    step, t0, deadline = 0, time.time(), time.time() + max_minutes * 60
    tl = torch.from_numpy(t_logits)
    ep = 0
    while step < schedule.total and time.time() < deadline:
        for sel in bucketed_batches(lengths, cfg.batch_size, random.Random(seed + ep)):
            if step >= schedule.total or time.time() > deadline:
                break
            x, m = pad_batch([ids[i] for i in sel], pad_id)
            with torch.autocast(dev.type, dtype=amp, enabled=amp is not None):
                if t_pooled is None:
                    lg = student(input_ids=x.to(dev), attention_mask=m.to(dev)).logits
                else:
                    pooled, lg = pooled_and_logits(student, x.to(dev), m.to(dev))
            lg = lg.float()
            loss = distillation_loss(lg, tl[sel].to(dev), torch.from_numpy(sent[sel]).to(dev), ns, 2.0,
                                     sentiment_weight)
            if t_pooled is not None:
                loss = loss + hidden_weight * cosine_distance(pooled.float(), t_pooled[sel].to(dev))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            sched.step()
            step += 1
            schedule.fit_budget(step, step / (time.time() - t0), deadline - time.time())
            if step % 100 == 0:
                echo(f"  {cfg.name} step {step}/{schedule.total} loss {float(loss.detach()):.4f} "
                     f"({step / (time.time() - t0):.2f} steps/s)")
        ep += 1
    student.eval()
    return step, steps_per_epoch, round(time.time() - t0)


def teacher_targets(t_model, tok, rows: list[dict], codes, prefix: str, links: str | None, dev: torch.device,
                    work: Path, pooled: bool, echo: Callable[[str], None], precision: str = "auto"):
    """(logits [n, labels], pooled outputs [n, hidden] or None) of the teacher for every transfer row.

    The teacher reads the rows without a `copy_of` as it reads texts (`prefix`, `links`); a row with one (a careless
    copy, after them) takes the labels of the row it names. Cached in `work` under the teacher's version, reading and
    a digest of the texts read (the texts are cut into word pieces only when something is not cached); `precision`
    is `autocast_dtype`'s.
    """
    n_read = sum(1 for r in rows if "copy_of" not in r)
    if any("copy_of" not in r for r in rows[n_read:]):
        raise ValueError("rows with a `copy_of` must come after the rows the teacher reads")
    read = rows[:n_read]
    digest = hashlib.sha1("\x1e".join([prefix, links or ""] + [r["text"] for r in read]).encode()).hexdigest()[:12]
    version = getattr(t_model.config, "otklik_model_version", "unversioned")
    reading = f"_links-{links}" if links else ""
    stem = f"{version}_{n_read}_{digest}{reading}{'' if precision == 'auto' else '_' + precision}.npy"
    cache, pooled_cache = work / f"teacher_logits_{stem}", work / f"teacher_pooled_{stem}"
    ids = None  # the teacher's word pieces, only when something is not cached
    if not cache.exists() or (pooled and not pooled_cache.exists()):
        ids = encode_rows(tok, read, codes, prefix, 128, links=links).ids
    if cache.exists():
        t_logits = np.load(cache)
    else:
        t0 = time.time()
        echo(f"teacher logits for {n_read} texts …")
        t_logits = predict_logits(t_model, ids, tok.pad_token_id, dev, batch_size=64,
                                  amp=autocast_dtype(dev, precision))
        np.save(cache, t_logits)
        echo(f"  {time.time() - t0:.0f}s")
    t_pooled = teacher_pooled(t_model, ids, tok.pad_token_id, dev, pooled_cache, echo) if pooled else None
    index = np.concatenate([np.arange(n_read), np.array([r["copy_of"] for r in rows[n_read:]], dtype=np.int64)])
    return t_logits[index], (t_pooled[torch.from_numpy(index)] if t_pooled is not None else None)


def run_distillation(teacher: str | Path | None = None, out_dir: str | Path | None = None, layers: int = 6,
                     work_dir: str | Path = "var/train/distill", epochs: float = 3.0, limit: int | None = None,
                     seed: int = 13, device: str = "cpu", echo: Callable[[str], None] = print,
                     max_minutes: float = 30, augment: int = 0, careless: int = 0, max_drift: float = 0.7,
                     prefix: str | None = None,
                     links: str | None = None, teacher_reads_links: bool = False,
                     sentiment_weight: float = 1.0, hidden_weight: float = 0.0, ffn: int | None = None,
                     clip_activations: bool = False) -> Path:
    """Distil the teacher into a `layers`-layer student and export it (module doc).

    `prefix` (None: the teacher's) and `links` (a placeholder for every link, None: links as written) are how the
    student reads its texts; the teacher's soft labels are computed on the texts as the teacher reads them, or with
    `teacher_reads_links` with the student's link placeholder too, so that both see the same words.
    `sentiment_weight` scales the sentiment terms of the loss (soft and gold labels) against the topic term;
    `hidden_weight` adds `1 - cos` between the student's and the teacher's pooled output (the 384 numbers the head
    reads, more of the teacher's knowledge than its 18 logits), the teacher's computed once and cached.
    `augment` and `careless` are `transfer_rows`'s.
    `ffn` narrows every feed-forward block of the student to that many neurons before training (`ffn_prune`);
    `clip_activations` is `export_onnx`'s.
    """
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    configure_threads()
    set_seed(seed)
    teacher_dir = Path(teacher) if teacher else DEFAULT_MODEL_DIR
    out = Path(out_dir) if out_dir else FAST_MODEL_DIR
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    tok = AutoTokenizer.from_pretrained(teacher_dir)
    t_model = AutoModelForSequenceClassification.from_pretrained(teacher_dir, dtype=torch.float32).eval()
    sentiments, codes, thresholds, version, t_prefix, _ = read_otklik_config(t_model.config)
    rows = transfer_rows(seed, limit, augment, careless)
    t_links = links if teacher_reads_links else read_links(t_model.config)
    s_prefix = t_prefix if prefix is None else prefix
    dev = resolve_device(device)
    t_model.to(dev)
    t_logits, t_pooled = teacher_targets(t_model, tok, rows, codes, t_prefix, t_links, dev, work, hidden_weight > 0,
                                         echo)
    student, keep = student_from_teacher(t_model, layers)
    student.to(dev)
    del t_model
    student.config.otklik_text_prefix, student.config.otklik_link_placeholder = s_prefix, links
    enc = encode_rows(tok, rows, codes, s_prefix, 128, links=links)  # the student reads its texts its own way
    if ffn:
        narrow_student(student, ffn, enc.ids, tok.pad_token_id, seed, echo)
    step, steps_per_epoch, seconds = train_on_teacher(
        student, enc.ids, enc.sent, t_logits, tok.pad_token_id, dev, len(sentiments),
        StageConfig(name="distill", lr=1e-4, head_lr=1e-4, batch_size=32, warmup=0.05), epochs=epochs,
        max_minutes=max_minutes, seed=seed, echo=echo, sentiment_weight=sentiment_weight, t_pooled=t_pooled,
        hidden_weight=hidden_weight, note=f"layers {keep} of the teacher")
    from .pipeline import logistics_splits, tune_thresholds

    _, log_val = logistics_splits(codes, seed)
    if log_val:  # the student's own thresholds, on the same validation split of train as the teacher's
        student.config.otklik_topic_thresholds = tune_thresholds(student, tok, log_val, codes, dev, 128)
        echo(f"student thresholds: {student.config.otklik_topic_thresholds}")
    reads = ("-noprefix" if t_prefix and not s_prefix else "") + ("-links" if links else "")
    student.config.otklik_model_version = f"{version}-fast{len(keep)}" + (f"-ffn{ffn}" if ffn else "") + reads
    student.config.otklik_model_name = "e5-small-student-onnx-int8"
    tmp = work / "student"  # kept: `export_student` can re-export it (e.g. with another --max-drift)
    student.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    meta = {"teacher": version, "layers": keep, "steps": step, "transfer_rows": len(rows), "prefix": s_prefix,
            "links": links, "teacher_links": t_links, "sentiment_weight": sentiment_weight,
            "hidden_weight": hidden_weight, "ffn": student.config.intermediate_size,
            "augment": augment, "careless": careless, "augmented_rows": sum(1 for r in rows if r.get("augmented")),
            "epochs": round(step / steps_per_epoch, 2), "seconds": seconds}
    (tmp / "otklik_distill.json").write_text(json.dumps(meta))
    export_student(tmp, out, max_drift=max_drift, clip_activations=clip_activations)
    echo(f"fast student → {out} ({sum(f.stat().st_size for f in out.iterdir()) / 1e6:.1f} MB)")
    return out


def export_student(student_dir: str | Path, out_dir: str | Path, max_drift: float = 0.5,
                   clip_activations: bool = False) -> Path:
    """The trained PyTorch student at `student_dir` as the shipped int8 ONNX directory `out_dir` (replaced)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    src, out = Path(student_dir), Path(out_dir)
    student = AutoModelForSequenceClassification.from_pretrained(src, dtype=torch.float32).eval()
    tok = AutoTokenizer.from_pretrained(src)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    export_onnx(student, tok, out, max_drift=max_drift, clip_activations=clip_activations)
    if clip_activations:  # other int8 scales, other scores: a version of its own
        student.config.otklik_model_version = f"{getattr(student.config, 'otklik_model_version', 'student')}-clip"
    student.config.save_pretrained(out)
    tok.save_pretrained(out)
    if (src / "otklik_distill.json").exists():  # the run's record, with how it was exported
        record = {**json.loads((src / "otklik_distill.json").read_text()), "clip_activations": clip_activations}
        (out / "otklik_distill.json").write_text(json.dumps(record))
    return out
