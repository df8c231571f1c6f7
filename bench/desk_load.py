"""Desk under load: N open tickets, M moderators browsing, claiming, replying and closing at once.

    PYTHONPATH=. .venv/bin/python bench/desk_load.py --tickets 100000 --moderators 20 --seconds 60 \
        --out bench/results/desk

Builds a fresh SQLite database with `--tickets` open tickets (bulk inserts: mentions, model
classifications, tickets with their opening event; the search index rebuilt), starts the desk as
`otklik desk` does (Django's threaded server) on loopback, then runs `--moderators` simulated
moderators (asyncio + httpx, each logged in with a Django session and sending the CSRF token) for
`--seconds`: queue pages (plain, filtered, searched), a ticket page, claim, reply, close. Most
moderators pick from the first queue page, as people do, so claims collide. Reports p50/p95
latency per page kind and requests/s, then checks in the database that no ticket was claimed,
replied to or closed by two moderators. Then (`--report-runs`, default 5) times the marketer's report page
cold (a period whose charts are not drawn yet) and warm (the same period again), medians of the runs.

    PYTHONPATH=. .venv/bin/python bench/desk_load.py --tickets 20000 --moderators 4 --seconds 20 \
        --out bench/results/desk-report
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchio import write_results  # noqa: E402
from crawl_bench import T0, text_for  # noqa: E402

PASSWORD = "desk-load-pass"
TOPICS = ["delivery_delay", "damaged_packaging", "lost_item", "courier_behaviour", "tracking", "question", "praise"]
CHANNELS = ["telegram", "vk", "review_site", "appstore"]
SEARCHES = ["курьер", "посылка", "возврат денег", "Москва", "упаковка"]


def prepare(n: int, moderators: int, reuse: bool = False) -> Path:
    """A fresh database with n open tickets and the moderators' logins; return OTKLIK_HOME.

    The freshly built database is kept as pristine.sqlite3; `reuse` starts from a copy of it (then migrated,
    so a new index can be compared on the same data).
    """
    home = ROOT / "var" / "bench" / f"desk-{n}"
    pristine = home / "pristine.sqlite3"
    os.environ["OTKLIK_HOME"] = str(home)
    os.environ["DATABASE_URL"] = f"sqlite:///{home / 'desk.sqlite3'}"
    os.environ["OTKLIK_SEARCH_AUTO_SYNC"] = "0"
    if reuse and pristine.exists():
        for stale in ("desk.sqlite3-wal", "desk.sqlite3-shm"):
            (home / stale).unlink(missing_ok=True)
        shutil.copyfile(pristine, home / "desk.sqlite3")
        from store.django_setup import setup

        setup()
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        return home
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    from store.django_setup import setup

    setup()
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import transaction

    from responders.models import Ticket, TicketEvent, TicketState
    from search.services.sync import rebuild
    from store.models import Classification, Mention, Source
    from store.text import content_hash

    call_command("migrate", interactive=False, verbosity=0)
    rng = random.Random(n)
    sources = [Source.objects.create(name=f"{k}-0", kind=k) for k in CHANNELS]
    started = time.perf_counter()
    step = 5000
    for lo in range(0, n, step):
        with transaction.atomic():
            rows = []
            for i in range(lo, min(n, lo + step)):
                text = text_for(rng)
                rows.append(Mention(source=sources[i % 4], external_id=str(i), text=text, author=f"u{i}",
                                    posted_at=T0 + timedelta(minutes=i), content_hash=content_hash(text)))
            mentions = Mention.objects.bulk_create(rows)
            Classification.objects.bulk_create([
                Classification(mention=m, model_name="bench", model_version="bench-v1", sentiment="negative",
                               topics=[t := rng.choice(TOPICS)], topic_scores={t: 0.9}, primary_topic=t)
                for m in mentions
            ])
            tickets = Ticket.objects.bulk_create([
                Ticket(mention=m, kind="complaint", topic=c_topic, sentiment="negative", channel=m.source.kind,
                       opened_at=m.posted_at, first_reply_due=m.posted_at + timedelta(hours=24),
                       resolution_due=m.posted_at + timedelta(hours=48), first_reply_target_h=24,
                       resolution_target_h=48, state=TicketState.NEW)
                for m, c_topic in ((m, rng.choice(TOPICS)) for m in mentions)
            ])
            TicketEvent.objects.bulk_create([
                TicketEvent(ticket=t, from_state="", to_state=TicketState.NEW, at=t.opened_at, note="opened")
                for t in tickets
            ])
        print(f"  {min(n, lo + step):,} tickets ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
    rebuild(batch_size=2000)
    print(f"  search index rebuilt ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
    group, _ = Group.objects.get_or_create(name="moderator")
    hashed = make_password(PASSWORD)
    users = User.objects.bulk_create([User(username=f"mod{i:02d}", password=hashed) for i in range(moderators)])
    group.user_set.add(*users)
    from django.db import connection

    connection.close()
    shutil.copyfile(home / "desk.sqlite3", pristine)
    return home


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_desk(port: int) -> subprocess.Popen:
    """`otklik desk` on loopback, in its own process (its peak RSS is read at the end)."""
    cmd = [sys.executable, "-c", "from otklik.cli import main; main()", "desk", "--host", "127.0.0.1",
           "--port", str(port)]
    log = open(Path(os.environ["OTKLIK_HOME"]) / "desk-server.log", "w")  # noqa: SIM115 - lives with the server
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log, text=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                sys.exit(f"the desk did not start: see {log.name}")
            time.sleep(0.5)
    proc.kill()
    sys.exit("the desk did not start in 120 s")


class Moderator:
    """One simulated moderator with a logged-in session."""

    def __init__(self, name: str, base: str, timings: dict, rng: random.Random):
        import httpx

        self.name, self.timings, self.rng = name, timings, rng
        self.client = httpx.AsyncClient(base_url=base, timeout=60, follow_redirects=False)
        self.claims = self.conflicts = self.closed = self.errors = 0
        self.timeouts: Counter = Counter()
        self.statuses: Counter = Counter()

    def csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")

    async def call(self, kind: str, method: str, url: str, **kw):
        import httpx

        t = time.perf_counter()
        try:
            r = await self.client.request(method, url, **kw)
        except httpx.TimeoutException:
            self.timings[kind].append(time.perf_counter() - t)
            self.timeouts[kind] += 1
            self.errors += 1
            return httpx.Response(599, text="")
        self.timings[kind].append(time.perf_counter() - t)
        if r.status_code >= 400:
            self.errors += 1
            self.statuses[f"{kind} {r.status_code}"] += 1
        return r

    async def login(self) -> None:
        await self.client.get("/login/")
        r = await self.client.post("/login/", data={"username": self.name, "password": PASSWORD,
                                                    "csrfmiddlewaretoken": self.csrf()})
        if r.status_code != 302:
            raise RuntimeError(f"{self.name} could not log in: HTTP {r.status_code}")

    async def queue_page(self) -> list[int]:
        roll = self.rng.random()
        if roll < 0.6:
            kind, params = "queue", {"page": self.rng.choice([1, 1, 1, 2, 3, 50, 500])}
        elif roll < 0.85:
            kind, params = "queue_filter", {"topic": self.rng.choice(TOPICS), "channel": self.rng.choice(CHANNELS)}
        else:
            kind, params = "queue_search", {"q": self.rng.choice(SEARCHES)}
        r = await self.call(kind, "GET", "/desk/", params=params)
        return [int(x) for x in dict.fromkeys(re.findall(r'/desk/tickets/(\d+)/"', r.text))]

    async def post(self, kind: str, url: str, data: dict | None = None):
        return await self.call(kind, "POST", url, data={**(data or {}), "csrfmiddlewaretoken": self.csrf()})

    async def work(self, until: float) -> None:
        while time.time() < until:
            ids = await self.queue_page()
            if not ids:
                continue
            # Most pick one of the first few tickets (earliest due): claims collide, as at a real desk.
            pk = self.rng.choice(ids[:5]) if self.rng.random() < 0.7 else self.rng.choice(ids)
            await self.call("ticket", "GET", f"/desk/tickets/{pk}/")
            await self.post("claim", f"/desk/tickets/{pk}/do/claim/")
            page = await self.call("ticket", "GET", f"/desk/tickets/{pk}/")
            if "закреплено за вами" not in page.text:
                self.conflicts += 1
                continue
            self.claims += 1
            await self.post("reply", f"/desk/tickets/{pk}/do/reply/", {"text": "Здравствуйте! Разбираемся."})
            await self.post("close", f"/desk/tickets/{pk}/do/close/")
            self.closed += 1


async def load(base: str, moderators: int, seconds: float) -> dict:
    timings: dict[str, list[float]] = defaultdict(list)
    mods = [Moderator(f"mod{i:02d}", base, timings, random.Random(i)) for i in range(moderators)]
    await asyncio.gather(*(m.login() for m in mods))
    timings.clear()
    started = time.time()
    until = started + seconds
    work = asyncio.gather(*(m.work(until) for m in mods))
    while not work.done():
        await asyncio.wait([work], timeout=5)
        if not work.done():
            done = sum(len(v) for v in timings.values())
            late = " (finishing the requests in flight)" if time.time() > until else ""
            print(f"  {time.time() - started:4.0f} s  {done} requests{late}", file=sys.stderr, flush=True)
    await work
    elapsed = time.time() - started
    for m in mods:
        await m.client.aclose()
    return {
        "seconds": round(elapsed, 1),
        "requests": sum(len(v) for v in timings.values()),
        "requests_per_s": round(sum(len(v) for v in timings.values()) / elapsed, 1),
        "latency_ms": {k: {"n": len(v), "p50": round(statistics.median(v) * 1000),
                           "p95": round(statistics.quantiles(v, n=20)[18] * 1000) if len(v) > 1 else None,
                           "max": round(max(v) * 1000)}
                       for k, v in sorted(timings.items())},
        "claims_won": sum(m.claims for m in mods),
        "claims_lost": sum(m.conflicts for m in mods),
        "closed": sum(m.closed for m in mods),
        "http_errors": sum(m.errors for m in mods),
        "timeouts_60s": dict(sum((m.timeouts for m in mods), Counter())),
        "error_statuses": dict(sum((m.statuses for m in mods), Counter())),
    }


def report_page(base: str, runs: int) -> dict:
    """The marketer's report page (/reports/) over the benchmark's mentions: `runs` cold requests (each a
    period not drawn yet, so its charts are drawn) and `runs` warm ones (the same period again: charts from
    the cache); medians and all timings in ms. Run after the load, with nothing else hitting the desk."""
    import httpx
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, User

    from store.models import Mention

    user, _ = User.objects.get_or_create(username="bench-marketer", defaults={"password": make_password(PASSWORD)})
    user.groups.add(Group.objects.get_or_create(name="marketer")[0])
    first = Mention.objects.order_by("posted_at").values_list("posted_at", flat=True).first().date()
    last = Mention.objects.order_by("-posted_at").values_list("posted_at", flat=True).first().date()
    with httpx.Client(base_url=base, timeout=120) as client:
        client.get("/login/")
        r = client.post("/login/", data={"username": user.username, "password": PASSWORD,
                                         "csrfmiddlewaretoken": client.cookies.get("csrftoken", "")})
        if r.status_code != 302:
            raise RuntimeError(f"the marketer could not log in: HTTP {r.status_code}")

        def timed(start, end) -> float:
            t = time.perf_counter()
            r = client.get("/reports/", params={"date_from": start.isoformat(), "date_to": end.isoformat()})
            elapsed = time.perf_counter() - t
            if r.status_code != 200 or 'id="volume-chart"' not in r.text:
                raise RuntimeError(f"the report page answered {r.status_code} without charts")
            return elapsed * 1000

        cold = [timed(first, last + timedelta(days=k)) for k in range(runs)]  # a new period each time
        warm = [timed(first, last) for _ in range(runs)]  # drawn by the first cold request
    return {"runs": runs, "cold_ms": [round(x) for x in cold], "warm_ms": [round(x) for x in warm],
            "cold_median_ms": round(statistics.median(cold)), "warm_median_ms": round(statistics.median(warm))}


def double_claims() -> dict:
    """Tickets that two moderators claimed, replied to or closed (each must be one moderator's)."""
    from django.db.models import Count

    from responders.models import Reply, TicketEvent
    from store.models import AuditEvent

    claimed = (AuditEvent.objects.filter(action="ticket.claim").values("object_id")
               .annotate(n=Count("actor", distinct=True)).filter(n__gt=1).count())
    moved = (TicketEvent.objects.filter(actor__isnull=False).values("ticket")
             .annotate(n=Count("actor", distinct=True)).filter(n__gt=1).count())
    replied = Reply.objects.values("ticket").annotate(n=Count("author", distinct=True)).filter(n__gt=1).count()
    return {"tickets_claimed_by_two": claimed, "tickets_moved_by_two": moved, "tickets_replied_by_two": replied,
            "claims_recorded": AuditEvent.objects.filter(action="ticket.claim").count()}


def markdown(r: dict) -> str:
    lines = [f"{r['tickets']:,} open tickets, {r['moderators']} moderators, {r['load']['seconds']} s: "
             f"{r['load']['requests']} requests, {r['load']['requests_per_s']} requests/s "
             f"(load average before/after: {r['load_avg_before']} / {r['load_avg_after']}).", "",
             "| page | requests | p50 ms | p95 ms | max ms |", "|---|---:|---:|---:|---:|"]
    for k, v in r["load"]["latency_ms"].items():
        lines.append(f"| {k} | {v['n']} | {v['p50']} | {v['p95']} | {v['max']} |")
    d = r["db_check"]
    if r.get("report_page"):
        p = r["report_page"]
        lines.append(f"| report page, cold (charts drawn) | {p['runs']} | {p['cold_median_ms']} (median) | | "
                     f"{max(p['cold_ms'])} |")
        lines.append(f"| report page, warm (charts cached) | {p['runs']} | {p['warm_median_ms']} (median) | | "
                     f"{max(p['warm_ms'])} |")
    lines += ["", f"Claims won {r['load']['claims_won']}, lost to another moderator {r['load']['claims_lost']}, "
              f"closed {r['load']['closed']}, HTTP errors {r['load']['http_errors']} "
              f"({r['load']['error_statuses'] or 'none'}; timeouts > 60 s: {r['load']['timeouts_60s'] or 'none'}). "
              "Database check: "
              f"{d['tickets_claimed_by_two']} tickets claimed by two moderators, {d['tickets_moved_by_two']} moved "
              f"by two, {d['tickets_replied_by_two']} replied to by two ({d['claims_recorded']} claims recorded)."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--moderators", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--report-runs", type=int, default=5,
                        help="cold and warm requests of the report page after the load (0: skip)")
    parser.add_argument("--reuse", action="store_true", help="start from the last run's pristine database")
    parser.add_argument("--out", default=None, help="write OUT.json and OUT.md")
    args = parser.parse_args()
    t = time.perf_counter()
    prepare(args.tickets, args.moderators, args.reuse)
    setup_s = time.perf_counter() - t
    print(f"prepared {args.tickets:,} tickets in {setup_s:.0f} s", file=sys.stderr)
    port = free_port()
    desk = start_desk(port)
    try:
        before = [round(x, 2) for x in os.getloadavg()]
        result = asyncio.run(load(f"http://127.0.0.1:{port}", args.moderators, args.seconds))
        after = [round(x, 2) for x in os.getloadavg()]
        reports = report_page(f"http://127.0.0.1:{port}", args.report_runs) if args.report_runs else None
    finally:
        desk.terminate()
        desk.wait(timeout=30)
    out = {"tickets": args.tickets, "moderators": args.moderators, "setup_s": round(setup_s, 1), "load": result,
           "db_check": double_claims(), "load_avg_before": before, "load_avg_after": after,
           "report_page": reports}
    print(json.dumps(out, ensure_ascii=False))
    table = markdown(out)
    print(table)
    write_results(args.out, out, table)


if __name__ == "__main__":
    main()
