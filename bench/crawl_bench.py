"""Crawl throughput against a local fake internet, throttling off: items/s, pages/s, peak memory, dedup.

    .venv/bin/python bench/crawl_bench.py --items 10000 100000

Texts are drawn from the words of the authored logistics reviews (classifiers/data/logistics)
with their frequencies. For each size, a fresh SQLite database in a temporary OTKLIK_HOME, and channels holding that
many posts in their real formats (Telegram 20/page, VK walls 100/page, otzovik-style cp1251
listings 20/page, App Store 50/page); 3% of the posts are copies with small edits of other
posts, so near-duplicate detection runs at realistic cost, and its recall and false links are
counted. Then the same crawl again (incremental: nothing new, one page per source). The
crawl runs in its usual child process; the fake server runs in this one (both share the CPU).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchio import register_sources  # noqa: E402

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
COPY_SHARE = 0.03
WORDS = (
    "посылка курьер заказ доставка склад пункт выдачи коробка трек номер оператор поддержка возврат деньги приложение "
    "уведомление звонок адрес подъезд домофон отделение очередь сроки неделя задержка таможня упаковка скотч повреждение "
    "стекло ваза диван холодильник наушники телефон куртка ботинки книга игрушка вежливый грубый быстрый медленный опоздал "
    "потерял разбил вернул привёз оставил забыл перепутал обещал спасибо ужасно отлично нормально странно обидно приятно "
    "удобно долго рано поздно вечером утром завтра Москва Казань Пермь Самара Тверь Омск Томск Сочи Курск Уфа постамат"
).split()


def vocabulary() -> tuple[list[str], list[float]]:
    """Words of the authored logistics texts with Zipf-like weights (realistic overlap between reviews)."""
    from collections import Counter

    counts = Counter()
    for path in (ROOT / "classifiers" / "data" / "logistics").glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            counts.update(w.strip(".,!?«»()\"—:;") for w in json.loads(line)["text"].split())
    counts.pop("", None)
    if len(counts) < 500:
        counts = Counter({w: 1 for w in WORDS})
    words = [w for w, _ in counts.most_common()]
    return words, [c for _, c in counts.most_common()]


_VOCAB: tuple[list[str], list[float]] | None = None


def text_for(rng: random.Random) -> str:
    global _VOCAB
    _VOCAB = _VOCAB or vocabulary()
    words, weights = _VOCAB
    return " ".join(rng.choices(words, weights, k=rng.randint(10, 30))).capitalize() + "."


def edit(text: str, rng: random.Random) -> str:
    """A copy-paste with one or two small edits (a word dropped, '!!!' added, a letter lost)."""
    words = text.split()
    for _ in range(rng.randint(1, 2)):
        op = rng.choice(("drop", "bang", "typo"))
        i = rng.randrange(len(words))
        if op == "drop" and len(words) > 8:
            del words[i]
        elif op == "bang":
            words[i] += "!!!"
        elif len(words[i]) > 4:
            words[i] = words[i][:2] + words[i][3:]
    return " ".join(words)


def build(n: int, web):
    """Spread n posts over the channels; return (sources, planted copies {(source, external_id): original key})."""
    from crawlers.fakeweb import AppStoreFeed, Post, ReviewSite, TelegramChannel, VkApi

    rng = random.Random(n)
    shares = {"telegram": 0.4, "vk": 0.3, "review_site": 0.25, "appstore": 0.05}
    vk = VkApi(web)
    sources, pools, written = [], [], []
    for kind, share in shares.items():
        count = int(n * share)
        per_source = {"telegram": 5000, "vk": 5000, "review_site": 5000, "appstore": 500}[kind]
        for k in range(max(1, count // per_source)):
            size = min(per_source, count - k * per_source)
            if size <= 0:
                break
            name = f"{kind}-{k}"
            if kind == "telegram":
                posts = TelegramChannel(web, f"chan{k}").posts
                sources.append({"name": name, "kind": kind, "channel": f"chan{k}"})
                key = lambda i, k=k: f"chan{k}/{i}"  # noqa: E731
            elif kind == "vk":
                posts = vk.wall(f"wall{k}")
                sources.append({"name": name, "kind": kind, "domain": f"wall{k}", "count": 100})
                key = lambda i: f"-100_{i}"  # noqa: E731
            elif kind == "review_site":
                url = f"https://otzovik.com/reviews/company{k}/"
                posts = ReviewSite(web, url, per_page=20).posts
                sources.append({"name": name, "kind": kind, "site": "otzovik", "start_url": url})
                key = str
            else:
                posts = AppStoreFeed(web, str(1000 + k)).posts
                sources.append({"name": name, "kind": kind, "app_id": str(1000 + k)})
                key = str
            pools.append((name, posts, key, size))
    planted = {}
    serial = 0
    for name, posts, key, size in pools:
        for i in range(1, size + 1):
            serial += 1
            date = T0 + timedelta(minutes=serial) if not name.startswith("review") else T0 + timedelta(days=i % 300, minutes=i)
            if written and rng.random() < COPY_SHARE:
                src_name, src_key, src_text = rng.choice(written)
                text = edit(src_text, rng)
                planted[(name, key(i))] = (src_name, src_key)
            else:
                text = text_for(rng)
                written.append((name, key(i), text))
            posts.append(Post(i, text, date, author=f"u{i}", rating=1 + i % 5, title=""))
    for s in sources:
        s["max_pages"] = 100_000
    return sources, planted


def measure(n: int) -> dict:
    # Under the repository's var/ (ignored by git), not /tmp, where other jobs may clean up.
    home = ROOT / "var" / "bench" / str(n)
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    os.environ["OTKLIK_HOME"] = str(home)
    os.environ["DATABASE_URL"] = f"sqlite:///{home / 'bench.sqlite3'}"
    from store.django_setup import setup

    setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from crawlers.fakeweb import FakeWeb
    from crawlers.runner import crawl
    from store.models import Mention, MentionBand
    from crawlers.sources import crawl_specs

    with FakeWeb() as web:
        sources, planted = build(n, web)
        register_sources(home, sources)
        settings = {
            "OTKLIK_SNAPSHOT_URL": web.url, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
            "CONCURRENT_REQUESTS": 32, "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "LOG_LEVEL": "ERROR",
        }
        started = time.perf_counter()
        stats = crawl(crawl_specs(), settings=settings, timeout=6 * 3600)
        elapsed = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        again_started = time.perf_counter()
        again = crawl(crawl_specs(), settings=settings, timeout=3600)
        again_elapsed = time.perf_counter() - again_started

    linked = dict(
        ((m.source.name, m.external_id), (m.duplicate_of.source.name, m.duplicate_of.external_id))
        for m in Mention.objects.filter(duplicate_of__isnull=False).select_related("source", "duplicate_of__source")
    )
    # Sources are crawled concurrently, so a copy may be stored first and become the "original":
    # a planted pair counts as caught when both ends share a root, a link as false when no pair explains it.
    group = {}
    for copy_key, original_key in planted.items():
        group[copy_key] = group[original_key] = original_key
    caught = sum(1 for c, o in planted.items() if linked.get(c, c) == linked.get(o, o) or linked.get(c) == o or linked.get(o) == c)
    false_links = sum(1 for m, root in linked.items() if group.get(m) is None or group.get(m) != group.get(root))
    pages = sum(s["pages"] for s in stats.per_source.values())
    items = stats.crawled
    return {
        "items_served": n,
        "items_crawled": items,
        "stored": Mention.objects.count(),
        "pages": pages,
        "seconds": round(elapsed, 1),
        "items_per_s": round(items / elapsed, 1),
        "pages_per_s": round(pages / elapsed, 1),
        "crawl_process_peak_rss_mb": round(peak_mb, 1),
        "db_mb": round((home / "bench.sqlite3").stat().st_size / 2**20, 1),
        "band_rows": MentionBand.objects.count(),
        "copies_planted": len(planted),
        "copies_linked": caught,
        "false_links": false_links,
        "quarantined": stats.total("quarantined"),
        "rerun_seconds": round(again_elapsed, 1),
        "rerun_pages": sum(s["pages"] for s in again.per_source.values()),
        "rerun_new": again.total("new") + again.total("near_duplicate"),
        "sources": len(sources),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    results = []
    for n in args.items:
        # Each size in its own process: a fresh database and a fresh RUSAGE_CHILDREN peak.
        import subprocess

        out = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, cwd=ROOT)
        if out.returncode != 0:
            sys.exit(out.stderr)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(json.dumps(results[-1], ensure_ascii=False), flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(measure(int(sys.argv[2]))))
    else:
        main()
