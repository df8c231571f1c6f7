"""End to end at scale: crawl → classify → route → index, per-stage seconds, items/s, peak RSS.

    PYTHONPATH=. .venv/bin/python bench/e2e_bench.py --sizes 10000 30000 100000 --fast \
        --default-sample 2000 --out bench/results/e2e

Synthetic Russian mentions (logistics vocabulary, 30% naming an 8-digit order number, half of
them a known order; 3% near copies of earlier posts; 1% posted by the company's own account)
are served by a local HTTP server in the real channel formats (Telegram, VK, otzovik-style
cp1251 pages, App Store). Each size runs in its own process with a fresh SQLite database:
the crawl runs in its usual Scrapy child process, then classify_pending, route_pending and the
search outbox sync (SQLite FTS5) run here, in the hourly batch's order; the index is drained as
one stage (OTKLIK_SEARCH_AUTO_SYNC=0) instead of after every commit of the other stages. `--default-sample N`
also times the shipped transformer on N stored texts (prediction only) for the projection.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchio import register_sources, write_results  # noqa: E402
from crawl_bench import T0, edit, text_for  # noqa: E402

COMPANY = "СкороДоставка"
ORDERS = 5000
ORDER_SHARE = 0.3
COPY_SHARE = 0.03
OWN_SHARE = 0.01


def order_number(i: int) -> str:
    return f"{40_000_000 + i * 7:08d}"


def mention_text(rng: random.Random) -> str:
    """A review; some name an order number (known or not), written as customers do."""
    text = text_for(rng)
    if rng.random() < ORDER_SHARE:
        known = rng.random() < 0.5
        number = order_number(rng.randrange(ORDERS)) if known else f"{rng.randrange(50_000_000, 99_999_999)}"
        shown = rng.choice((number, f"{number[:4]} {number[4:]}", f"{number[:4]}-{number[4:]}"))
        text = f"{text} Заказ {shown}, {rng.choice(('где он?', 'помогите', 'жду неделю', 'верните деньги'))}"
    return text


def build(n: int, web) -> list[dict]:
    """Spread n posts over the channels (as bench/crawl_bench.py does); return the source specs."""
    from crawlers.fakeweb import AppStoreFeed, Post, ReviewSite, TelegramChannel, VkApi

    rng = random.Random(n)
    shares = {"telegram": 0.4, "vk": 0.3, "review_site": 0.25, "appstore": 0.05}
    per = {"telegram": 5000, "vk": 5000, "review_site": 5000, "appstore": 500}
    vk = VkApi(web)
    sources, pools, written = [], [], []
    for kind, share in shares.items():
        count = int(n * share)
        for k in range(max(1, -(-count // per[kind]))):
            size = min(per[kind], count - k * per[kind])
            if size <= 0:
                break
            name = f"{kind}-{k}"
            if kind == "telegram":
                posts = TelegramChannel(web, f"chan{k}").posts
                sources.append({"name": name, "kind": kind, "channel": f"chan{k}"})
            elif kind == "vk":
                posts = vk.wall(f"wall{k}")
                sources.append({"name": name, "kind": kind, "domain": f"wall{k}", "count": 100})
            elif kind == "review_site":
                url = f"https://otzovik.com/reviews/company{k}/"
                posts = ReviewSite(web, url, per_page=20).posts
                sources.append({"name": name, "kind": kind, "site": "otzovik", "start_url": url})
            else:
                posts = AppStoreFeed(web, str(1000 + k)).posts
                sources.append({"name": name, "kind": kind, "app_id": str(1000 + k)})
            pools.append((name, posts, size))
    serial = 0
    for name, posts, size in pools:
        for i in range(1, size + 1):
            serial += 1
            date = T0 + timedelta(minutes=serial)
            if written and rng.random() < COPY_SHARE:
                text = edit(rng.choice(written), rng)
            else:
                text = mention_text(rng)
                written.append(text)
            author = COMPANY if rng.random() < OWN_SHARE else f"u{serial}"
            # Ids unique across sources: VK and App Store ids are global (the same id on two walls is one post).
            posts.append(Post(serial, text, date, author=author, rating=1 + i % 5, title=""))
    for s in sources:
        s["max_pages"] = 100_000
    return sources


def rss_mb() -> tuple[float, float]:
    """Peak RSS of this process and of its finished children (the crawl process), in MiB."""
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


def progress_bar(label: str, total: int):
    """A rich progress bar on stderr (the result line goes to stdout)."""
    from rich.console import Console
    from rich.progress import Progress

    p = Progress(console=Console(stderr=True), transient=True)
    p.start()
    task = p.add_task(label, total=total)
    return p, lambda k: p.advance(task, k)


def prepare(n: int) -> Path:
    home = ROOT / "var" / "bench" / f"e2e-{n}"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    os.environ["OTKLIK_HOME"] = str(home)
    os.environ["DATABASE_URL"] = f"sqlite:///{home / 'bench.sqlite3'}"
    # The index is its own stage (as with Elasticsearch, where `otklik index sync` runs on a schedule),
    # not drained after every commit of the other stages, unless --auto-sync (SQLite's default) asks for it.
    os.environ.setdefault("OTKLIK_SEARCH_AUTO_SYNC", "0")
    from store.django_setup import setup

    setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from store.models import Order

    orders = [Order(order_number=order_number(i), created_at=T0) for i in range(ORDERS)]
    Order.objects.bulk_create(orders, batch_size=1000)
    return home


def measure(n: int, fast: bool, default_sample: int) -> dict:
    home = prepare(n)
    from classifiers.registry import load_classifier
    from crawlers.fakeweb import FakeWeb
    from crawlers.runner import crawl
    from responders.models import Ticket, TicketState
    from responders.services.routing import route_pending
    from search.services.sync import sync
    from store.models import Mention
    from store.services.classify import classify_pending
    from crawlers.sources import crawl_specs

    seconds: dict[str, float] = {}
    with FakeWeb() as web:
        sources = build(n, web)
        register_sources(home, sources)
        settings = {
            "OTKLIK_SNAPSHOT_URL": web.url, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
            "CONCURRENT_REQUESTS": 32, "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "LOG_LEVEL": "ERROR",
        }
        print(f"[{n}] crawling {len(sources)} sources…", file=sys.stderr, flush=True)
        t = time.perf_counter()
        stats = crawl(crawl_specs(), settings=settings, timeout=6 * 3600)
        seconds["crawl"] = time.perf_counter() - t

    stored = Mention.objects.count()
    t = time.perf_counter()
    clf = load_classifier(fast=fast)
    seconds["model_load"] = time.perf_counter() - t
    bar, advance = progress_bar(f"[{n}] classify ({clf.name})", stored)
    t = time.perf_counter()
    classified = classify_pending(clf, batch_size=256, progress=advance)
    seconds["classify"] = time.perf_counter() - t
    bar.stop()

    print(f"[{n}] routing…", file=sys.stderr, flush=True)
    t = time.perf_counter()
    routed = route_pending()
    seconds["route"] = time.perf_counter() - t

    print(f"[{n}] indexing…", file=sys.stderr, flush=True)
    t = time.perf_counter()
    indexed = sync(batch_size=1000).indexed
    seconds["index"] = time.perf_counter() - t
    total = sum(seconds.values())
    parent_mb, child_mb = rss_mb()
    result = {
        "size": n,
        "crawled": stats.crawled,
        "stored": stored,
        "near_duplicates": stats.total("near_duplicate"),
        "quarantined": stats.total("quarantined"),
        "classified": classified,
        "indexed": indexed,
        "tickets_open": Ticket.objects.exclude(state=TicketState.CLOSED).count(),
        "tickets_dismissed": routed.dismissed,
        "own_posts_dismissed": Ticket.objects.filter(mention__author=COMPANY, dismissed=True).count(),
        "own_posts_open": Ticket.objects.filter(mention__author=COMPANY, dismissed=False).count(),
        "skipped_duplicates": routed.skipped_duplicates,
        "linked_to_order": routed.linked_to_order,
        "model": f"{clf.name} {clf.version}",
        "seconds": {k: round(v, 1) for k, v in seconds.items()},
        "total_s": round(total, 1),
        "items_per_s": round(n / total, 1),
        "stage_items_per_s": {k: round(n / v, 1) for k, v in seconds.items() if k != "model_load" and v > 0},
        "peak_rss_mb": {"parent": round(parent_mb, 1), "crawl_child": round(child_mb, 1)},
        "db_mb": round((home / "bench.sqlite3").stat().st_size / 2**20, 1),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
    }
    if default_sample:
        result["default_model"] = default_throughput(default_sample, n)
    return result


def default_throughput(sample: int, n: int) -> dict:
    """Time the shipped transformer on `sample` stored texts (prediction only) and project to n."""
    from classifiers.registry import load_classifier
    from store.models import Mention

    texts = list(Mention.objects.order_by("id").values_list("text", flat=True)[:sample])
    clf = load_classifier()
    clf.predict(texts[:32])  # warm-up
    t = time.perf_counter()
    for i in range(0, len(texts), 64):
        clf.predict(texts[i : i + 64])
    rate = len(texts) / (time.perf_counter() - t)
    return {"model": f"{clf.name} {clf.version}", "texts": len(texts), "texts_per_s": round(rate, 1),
            "projected_classify_s": round(n / rate, 1), "load_avg": [round(x, 2) for x in os.getloadavg()]}


def markdown(results: list[dict]) -> str:
    """The results as a markdown table (one row per size)."""
    head = ("| mentions | crawl s | classify s | route s | index s | total s | items/s | peak RSS MiB (parent / crawl) "
            "| load avg (1/5/15) |\n|---:|---:|---:|---:|---:|---:|---:|---|---|")
    rows = []
    for r in results:
        s = r["seconds"]
        rows.append(
            f"| {r['size']:,} | {s['crawl']} | {s['classify']} | {s['route']} | {s['index']} | {r['total_s']} "
            f"| {r['items_per_s']} | {r['peak_rss_mb']['parent']:.0f} / {r['peak_rss_mb']['crawl_child']:.0f} "
            f"| {' / '.join(map(str, r['load_avg']))} |"
        )
    lines = [head, *rows]
    if len(results) > 1:
        ratio = results[-1]["total_s"] / results[0]["total_s"]
        lines.append(f"\nGrowth: time({results[-1]['size']:,}) / time({results[0]['size']:,}) = {ratio:.1f} "
                     f"(linear: {results[-1]['size'] / results[0]['size']:.0f}).")
    for r in results:
        if "default_model" in r:
            d = r["default_model"]
            lines.append(f"\nDefault transformer ({d['model']}): {d['texts_per_s']} texts/s on {d['texts']} texts "
                         f"→ classifying {r['size']:,} would take ≈ {d['projected_classify_s']} s.")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--fast", action="store_true", help="classify with the distilled ONNX model")
    parser.add_argument("--default-sample", type=int, default=0,
                        help="also time the default transformer on this many texts (smallest size only)")
    parser.add_argument("--auto-sync", action="store_true",
                        help="drain the index after every commit (the embedded backends' default)")
    parser.add_argument("--out", default=None, help="write OUT.json and OUT.md")
    args = parser.parse_args()
    if args.auto_sync:
        os.environ["OTKLIK_SEARCH_AUTO_SYNC"] = "1"
    results = []
    for i, n in enumerate(args.sizes):
        # Each size in its own process: a fresh database and fresh peak-RSS counters.
        sample = args.default_sample if i == 0 else 0
        cmd = [sys.executable, __file__, "--one", str(n), str(int(args.fast)), str(sample)]
        out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        if out.returncode != 0:
            sys.exit(f"size {n} failed")
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(json.dumps(results[-1], ensure_ascii=False), flush=True)
    table = markdown(results)
    print(table)
    write_results(args.out, results, table)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--one":
        print(json.dumps(measure(int(sys.argv[2]), bool(int(sys.argv[3])), int(sys.argv[4])), ensure_ascii=False))
    else:
        main()
