"""The plain reference fine-tune: converted e5-small, full 250K vocabulary, SentiRuEval tweets only.

Issue 16's yardstick for the sentiment recipe: 2 epochs, lr 5e-5, batch 32, no class weights, no other
corpus, no topic head training. `otklik evaluate --reference DIR` scores it beside the shipped model, so the
shipped recipe has to be at least as good on the tweets. Validation is the same 10 % carve of the tweets'
train split that stage 1 uses (`pipeline.sentiment_splits`); test splits are never read here.
"""

from __future__ import annotations

from pathlib import Path

from . import data as D
from .pipeline import SEED, VAL_FRAC_TWEETS, _log_to, make_sentiment_eval
from .checkpoint import DEFAULT_PREFIX
from .taxonomy import load_taxonomy
from .train import StageConfig, build_model, configure_threads, train_stage
from .vocab import extend_vocabulary

REFERENCE_CONFIG = StageConfig(name="reference", epochs=2.0, lr=5e-5, head_lr=5e-5, batch_size=32, max_length=128,
                               eval_every=200, class_weight_power=0.0, seed=SEED)


def reference_splits(seed: int = SEED) -> tuple[list[dict], dict[str, list[dict]]]:
    """Tweets train minus the stage-1 validation carve; validation per domain."""
    tw_train, tw_val = D.stratified_split(D.load_tweets("train"), VAL_FRAC_TWEETS, seed)
    return tw_train, {d: [r for r in tw_val if r["domain"] == d] for d in ("banks", "telecom")}


def run_reference(work_dir: str | Path, device: str = "auto", cfg: StageConfig = REFERENCE_CONFIG,
                  threads: int | None = None) -> Path:
    """Fine-tune e5 on the tweets; returns the best checkpoint with the full vocabulary."""
    from .e5convert import convert_e5

    work = Path(work_dir)
    log = _log_to(work / "reference.log")
    configure_threads(threads)
    train_rows, val = reference_splits(cfg.seed)
    # Training touches only the rows of the pieces its texts use, so it runs on those pieces (5x faster on a
    # CPU than 250K rows through AdamW) and the full vocabulary is put back afterwards (`vocab.py`).
    base = work / "base-train-pieces"
    if not (base / "DONE").exists():
        log(f"converting e5-small with the pieces of the training tweets → {base}")
        convert_e5(base, keep_texts=[DEFAULT_PREFIX + r["text"] for r in train_rows], max_vocab=0)
        (base / "DONE").write_text("ok")
    out = work / "stage"
    if not (out / "DONE").exists():
        tax = load_taxonomy()
        model, tok = build_model(base, tax.codes, version="reference-tweets", taxonomy_version=tax.version)
        log(f"reference: {len(train_rows)} tweets, validation banks {len(val['banks'])} telecom {len(val['telecom'])}")
        ev = make_sentiment_eval(tok, val, device, cfg.max_length)
        train_stage(model, tok, train_rows, cfg, out, evaluate=ev, device=device, log=log)
    full = work / "reference-full-vocab"
    if not (full / "config.json").exists():
        log(f"restoring the full 250K vocabulary → {full}")
        extend_vocabulary(out / "best", full, max_vocab=None)
    return full
