"""A worker process for the multi-worker tests and bench/scale_bench.py (DATABASE_URL: a PostgreSQL database).

    python -m tests.flows.scale_worker setup N            # migrate, store N mentions (2 % near copies)
    python -m tests.flows.scale_worker work STAGE CHUNK DIR NAME [--model M]
                                                           # classify | route | index, once DIR/go exists
    python -m tests.flows.scale_worker check              # what the database holds, as JSON
    python -m tests.flows.scale_worker race               # a claim racing an expired owner's commit

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


def expired_owner_race(n: int = 4) -> dict:
    """Worker S's leases expire while S is still committing its result; worker V claims meanwhile.

    V's claim blocks on S's lease rows (S deletes them in its result transaction) and goes on once S commits.
    Returns what V got and what is left: V must get nothing (S did the work) and hold no lease."""
    import threading

    from django.db import connection, connections, transaction
    from django.db.models import Exists, OuterRef
    from django.utils import timezone as dj_timezone

    from store.models import Classification, Mention, WorkLease
    from store.services.claims import claim

    setup_db(n)
    pending = Mention.objects.filter(~Exists(Classification.objects.filter(mention=OuterRef("pk"))))
    first = claim("race", pending, "id", n, "S")
    WorkLease.objects.filter(worker="S").update(expires_at=dj_timezone.now() - timedelta(seconds=1))
    in_result, may_commit, got = threading.Event(), threading.Event(), {}

    def owner() -> None:
        try:
            with transaction.atomic():
                held = first.held()
                Classification.objects.bulk_create([Classification(
                    mention_id=i, model_name="race", model_version="1", sentiment="neutral") for i in held])
                first.release()
                in_result.set()
                may_commit.wait(300)
        finally:
            connections.close_all()

    def other() -> None:
        try:
            got["ids"] = claim("race", pending, "id", n, "V").ids
        finally:
            connections.close_all()

    threads = [threading.Thread(target=owner)]
    threads[0].start()
    in_result.wait(300)
    threads.append(threading.Thread(target=other))
    threads[1].start()
    blocked = False
    with connection.cursor() as cursor:  # go on once V waits for S's transaction (or V did not wait at all)
        while threads[1].is_alive() and not blocked:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND wait_event_type = 'Lock'")
            blocked = cursor.fetchone()[0] > 0
            time.sleep(0.01)
    may_commit.set()
    for t in threads:
        t.join(300)
    return {"first": len(first.ids), "waited": blocked, "claimed_again": got.get("ids"),
            "leases": WorkLease.objects.count(), "classified": Classification.objects.count()}


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
        "leases_by_stage": dict(WorkLease.objects.values_list("stage").annotate(n=Count("id")).order_by("stage")),
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
    elif cmd == "race":
        out = expired_owner_race()
    else:
        raise SystemExit(f"unknown command {cmd!r}")
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
