"""A worker process for the multi-worker tests and bench/scale_bench.py (DATABASE_URL: a PostgreSQL database).

    python -m tests.flows.scale_worker setup N            # migrate, store N mentions (2 % near copies)
    python -m tests.flows.scale_worker work STAGE CHUNK DIR NAME [--model M]
                                                           # classify | route | index, once DIR/go exists
    python -m tests.flows.scale_worker check              # what the database holds, as JSON

`work` prints one JSON line per committed chunk ({"done": n}) and a last one with the totals, so a worker
SIGKILLed between chunks has reported exactly what it committed.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

WORDS = ("курьер опоздал на два дня", "коробка пришла мятая", "посылка потерялась", "спасибо за быструю доставку",
         "не могу отследить заказ", "пункт выдачи закрыт", "верните деньги за доставку", "вежливый курьер")


def setup_db(n: int) -> dict:
    from django.core.management import call_command

    from store.models import Mention, Source
    from store.text import content_hash

    call_command("migrate", interactive=False, verbosity=0)
    src = Source.objects.get_or_create(name="scale", defaults={"kind": "telegram"})[0]
    t0 = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
    rows = []
    for i in range(n):
        text = f"Заказ {10000000 + i}: {WORDS[i % len(WORDS)]}, {WORDS[(i * 7) % len(WORDS)]} (№{i})"
        rows.append(Mention(source=src, external_id=f"s{i}", text=text, posted_at=t0 + timedelta(minutes=i),
                            content_hash=content_hash(text), lang="ru"))
    created = Mention.objects.bulk_create(rows, batch_size=2000)
    # Near copies (as the crawler links them): routing skips these, the index still holds them.
    copies = created[1::50]
    for m in copies:
        m.duplicate_of_id = created[0].id
    Mention.objects.bulk_update(copies, ["duplicate_of"], batch_size=2000)
    return {"mentions": len(created), "copies": len(copies)}


def work(stage: str, chunk: int, folder: Path, name: str, model: str) -> dict:
    (folder / f"ready-{name}").touch()
    while not (folder / "go").exists():
        time.sleep(0.01)
    started = time.monotonic()

    def report(n: int) -> None:
        print(json.dumps({"done": n}), flush=True)

    if stage == "classify":
        from classifiers.registry import load_classifier
        from store.services.classify import classify_pending

        done = classify_pending(load_classifier(model), batch_size=chunk, progress=report)
    elif stage == "route":
        from responders.services.routing import route_pending

        s = route_pending(batch_size=chunk, progress=report)
        done = s.opened + s.dismissed
    elif stage == "index":
        from search.services.sync import sync

        s = sync(batch_size=chunk, progress=report)
        done = s.indexed + s.deleted + s.failed
    else:
        raise SystemExit(f"unknown stage {stage!r}")
    return {"total": done, "seconds": round(time.monotonic() - started, 3)}


def check() -> dict:
    from django.db import connection
    from django.db.models import Count

    from responders.models import Ticket
    from search.models import IndexOutbox, SearchDocument
    from store.models import Classification, Mention, WorkLease

    per_mention = Classification.objects.values("mention_id").annotate(n=Count("id"))
    return {
        "vendor": connection.vendor,
        "mentions": Mention.objects.count(),
        "originals": Mention.objects.filter(duplicate_of__isnull=True).count(),
        "classifications": Classification.objects.count(),
        "classified_mentions": per_mention.count(),
        "classified_twice": per_mention.filter(n__gt=1).count(),
        "tickets": Ticket.objects.count(),
        "indexed": SearchDocument.objects.count(),
        "outbox": IndexOutbox.objects.count(),
        "leases": WorkLease.objects.count(),
    }


def main(argv: list[str]) -> None:
    from store.django_setup import setup

    setup()
    cmd = argv[0]
    if cmd == "setup":
        out = setup_db(int(argv[1]))
    elif cmd == "work":
        model = argv[argv.index("--model") + 1] if "--model" in argv else "rules"
        out = work(argv[1], int(argv[2]), Path(argv[3]), argv[4], model)
    elif cmd == "check":
        out = check()
    else:
        raise SystemExit(f"unknown command {cmd!r}")
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
