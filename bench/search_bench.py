"""Benchmark the search index: indexing rate (docs/s) and query latency (p50/p95) on synthetic mentions.

    python bench/search_bench.py                      # embedded backend (SQLite FTS5), 100k mentions
    python bench/search_bench.py --database-url postgres://…/scratch_db   # PostgreSQL full text (empty DB!)
    ELASTICSEARCH_URL=http://127.0.0.1:9200 python bench/search_bench.py --backend elasticsearch

It creates the mentions in a throwaway OTKLIK_HOME (or the given, empty, database), so it never
touches your data. Figures are recorded in docs/search.md.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SUBJECTS = ["Посылка", "Заказ", "Курьер", "Коробка", "Трек-номер", "Пункт выдачи", "Приложение", "Оператор",
            "Доставка", "Постамат", "Возврат", "Счёт", "Отправление", "Служба поддержки", "Ёлочная игрушка"]
PREDICATES = ["задерживается уже неделю", "не пришла вовремя", "пришла мятая и мокрая", "потерялась на сортировке",
              "не обновляется третий день", "нахамил по телефону", "не отвечает на звонки", "работает отлично",
              "привёз раньше срока", "не открывает ячейку", "списали деньги дважды", "перепутали адрес",
              "вернули без объяснений", "доставили не тот товар", "ждём уже две недели", "спасибо за быструю доставку",
              "закрыт в рабочее время", "показывает неверный статус", "не выдают без паспорта", "оформили возврат"]
EXTRAS = ["Очень недоволен.", "Спасибо!", "Когда это закончится?", "Прошу разобраться.", "Больше не закажу.",
          "Курьер Алексей молодец.", "В Москве такое впервые.", "В Казани всё хорошо.", "Уже писал в поддержку.",
          "Где мои деньги?", "Как оформить возврат?", "Поменяйте адрес доставки, пожалуйста.", "ПВЗ на Ленина."]
FILLER = ("сегодня вчера утром вечером снова опять никто ничего всегда быстро медленно долго очень совсем почти "
          "телефон звонок сообщение письмо поддержка менеджер склад город улица дом подъезд этаж дверь упаковка "
          "товар размер цвет цена сумма карта чек документ паспорт код номер неделя месяц день час минута").split()
TOPICS = ["delivery_delay", "damaged_packaging", "lost_item", "courier_behaviour", "address_change", "picking_error",
          "billing", "tracking", "returns", "pickup_point", "praise", "question"]
QUERIES = ["посылка", "курьер", "задерживается неделю", "трек-номер", "возврат деньги", "пункт выдачи",
           '"списали деньги"', "коробка -мятая", "постамат ячейка", "поддержка", "ёлочная", "адрес доставки",
           "приложение статус", "паспорт", "сортировка", "спасибо курьер"]


def text(rng: random.Random) -> str:
    parts = [f"{rng.choice(SUBJECTS)} {rng.choice(PREDICATES)}."]
    parts += rng.sample(EXTRAS, rng.randint(0, 2))
    parts.append(" ".join(rng.choices(FILLER, k=rng.randint(3, 15))))
    if rng.random() < 0.3:
        parts.append(f"Заказ {rng.randint(10_000_000, 99_999_999)}.")
    return " ".join(parts)


def populate(n: int, seed: int = 7) -> None:
    """Create n mentions (10% duplicates), classified, a fifth with tickets; no signals, no outbox rows."""
    from django.db import transaction

    from responders.models import Ticket
    from store.models import Classification, Mention, Source

    rng = random.Random(seed)
    sources = [Source.objects.get_or_create(name=f"{kind}-{i}", defaults={"kind": kind})[0]
               for kind in ("telegram", "vk", "appstore", "review_site", "rss") for i in (1, 2)]
    start = datetime(2026, 8, 1, tzinfo=timezone.utc)
    batch = 5000
    for lo in range(0, n, batch):
        with transaction.atomic():
            rows = [Mention(source=rng.choice(sources), external_id=f"b{i}", text=text(rng),
                            posted_at=start + timedelta(seconds=rng.randint(0, 90 * 86400)), content_hash=f"{i:064d}")
                    for i in range(lo, min(n, lo + batch))]
            rows = Mention.objects.bulk_create(rows)
            originals = [m for m in rows if rng.random() > 0.1]
            original_ids = {m.pk for m in originals}
            for m in rows:
                if m.pk not in original_ids and originals:
                    m.duplicate_of_id = rng.choice(originals).pk
            Mention.objects.bulk_update([m for m in rows if m.duplicate_of_id], ["duplicate_of"])
            cls = []
            for m in rows:
                topics = rng.sample(TOPICS, rng.choice([0, 1, 1, 1, 2]))
                cls.append(Classification(mention=m, model_name="bench", model_version="bench-v1",
                                          sentiment=rng.choice(["negative", "negative", "neutral", "positive"]),
                                          topics=topics, topic_scores={t: 0.9 for t in topics},
                                          primary_topic=topics[0] if topics else ""))
            Classification.objects.bulk_create(cls)
            Ticket.objects.bulk_create([
                Ticket(mention=m, kind="complaint", state=rng.choice(["new", "claimed", "replied", "closed"]),
                       opened_at=m.posted_at, first_reply_due=m.posted_at + timedelta(hours=4),
                       resolution_due=m.posted_at + timedelta(hours=48))
                for m in originals if rng.random() < 0.2
            ])


def percentiles(samples: list[float]) -> tuple[float, float]:
    qs = statistics.quantiles(samples, n=20, method="inclusive")
    return statistics.median(samples) * 1000, qs[18] * 1000


def timed(fn, repeat: int) -> list[float]:
    out = []
    for i in range(repeat):
        t = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mentions", type=int, default=100_000)
    ap.add_argument("--sync", type=int, default=10_000, help="Changed mentions drained from the outbox.")
    ap.add_argument("--queries", type=int, default=200, help="Repetitions per query kind.")
    ap.add_argument("--backend", choices=["auto", "sqlite", "postgres", "elasticsearch"], default="auto")
    ap.add_argument("--database-url", default=None, help="An EMPTY PostgreSQL database to use instead of SQLite.")
    args = ap.parse_args()

    home = tempfile.mkdtemp(prefix="otklik-bench-")
    os.environ["OTKLIK_HOME"] = home
    os.environ["OTKLIK_SEARCH_AUTO_SYNC"] = "0"
    os.environ["OTKLIK_SEARCH_BACKEND"] = args.backend
    os.environ["OTKLIK_SEARCH_INDEX_PREFIX"] = "otklik-bench"
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    from otklik.clitools import django

    django()
    from django.db import connection

    from search.backends import get_backend
    from search.query import Query
    from search.services.outbox import enqueue
    from search.services.search import aggregate, search
    from search.services.sync import rebuild, sync
    from store.models import Mention

    if Mention.objects.exists():
        sys.exit("the database is not empty: give --database-url an empty scratch database")
    backend = get_backend()
    print(f"backend={backend.name} database={connection.vendor} mentions={args.mentions} home={home}")
    t = time.perf_counter()
    populate(args.mentions)
    print(f"populate: {time.perf_counter() - t:.1f} s", flush=True)

    t = time.perf_counter()
    stats = rebuild(backend, batch_size=1000)
    backend.refresh()
    spent = time.perf_counter() - t
    results = [("rebuild (all mentions)", f"{stats.indexed / spent:,.0f} docs/s", f"{stats.indexed} docs in {spent:.1f} s")]
    print(results[-1], flush=True)

    ids = list(Mention.objects.order_by("?").values_list("pk", flat=True)[: args.sync])
    enqueue(ids, "bench")
    t = time.perf_counter()
    s = sync(backend)
    backend.refresh()
    spent = time.perf_counter() - t
    results.append(("sync (outbox drain)", f"{s.indexed / spent:,.0f} docs/s", f"{s.indexed} docs in {spent:.1f} s"))
    print(results[-1], flush=True)

    rng = random.Random(11)
    day0 = datetime(2026, 9, 1, tzinfo=timezone.utc)
    starts = [day0 + timedelta(days=rng.randint(0, 60)) for _ in range(1000)]
    kinds = {
        "search: text": lambda i: search(Query(text=QUERIES[i % len(QUERIES)]), backend=backend),
        "search: text + filters": lambda i: search(Query(text=QUERIES[i % len(QUERIES)], channels=["telegram"],
                                                         sentiments=["negative"]), backend=backend),
        "search: text, page 5": lambda i: search(Query(text=QUERIES[i % len(QUERIES)]), page=5, backend=backend),
        "search: filters only (newest)": lambda i: search(Query(topics=[TOPICS[i % len(TOPICS)]]), backend=backend),
        "aggregate: 14-day report": lambda i: aggregate(
            Query(classified=True, date_from=starts[i], date_to=starts[i] + timedelta(days=14)), backend=backend),
        "aggregate: whole index": lambda i: aggregate(Query(classified=True), backend=backend),
    }
    for name, fn in kinds.items():
        fn(0)  # warm caches
        reps = args.queries if name.startswith("search") else max(5, args.queries // 10)
        p50, p95 = percentiles(timed(fn, reps))
        results.append((name, f"p50 {p50:.1f} ms", f"p95 {p95:.1f} ms ({reps} runs)"))
        print(results[-1], flush=True)
    hits = search(Query(text="посылка"), backend=backend).total
    print(f"\n'посылка' matches {hits} documents of {backend.count()}\n")
    print("| measure | rate / p50 | detail |\n|---|---|---|")
    for row in results:
        print(f"| {' | '.join(row)} |")
    if backend.name == "elasticsearch":
        backend.drop()


if __name__ == "__main__":
    main()
