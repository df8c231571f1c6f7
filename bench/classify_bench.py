"""Throughput of the Otklik classifier vs a plain `transformers.pipeline("text-classification")`.

    python bench/classify_bench.py [--model DIR] [--fast-model DIR] [--device cpu|cuda] [--short 10000] [--long 1000]
                                   [--pipeline-short 1000] [--pipeline-long 200] [--json-out FILE]
                                   [--baseline-max-tokens N] [--baseline-fixed-shapes] [--baseline-fused]
                                   [--baseline-serial] [--baseline-fast-model DIR]
                                   [--baseline-sklearn-ngrams] [--rounds N]

Texts: short = SentiRuEval tweets + RuSentiment posts (test splits, cycled to --short), long = SentiRuEval-2015
aspect reviews (cycled to --long), read from the shared data folder at run time. Both paths see the same
texts (each read as its checkpoint reads them: the model with its "query: " prefix) and the same checkpoint. The
plain pipeline is measured with its default batch size (1) and with batch_size=64, on a subset
(--pipeline-short/--pipeline-long) because it is slow; texts/s is what is compared. Thread count: $OTKLIK_THREADS or all cores.
The pipeline cuts a text at the checkpoint's max_length; Otklik reads a longer one whole (overlapping windows), so
its ratios are timed cut (`otklik_long`, `fast_cut_long`) and the whole reading is reported beside them
(`otklik_whole_long`, `fast_long`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifiers import data as D  # noqa: E402
from classifiers.registry import DEFAULT_MODEL_DIR, FAST_MODEL_DIR  # noqa: E402


def corpora(n_short: int, n_long: int):
    short = [r["text"] for r in D.load_tweets("test")] + [r["text"] for r in D.load_rusentiment(["test"])]
    long = [r["text"] for r in D.load_aspect_reviews("test") + D.load_aspect_reviews("train")]
    cyc = lambda xs, n: [xs[i % len(xs)] for i in range(n)]  # noqa: E731
    return cyc(short, n_short), cyc(long, n_long)


def timed(fn, texts, warm=32):
    fn(texts[:warm])
    t0 = time.perf_counter()
    fn(texts)
    dt = time.perf_counter() - t0
    return {"texts": len(texts), "seconds": round(dt, 3), "texts_per_s": round(len(texts) / dt, 1)}


def time_variant(clf, texts, **attrs):
    """`timed(clf.predict)` on the short and long texts with `attrs` set on `clf`; the attributes are put back."""
    saved = {k: getattr(clf, k) for k in attrs}
    for k, v in attrs.items():
        setattr(clf, k, v)
    try:
        return [timed(clf.predict, xs) for xs in texts]
    finally:
        for k, v in saved.items():
            setattr(clf, k, v)


def sklearn_counted(clf) -> dict:
    """Attributes for `time_variant`: `clf`'s joint mixtures with their n-grams counted by scikit-learn."""
    import copy

    from classifiers.char_ngrams import SklearnNgramCounter

    clf._mixture_linear(["пример"])  # builds clf._joint
    joint = copy.copy(clf._joint)
    joint._counter = SklearnNgramCounter(joint.vocabulary)
    return {"_joint": joint}


def median_run(runs: list[dict]) -> dict:
    """The run with the median texts/s, plus every round's texts/s."""
    best = sorted(runs, key=lambda r: r["texts_per_s"])[len(runs) // 2]
    return {**best, "rounds_texts_per_s": [r["texts_per_s"] for r in runs]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(DEFAULT_MODEL_DIR))
    ap.add_argument("--fast-model", default=str(FAST_MODEL_DIR))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--short", type=int, default=10000)
    ap.add_argument("--long", type=int, default=1000)
    ap.add_argument("--pipeline-short", type=int, default=1000)
    ap.add_argument("--pipeline-long", type=int, default=200)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--precisions", default="auto,fp32",
                    help="our path's precisions to measure: auto (bf16 on CPUs with native bf16), fp32, bf16")
    ap.add_argument("--pipeline-batch-sizes", default="1,64")
    ap.add_argument("--baseline-max-tokens", type=int, default=None,
                    help="also time the fast path with this CPU batch budget (the old default: 4096)")
    ap.add_argument("--baseline-fixed-shapes", action="store_true",
                    help="also time the fast path with the fixed batch shapes and 512-token budget it used before")
    ap.add_argument("--baseline-fused", action="store_true",
                    help="also time the fast path on its graph as stored, with ONNX Runtime's fused layer-norm and "
                         "GELU kernels (classifiers/onnx_cpu.py)")
    ap.add_argument("--baseline-serial", action="store_true",
                    help="also time the fast path one batch at a time on all threads, no side thread for the "
                         "mixtures (as before batches ran in parallel)")
    ap.add_argument("--baseline-fast-model", default=None,
                    help="also time another fast model (e.g. the student a new one would replace) in the same run")
    ap.add_argument("--baseline-sklearn-ngrams", action="store_true",
                    help="also time the fast path with its mixtures' n-grams counted by scikit-learn's analyzer "
                         "(a Python loop per n-gram) instead of classifiers/char_ngrams.py")
    ap.add_argument("--rounds", type=int, default=1,
                    help="time the fast path and its baselines this many times, alternating; report the median")
    ap.add_argument("--json-out")
    args = ap.parse_args(argv)

    import torch
    from transformers import pipeline

    from classifiers.model import CPU_MAX_TOKENS, load_checkpoint
    from classifiers.onnx_cpu import cpu_session

    threads = int(os.environ.get("OTKLIK_THREADS", 0) or 0) or os.cpu_count()
    torch.set_num_threads(threads)
    short, long = corpora(args.short, args.long)
    res = {"device": args.device, "threads": threads, "torch": torch.__version__, "model": args.model, "results": {}}
    for prec in args.precisions.split(","):
        clf = load_checkpoint(args.model, device=args.device, precision=prec)
        clf.batch_size = args.batch_size
        res["model_version"] = clf.version
        tag = "otklik" if prec == "auto" else f"otklik_{prec}"
        res[f"{tag}_dtype"] = str(clf.dtype)
        clf.read_whole = False  # cut at max_length like the pipeline below: the same work on both sides
        for name, texts in (("short", short), ("long", long)):
            res["results"][f"{tag}_{name}"] = timed(clf.predict, texts)
            print(name, tag, clf.dtype, res["results"][f"{tag}_{name}"], flush=True)
        clf.read_whole = True  # as shipped: a long review read whole, more windows than one
        res["results"][f"{tag}_whole_long"] = timed(clf.predict, long)
        print("long", tag, "read whole", res["results"][f"{tag}_whole_long"], flush=True)
    if Path(args.fast_model, "config.json").exists():
        fast = load_checkpoint(args.fast_model, device="onnx" if args.device == "cpu" else args.device)
        res["fast_model_version"] = fast.version
        # the shipped settings, then baselines timed in the same run, rounds alternating; `fast_cut` cuts long texts
        # at max_length as the pipeline does (its long-text ratio); `fast` reads them whole
        variants = {"fast": {}, "fast_cut": {"read_whole": False}}
        if args.baseline_max_tokens:
            variants[f"fast_max_tokens_{args.baseline_max_tokens}"] = {"max_tokens": args.baseline_max_tokens}
        if args.baseline_fixed_shapes:
            variants["fast_fixed_shapes"] = {"shape_sensitive": True, "max_tokens": CPU_MAX_TOKENS}
        if args.baseline_fused and args.device == "cpu":
            per_batch = 1 if fast.workers > 1 else threads  # the shipped batch parallelism, only the graph differs
            variants["fast_fused"] = {"session": cpu_session(Path(args.fast_model, "model.onnx"), per_batch,
                                                             split=False)}
        if args.baseline_serial and args.device == "cpu":
            variants["fast_serial"] = {"session": cpu_session(Path(args.fast_model, "model.onnx"), threads),
                                       "workers": 1}
        if args.baseline_sklearn_ngrams and (fast.topic_tfidf is not None or fast.sentiment_tfidf is not None):
            variants["fast_sklearn_ngrams"] = sklearn_counted(fast)
        timed_as = {key: (fast, attrs) for key, attrs in variants.items()}
        if args.baseline_fast_model:
            other = load_checkpoint(args.baseline_fast_model, device="onnx" if args.device == "cpu" else args.device)
            res["baseline_fast_model_version"] = other.version
            timed_as["fast_baseline_model"] = (other, {})
        runs = {f"{key}_{name}": [] for key in timed_as for name in ("short", "long")}
        for _ in range(args.rounds):
            for key, (clf_, attrs) in timed_as.items():
                for name, run in zip(("short", "long"), time_variant(clf_, (short, long), **attrs)):
                    runs[f"{key}_{name}"].append(run)
        for key, rounds in runs.items():
            res["results"][key] = median_run(rounds)
            print(key, res["results"][key], flush=True)
        res["fast_max_tokens"], res["fast_shape_sensitive"] = fast.max_tokens, fast.shape_sensitive
        if fast.topic_tfidf is not None or fast.sentiment_tfidf is not None:  # what the TF-IDF mixtures cost
            fast.topic_tfidf = fast.sentiment_tfidf = None
            res["results"]["fast_without_mixtures_short"] = timed(fast.predict, short)
            print("short", "fast without mixtures", res["results"]["fast_without_mixtures_short"], flush=True)
    dev = 0 if args.device == "cuda" else -1
    # fp32 like our CPU path (the shipped checkpoint is stored in fp16; fp16 matmuls on CPU would be unfair)
    pipe = pipeline("text-classification", model=args.model, tokenizer=args.model, device=dev, top_k=None,
                    dtype=torch.float32 if args.device == "cpu" else torch.float16)
    pbs = [int(x) for x in args.pipeline_batch_sizes.split(",")]
    for bs in pbs:
        for name, texts, n in (("short", short, args.pipeline_short), ("long", long, args.pipeline_long)):
            sub = [clf.prefix + t for t in texts[:n]]
            fn = lambda xs, bs=bs: pipe(xs, batch_size=bs, truncation=True, max_length=clf.max_length)  # noqa: E731
            res["results"][f"pipeline_bs{bs}_{name}"] = timed(fn, sub, warm=8)
            print(name, f"pipeline bs={bs}", res["results"][f"pipeline_bs{bs}_{name}"], flush=True)
    r = res["results"]
    same_work = {"fast_long": "fast_cut_long"}  # long texts: timed cut at max_length, as the pipeline reads them
    res["ratios"] = {
        f"{who}_vs_pipeline_bs{bs}_{name}": round(
            r[same_work.get(f"{who}_{name}", f"{who}_{name}")]["texts_per_s"]
            / r[f"pipeline_bs{bs}_{name}"]["texts_per_s"], 2)
        for who in ("otklik", "otklik_fp32", "fast") if f"{who}_short" in r for bs in pbs for name in ("short", "long")
    }
    print(json.dumps(res, indent=1))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
