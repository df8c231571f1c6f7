"""`otklik evaluate`: the model against a TF-IDF baseline (and the rule baseline) on the fixed evaluation sets.

Tables:
  * sentiment: SentiRuEval tweets `test` per domain (F1 pos/neg = SentiRuEval metric, and
    3-class macro F1) and RuSentiment `test` (3-class rows), for the model, its fast
    student, and a character n-gram TF-IDF + logistic regression trained in the same run
    on the same training rows (C picked on the same validation split);
  * aspects: SentiRuEval-2015 aspect categories (train on `train`, micro/macro F1 on `test`),
    fine-tuning the same multi-label machinery from the converted encoder, vs TF-IDF;
  * logistics: per-topic precision/recall on the authored held-out test files, model vs rules.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path
from typing import Callable

import numpy as np

from . import data as D
from .metrics import accuracy, f1_pos_neg, macro_f1, multilabel_report
from .taxonomy import load_taxonomy

DOC_PATH = D.REPO_ROOT / "docs" / "classifier.md"
BEGIN, END = "<!-- otklik-evaluate:begin -->", "<!-- otklik-evaluate:end -->"
# the plain tweets-only fine-tune (`otklik train --reference`), scored beside the model when it is there
DEFAULT_REFERENCE_DIR = D.REPO_ROOT / "var" / "reference" / "reference-full-vocab"
NEW_TEST_STEM = "authored_e_test"  # issue 16's held-out set, written separately in other voices


def eval_fingerprint() -> str:
    h = hashlib.sha1()
    files = [D.shared_data_dir() / f for f in ("sentirueval_tweets.jsonl", "rusentiment.jsonl")]
    files += D.logistics_files("test")
    for f in files:
        if f.exists():
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def sentiment_test_sets() -> dict[str, list[dict]]:
    tweets = D.load_tweets("test")
    return {
        "banks": [r for r in tweets if r["domain"] == "banks"],
        "telecom": [r for r in tweets if r["domain"] == "telecom"],
        "rusentiment": D.load_rusentiment(["test"]),
    }


def sentiment_metrics(gold, pred) -> dict:
    return {"f1pn": f1_pos_neg(gold, pred), "macro_f1": macro_f1(gold, pred), "accuracy": accuracy(gold, pred), "n": len(gold)}


def _model_sentiment(clf, sets) -> dict:
    out = {}
    for name, rows in sets.items():
        ps, _ = clf.scores([r["text"] for r in rows])
        pred = [clf.sentiments[i] for i in ps.argmax(1)]
        out[name] = sentiment_metrics([r["sentiment"] for r in rows], pred)
    return out


def long_review_rows() -> list[dict]:
    """SentiRuEval-2015 restaurant and car reviews (both splits) whose whole-review sentiment is positive or negative.

    No checkpoint trains on them; median ~205 word pieces, a third past 256: a check of how long texts are read."""
    rows = []
    for r in D.read_jsonl(D.shared_data_dir() / "sentirueval2015_aspect_reviews.jsonl"):
        whole = (r.get("categories") or {}).get("Whole")
        if whole in ("positive", "negative"):
            rows.append({"text": r["text"], "sentiment": whole})
    return rows


def long_review_sentiment(clf, rows: list[dict]) -> dict:
    """F1(pos,neg) on `rows`, all and the ones past max_length tokens, read whole and cut at max_length."""
    texts, gold = [r["text"] for r in rows], [r["sentiment"] for r in rows]
    _, owner = clf.windows(texts)
    long = np.bincount(owner, minlength=len(texts)) > 1
    out = {"n": len(rows), "n_long": int(long.sum()), "max_length": clf.max_length}
    before = clf.read_whole
    try:
        for key, whole in (("whole", True), ("cut", False)):
            clf.read_whole = whole
            ps, _ = clf.scores(texts)
            pred = [clf.sentiments[i] for i in ps.argmax(1)]
            out[key] = {"all": f1_pos_neg(gold, pred),
                        "long": f1_pos_neg([g for g, k in zip(gold, long) if k], [p for p, k in zip(pred, long) if k])}
    finally:
        clf.read_whole = before
    return out


def predict_fixed_sets(model_dir, device: str = "auto"):
    """One checkpoint's predictions on the fixed sets (`significance.Outcomes`, what the promotion gate compares)."""
    from .model import load_checkpoint
    from .significance import Outcomes

    clf = load_checkpoint(model_dir, device=device)
    out = Outcomes(topic_codes=load_taxonomy().codes)
    for name, rows in sentiment_test_sets().items():
        ps, _ = clf.scores([r["text"] for r in rows])
        out.sentiment[name] = ([r["sentiment"] for r in rows], [clf.sentiments[i] for i in ps.argmax(1)])
    test = D.load_logistics("test", known_codes=out.topic_codes)
    if test and clf.topic_codes:
        preds = clf.predict([r["text"] for r in test])
        out.sentiment["logistics"] = ([r.get("sentiment") for r in test], [p.sentiment for p in preds])
        out.topics = ([list(r["topics"]) for r in test], [list(p.topics) for p in preds])
    return out


SHORT_WORDS = 5


def is_short(text: str, max_words: int = SHORT_WORDS) -> bool:
    """A social-media one-liner: at most `max_words` words (runs of letters or digits)."""
    return len(re.findall(r"\w+", text)) <= max_words


def _logistics(clf, rows, preds=None) -> dict:
    """Topic and sentiment scores of `clf` on `rows` (`preds`: its predictions for them, when already made)."""
    preds = preds if preds is not None else clf.predict([r["text"] for r in rows])
    codes = load_taxonomy().codes

    def scores(pairs) -> dict:
        rep = multilabel_report([r["topics"] for r, _ in pairs], [p.topics for _, p in pairs], codes)
        gs = [(r["sentiment"], p.sentiment) for r, p in pairs if r.get("sentiment")]
        return {"report": rep, "sentiment_macro_f1": macro_f1([g for g, _ in gs], [p for _, p in gs]) if gs else None,
                "n": len(pairs)}

    pairs = list(zip(rows, preds))
    out = scores(pairs)
    short = [(r, p) for r, p in pairs if is_short(r["text"])]
    if short:
        s = scores(short)
        out["short"] = {"n": s["n"], "topic_micro_f1": s["report"]["micro_f1"],
                        "sentiment_macro_f1": s["sentiment_macro_f1"]}
    return out


# --------------------------------------------------------------------------- baselines


def tfidf_features():
    from .topic_tfidf import vectorizer

    return vectorizer(min_df=2, max_features=300_000)


def tfidf_sentiment_baseline(train_rows, val_sets, test_sets, echo=print) -> dict:
    """Char 2–5-gram TF-IDF + multinomial logistic regression; C picked on the validation split."""
    from sklearn.linear_model import LogisticRegression

    vec = tfidf_features()
    X = vec.fit_transform([r["text"] for r in train_rows])
    y = [r["sentiment"] for r in train_rows]
    best = None
    for C in (1.0, 4.0):
        clf = LogisticRegression(C=C, max_iter=2000, class_weight="balanced")
        clf.fit(X, y)
        parts = []
        for name, rows in val_sets.items():
            pred = clf.predict(vec.transform([r["text"] for r in rows]))
            gold = [r["sentiment"] for r in rows]
            parts.append(macro_f1(gold, pred) if name == "rusentiment" else f1_pos_neg(gold, pred))
        score = float(np.mean(parts))
        echo(f"  tfidf C={C}: validation score {score:.4f}")
        if best is None or score > best[0]:
            best = (score, C, clf)
    _, C, clf = best
    out = {"C": C}
    for name, rows in test_sets.items():
        pred = list(clf.predict(vec.transform([r["text"] for r in rows])))
        out[name] = sentiment_metrics([r["sentiment"] for r in rows], pred)
    return out


def tfidf_multilabel(train_texts, train_labels, test_texts, labels) -> list[list[str]]:
    from sklearn.linear_model import LogisticRegression

    vec = tfidf_features()
    X = vec.fit_transform(train_texts)
    Xt = vec.transform(test_texts)
    preds = [[] for _ in test_texts]
    for lab in labels:
        y = np.array([lab in ls for ls in train_labels])
        if y.all() or not y.any():
            if y.all():
                for p in preds:
                    p.append(lab)
            continue
        clf = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced").fit(X, y)
        for i, v in enumerate(clf.predict(Xt)):
            if v:
                preds[i].append(lab)
    return preds


def cached_tfidf_baseline(work_dir: Path, tests=None, echo=print) -> dict:
    """The TF-IDF sentiment baseline, cached per evaluation-data fingerprint in work_dir."""
    from .pipeline import sentiment_splits

    cache = Path(work_dir) / "tfidf_sentiment.json"
    fp = eval_fingerprint()
    if cache.exists():
        data = json.loads(cache.read_text())
        if data.get("fingerprint") == fp:
            return data["result"]
    train_rows, val = sentiment_splits()
    res = tfidf_sentiment_baseline(train_rows, val, tests or sentiment_test_sets(), echo=echo)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({"fingerprint": fp, "result": res}, indent=1))
    return res


# --------------------------------------------------------------------------- aspects experiment


def aspect_experiment(work_dir: Path, base_dir: Path, device: str = "auto", echo=print) -> dict:
    """Fine-tune the multi-label machinery on SentiRuEval-2015 aspect categories; cached in work_dir."""
    from .pipeline import tune_thresholds
    from .train import StageConfig, build_model, train_stage

    cache = work_dir / "aspects_result.json"
    if cache.exists():
        return json.loads(cache.read_text())
    train = D.load_aspect_reviews("train")
    test = D.load_aspect_reviews("test")
    for r in train + test:
        r["topics"] = [f"{r['domain']}/{c}" for c in r["categories"]]
        r["sentiment"] = None
    labels = D.aspect_labels(train)
    tr, val = D.stratified_split(train, 0.15, 13, key=lambda r: r["domain"])
    cfg = StageConfig(name="aspects", epochs=3, lr=8e-5, head_lr=2e-3, batch_size=16, max_length=128, eval_every=0,
                      save_every=10, log_every=5, max_minutes=12)
    model, tok = build_model(base_dir, labels, version="aspects", taxonomy_version=None, max_length=128)
    best = train_stage(model, tok, tr, cfg, work_dir / "aspects", evaluate=None, device=device, log=echo)
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(best)
    thr = tune_thresholds(model, tok, val, labels, device, 128)
    from .checkpoint import set_otklik_config

    set_otklik_config(model.config, labels, thresholds=thr, version="aspects", max_length=128)
    model.save_pretrained(best)
    from .model import TransformerClassifier

    clf = TransformerClassifier(best, device=device)
    clf.fallback_topic = None
    preds = clf.predict([r["text"] for r in test])
    gold = [r["topics"] for r in test]
    rep = multilabel_report(gold, [p.topics for p in preds], labels)
    clf.read_whole = False  # the same model, each review cut at 128 tokens (as before long texts were read whole)
    rep_cut = multilabel_report(gold, [p.topics for p in clf.predict([r["text"] for r in test])], labels)
    base_pred = tfidf_multilabel([r["text"] for r in train], [r["topics"] for r in train], [r["text"] for r in test], labels)
    rep_b = multilabel_report(gold, base_pred, labels)
    res = {"labels": labels, "model": rep, "model_cut": rep_cut, "tfidf": rep_b, "n_train": len(train),
           "n_test": len(test)}
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(res, ensure_ascii=False, indent=1))
    return res


# --------------------------------------------------------------------------- the report


def _fmt(v) -> str:
    return "—" if v is None else f"{v:.3f}"


def render_markdown(report: dict) -> str:
    L = [BEGIN, "", f"Generated by `otklik evaluate` on {report['date']} for model `{report['model_version']}` "
         f"(`{report['model_dir']}`); evaluation data fingerprint `{report['fingerprint']}`.", ""]
    s = report["sentiment"]
    cols = [c for c in ("model", "fast", "reference", "tfidf") if c in s]
    names = {"model": "fine-tuned e5-small", "fast": "fast student (ONNX int8)", "tfidf": "TF-IDF char + LR",
             "reference": "plain fine-tune, tweets only"}
    L += ["### Sentiment", "", "| test set | n | " + " | ".join(f"{names[c]} F1(pos,neg) | {names[c]} macro-F1" for c in cols) + " |",
          "|---|---:|" + "---:|---:|" * len(cols)]
    for ds in ("banks", "telecom", "rusentiment"):
        n = s["model"][ds]["n"]
        cells = " | ".join(f"{_fmt(s[c][ds]['f1pn'])} | {_fmt(s[c][ds]['macro_f1'])}" for c in cols)
        label = {"banks": "SentiRuEval tweets `test`: banks", "telecom": "SentiRuEval tweets `test`: telecom",
                 "rusentiment": "RuSentiment `test` (3-class rows)"}[ds]
        L.append(f"| {label} | {n} | {cells} |")
    L += ["", "Margin over TF-IDF in F1(pos,neg): " + ", ".join(
        f"{ds} {s['model'][ds]['f1pn'] - s['tfidf'][ds]['f1pn']:+.3f}" for ds in ("banks", "telecom", "rusentiment")), ""]
    if "reference" in s:
        L += ["Against the plain fine-tune on the tweets alone (full vocabulary, 2 epochs, lr 5e-5, batch 32; "
              "`classifiers/reference.py`), F1(pos,neg): " + ", ".join(
                  f"{ds} {s['model'][ds]['f1pn'] - s['reference'][ds]['f1pn']:+.3f}" for ds in ("banks", "telecom")), ""]
    if report.get("aspects"):
        a = report["aspects"]
        L += ["### Aspect categories (SentiRuEval-2015 reviews, topic machinery on real labels)", "",
              f"Train {a['n_train']} reviews, test {a['n_test']}; labels = domain/category present (not `absence`).", "",
              "| system | micro-F1 | macro-F1 |", "|---|---:|---:|",
              f"| fine-tuned e5-small (multi-label head), reviews read whole | {_fmt(a['model']['micro_f1'])} | "
              f"{_fmt(a['model']['macro_f1'])} |",
              *([f"| the same, each review cut at 128 tokens | {_fmt(a['model_cut']['micro_f1'])} | "
                 f"{_fmt(a['model_cut']['macro_f1'])} |"] if a.get("model_cut") else []),
              f"| TF-IDF char + LR (one-vs-rest) | {_fmt(a['tfidf']['micro_f1'])} | {_fmt(a['tfidf']['macro_f1'])} |", ""]
    if report.get("long_reviews"):
        L += render_long_reviews(report["long_reviews"])
    for key, title in (("logistics_new", "Logistics topics: part E, the new held-out authored test (other voices)"),
                       ("logistics", "Logistics topics: every authored held-out test (parts A, B, C, E)")):
        if report.get(key):
            L += render_logistics(title, report[key])
    L.append(END)
    return "\n".join(L)


def render_long_reviews(lr: dict) -> list[str]:
    """Whole-review sentiment of long real reviews: each system read whole and cut at its max_length."""
    first = next(iter(lr.values()))
    L = ["### Long reviews: whole-review sentiment (SentiRuEval-2015 restaurant and car reviews)", "",
         f"{first['n']} reviews labelled positive or negative as a whole, {first['n_long']} of them longer than "
         f"{first['max_length']} word pieces. F1(pos,neg):", "",
         "| system | read whole: all | read whole: long ones | cut: all | cut: long ones |",
         "|---|---:|---:|---:|---:|"]
    names = {"model": "fine-tuned e5-small", "fast": "fast student (ONNX int8)"}
    for name, r in lr.items():
        L.append(f"| {names.get(name, name)} | {_fmt(r['whole']['all'])} | {_fmt(r['whole']['long'])} | "
                 f"{_fmt(r['cut']['all'])} | {_fmt(r['cut']['long'])} |")
    return L + [""]


def render_logistics(title: str, lg: dict) -> list[str]:
    """The per-topic P/R/F1 table of one logistics test set."""
    fast_on = bool(lg.get("fast"))
    L = [f"### {title}", "",
         f"{lg['n']} texts. Sentiment macro-F1: model {_fmt(lg['model']['sentiment_macro_f1'])}"
         + (f", fast {_fmt(lg['fast']['sentiment_macro_f1'])}" if fast_on else "")
         + f", rules {_fmt(lg['rules']['sentiment_macro_f1'])}.", "",
         "| topic | support | model P | model R | model F1 |" + (" fast F1 |" if fast_on else "") + " rules P | rules R |",
         "|---|---:|---:|---:|---:|" + ("---:|" if fast_on else "") + "---:|---:|"]
    for code, m in lg["model"]["report"]["per_label"].items():
        r = lg["rules"]["report"]["per_label"][code]
        fast = f" {_fmt(lg['fast']['report']['per_label'][code]['f1'])} |" if fast_on else ""
        L.append(f"| {code} | {m['support']} | {_fmt(m['precision'])} | {_fmt(m['recall'])} | {_fmt(m['f1'])} |{fast} "
                 f"{_fmt(r['precision'])} | {_fmt(r['recall'])} |")
    mr, rr = lg["model"]["report"], lg["rules"]["report"]
    fast = f" {_fmt(lg['fast']['report']['micro_f1'])} |" if fast_on else ""
    L.append(f"| **micro** | | {_fmt(mr['micro_precision'])} | {_fmt(mr['micro_recall'])} | {_fmt(mr['micro_f1'])} |{fast} "
             f"{_fmt(rr['micro_precision'])} | {_fmt(rr['micro_recall'])} |")
    L.append(f"| **macro F1** | | | | {_fmt(mr['macro_f1'])} |" + (f" {_fmt(lg['fast']['report']['macro_f1'])} |" if fast_on else "")
             + f" F1 {_fmt(rr['macro_f1'])} | |")
    L.append("")
    if lg["model"].get("short"):
        systems = [k for k in ("model", "fast", "rules") if lg.get(k) and lg[k].get("short")]
        L += [f"Short texts (≤ {SHORT_WORDS} words, {lg['model']['short']['n']} of the {lg['n']}): "
              + "; ".join(f"{k} topic micro-F1 {_fmt(lg[k]['short']['topic_micro_f1'])}, sentiment macro-F1 "
                          f"{_fmt(lg[k]['short']['sentiment_macro_f1'])}" for k in systems) + ".", ""]
    return L


def write_docs_section(markdown: str, path: Path = DOC_PATH) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# Classifier\n\n## Results\n\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + markdown + tail
    else:
        text = text.rstrip() + "\n\n" + markdown + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def fast_student(fast_model, model_dir: Path, device: str):
    """(its directory, the student) to score beside `model_dir`: `fast_model`, else the shipped one; None when
    there is none or it is the model itself. An int8 ONNX student runs on ONNX Runtime."""
    from .model import load_checkpoint
    from .registry import FAST_MODEL_DIR

    fast_dir = Path(fast_model) if fast_model else FAST_MODEL_DIR
    if not (fast_dir / "config.json").exists() or fast_dir.resolve() == Path(model_dir).resolve():
        return fast_dir, None
    return fast_dir, load_checkpoint(fast_dir, device="onnx" if (fast_dir / "model.onnx").exists() else device)


def run_evaluation(model_dir=None, device: str = "auto", fast_model=None, aspects: bool = True, write_docs: bool = True,
                   echo: Callable[[str], None] = print, work_dir: Path | None = None, reference=None) -> dict:
    from .model import load_checkpoint
    from .registry import DEFAULT_MODEL_DIR, FAST_MODEL_DIR
    from .rules import RuleClassifier

    model_dir = Path(model_dir) if model_dir else DEFAULT_MODEL_DIR
    work_dir = Path(work_dir) if work_dir else D.REPO_ROOT / "var" / "evaluate"
    t0 = time.time()
    clf = load_checkpoint(model_dir, device=device)
    fast_dir, fast = fast_student(fast_model, model_dir, device)
    report = {"date": time.strftime("%Y-%m-%d"), "model_dir": str(model_dir), "model_version": clf.version,
              "fingerprint": eval_fingerprint(), "sentiment": {}}
    tests = sentiment_test_sets()
    echo(f"model {clf.version}: sentiment test sets …")
    report["sentiment"]["model"] = _model_sentiment(clf, tests)
    if fast is not None:
        echo(f"fast student {fast.version} …")
        report["sentiment"]["fast"] = _model_sentiment(fast, tests)
    reference = Path(reference) if reference else DEFAULT_REFERENCE_DIR
    if (reference / "config.json").exists():
        echo(f"plain reference fine-tune {reference} …")
        report["sentiment"]["reference"] = _model_sentiment(load_checkpoint(reference, device=device), tests)
    echo("TF-IDF baseline (trained on the same training rows) …")
    report["sentiment"]["tfidf"] = cached_tfidf_baseline(work_dir, tests, echo)
    codes = load_taxonomy().codes
    log_test = D.load_logistics("test", known_codes=codes)
    if log_test and clf.topic_codes:
        echo("logistics test …")
        systems = {"model": clf, "rules": RuleClassifier()}
        if fast is not None and fast.topic_codes:
            systems["fast"] = fast
        texts = [r["text"] for r in log_test]
        preds = {name: c.predict(texts) for name, c in systems.items()}  # once each; part E is a subset
        report["logistics"] = {name: _logistics(c, log_test, preds[name]) for name, c in systems.items()}
        report["logistics"]["n"] = len(log_test)
        new = [i for i, r in enumerate(log_test) if r["source"].startswith(f"authored:{NEW_TEST_STEM}")]
        if new:
            report["logistics_new"] = {name: _logistics(c, [log_test[i] for i in new], [preds[name][i] for i in new])
                                       for name, c in systems.items()}
            report["logistics_new"]["n"] = len(new)
    if aspects:
        base = D.REPO_ROOT / "var" / "train" / "base"
        if not (base / "config.json").exists():
            from .e5convert import convert_e5
            from .pipeline import MAX_VOCAB, conversion_texts

            convert_e5(base, keep_texts=conversion_texts(), max_vocab=MAX_VOCAB)
            (base / "DONE").write_text("ok")
        echo("long reviews: whole-review sentiment, read whole and cut …")
        reviews = long_review_rows()
        report["long_reviews"] = {name: long_review_sentiment(c, reviews)
                                  for name, c in (("model", clf), ("fast", fast)) if c is not None}
        echo("aspect categories experiment (fine-tuning; cached in var/evaluate) …")
        report["aspects"] = aspect_experiment(work_dir, base, device=device, echo=echo)
    md = render_markdown(report)
    echo(md)
    if write_docs:
        write_docs_section(md)
        from .card import write_model_card

        write_model_card(model_dir, report)
        if fast is not None:
            write_model_card(fast_dir, report, fast=True)
    echo(f"evaluation took {time.time() - t0:.0f}s")
    return report
