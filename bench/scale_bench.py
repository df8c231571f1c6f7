"""Scale-out, measured: a Prefect server (its database on PostgreSQL), a process work pool, N `otklik worker`s.

    . scripts/ci-services.sh          # a PostgreSQL server; or pass --pg-url
    nice -n 10 .venv/bin/python bench/scale_bench.py --size 30000 --workers 1 2 4 --kill 2 \
        --out bench/results/scale

The same synthetic load as bench/e2e_bench.py (Telegram, VK, review-site and App Store sources served by a
local fake web) goes through the deployments `otklik deploy` registers: one `crawl/crawl-source` flow run
per source, then N runs each of `classify/classify` (the fast student), `route/route` and `index/index-sync`,
all started at once per stage and run by N workers (`otklik worker --limit 1`), each flow run in its own
process. Each configuration gets a fresh database. `--kill N` adds a run with N workers in which one worker
and its flow run are SIGKILLed once 40 % of the mentions are classified and it holds a claimed chunk; the killed
run is marked crashed (as Prefect's zombie detection would) and its chunk is taken over when its lease expires
(30 s here). OUT.json and OUT.md are rewritten after every configuration, each with its load averages.

What is checked per run: every workers' committed chunk is journalled (OTKLIK_CLAIMS_JOURNAL), so an item
committed twice or never shows up per stage; the database must hold every stored mention classified,
routed (originals) and indexed once, with no outbox row and no lease left.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchio import register_sources, write_results  # noqa: E402

HOME = ROOT / "var" / "bench" / "scale"
# Two benchmarks at once (two checkouts on one server) must not share databases or a port: main() sets these
# for its children; each run's databases are named after the main process and dropped when it is done.
TAG = os.environ.setdefault("OTKLIK_SCALE_TAG", str(os.getpid()))
PORT = int(os.environ.get("OTKLIK_SCALE_PORT", "4310"))
PREFECT_DB = f"otklik_scale_prefect_{TAG}"
RUN_DB = f"otklik_scale_run_{TAG}"
LEASE_S = 30
STAGES = ("crawl", "classify", "route", "index")


def _db_url(pg_url: str, name: str) -> str:
    return pg_url.rsplit("/", 1)[0] + "/" + name


def _drop_db(pg_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _load() -> list[float]:
    """The 1/5/15-minute load averages: the machine is shared, so every figure carries them."""
    return [round(x, 2) for x in os.getloadavg()]


def _recreate_db(pg_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return _db_url(pg_url, name)


def start_server(pg_url: str) -> subprocess.Popen:
    """`prefect server start` with its database on PostgreSQL (asyncpg); wait until it answers."""
    db = _recreate_db(pg_url, PREFECT_DB).replace("postgresql://", "postgresql+asyncpg://", 1)
    env = {**os.environ, "PREFECT_HOME": str(HOME / "prefect-server"), "PREFECT_API_DATABASE_CONNECTION_URL": db,
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING",
           # a busy 2-core machine: the defaults (5 s to connect, 10 s per statement) fail at start-up
           "PREFECT_API_DATABASE_CONNECTION_TIMEOUT": "60", "PREFECT_API_DATABASE_TIMEOUT": "60"}
    log = open(HOME / "prefect-server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                             "--port", str(PORT)], env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/api/health", timeout=2)
            return proc
        except OSError:
            if proc.poll() is not None:
                sys.exit(f"prefect server exited; see {HOME / 'prefect-server.log'}")
            time.sleep(1)
    os.killpg(proc.pid, signal.SIGTERM)
    sys.exit(f"prefect server did not start in 300 s; see {HOME / 'prefect-server.log'}")


def descendants(pid: int) -> list[int]:
    """pid and every process below it (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def run_one(workers: int, kill: bool, size: int, pg_url: str) -> dict:
    """One configuration in this process (Django binds its database once per process)."""
    home = HOME / f"run-{workers}{'-kill' if kill else ''}"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    db_url = _recreate_db(pg_url, RUN_DB)
    journal = home / "claims.jsonl"
    env = {**os.environ, "DATABASE_URL": db_url, "OTKLIK_HOME": str(home), "OTKLIK_SEARCH_AUTO_SYNC": "0",
           "OTKLIK_LEASE_SECONDS": str(LEASE_S), "OTKLIK_CLAIMS_JOURNAL": str(journal),
           "PREFECT_API_URL": f"http://127.0.0.1:{PORT}/api", "PREFECT_HOME": str(home / "prefect"),
           "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "true", "PREFECT_LOCAL_STORAGE_PATH": str(home / "results"),
           "PREFECT_LOGGING_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
           "PREFECT_WORKER_QUERY_SECONDS": "2"}  # a worker asks for new flow runs every 2 s (default 15)
    env.pop("OTKLIK_FAILPOINT", None)
    os.environ.update(env)

    from e2e_bench import ORDERS, T0, build, order_number

    from store.django_setup import setup

    setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from classifiers.registry import FAST_MODEL_DIR
    from crawlers.fakeweb import FakeWeb
    from flows.fanout import run_all
    from flows.workpool import CLASSIFY_DEPLOYMENT, CRAWL_DEPLOYMENT, ROUTE_DEPLOYMENT
    from store.models import Classification, Mention, Order

    Order.objects.bulk_create([Order(order_number=order_number(i), created_at=T0) for i in range(ORDERS)],
                              batch_size=1000)
    seconds: dict[str, float] = {}
    loads: dict[str, list[float]] = {"start": _load()}
    results: dict[str, list] = {}
    killed: dict = {}
    procs: list[subprocess.Popen] = []
    with FakeWeb() as web:
        sources = build(size, web)
        sources_file = register_sources(home, sources)
        deploy = subprocess.run([sys.executable, "-m", "otklik", "deploy", "--pool", "scale", "--classify-runs",
                                 str(workers), "--sources-file", str(sources_file)], cwd=ROOT, env=env,
                                capture_output=True, text=True)
        if deploy.returncode != 0:
            sys.exit(deploy.stderr[-3000:])
        _pause_schedules()
        for i in range(workers):
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "otklik", "worker", "--pool", "scale", "--limit", "1", "--name", f"w{i}"],
                cwd=ROOT, env=env, stdout=open(home / f"worker-{i}.log", "w"), stderr=subprocess.STDOUT,
                start_new_session=True))
        try:
            settings = {"OTKLIK_SNAPSHOT_URL": web.url, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
                        "CONCURRENT_REQUESTS": 32, "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "LOG_LEVEL": "ERROR"}
            started = time.perf_counter()
            t = time.perf_counter()
            results["crawl"] = run_all(CRAWL_DEPLOYMENT, [
                ({"sources": [s["name"]], "sources_file": str(sources_file), "settings": settings},
                 [f"source:{s['name']}"]) for s in sources])
            seconds["crawl"] = time.perf_counter() - t
            loads["crawl"] = _load()
            stored = Mention.objects.count()
            params = {"model": str(FAST_MODEL_DIR), "batch_size": 256}
            t = time.perf_counter()
            if kill:
                results["classify"], killed = _classify_with_kill(CLASSIFY_DEPLOYMENT, params, workers, procs,
                                                                   stored, Classification)
            else:
                results["classify"] = run_all(CLASSIFY_DEPLOYMENT, [(params, [])] * workers)
            seconds["classify"] = time.perf_counter() - t
            loads["classify"] = _load()
            for stage, deployment in (("route", ROUTE_DEPLOYMENT), ("index", "index/index-sync")):
                t = time.perf_counter()
                results[stage] = run_all(deployment, [({}, [])] * workers)
                seconds[stage] = time.perf_counter() - t
                loads[stage] = _load()
            total = time.perf_counter() - started
        finally:
            for p in procs:
                if p.poll() is None:
                    os.killpg(p.pid, signal.SIGTERM)
            for p in procs:
                try:
                    p.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
    return {"workers": workers, "kill": kill, "size": size, "stored": stored,
            "seconds": {k: round(v, 1) for k, v in seconds.items()}, "total_s": round(total, 1),
            "states": {k: dict(Counter(r["state"] for r in v)) for k, v in results.items()},
            "classify_results": [r["result"] for r in results["classify"]], "killed": killed,
            "check": check(journal), "load_avg": _load(), "load_avg_after_stage": loads,
            "cpus": os.cpu_count()}


def _pause_schedules() -> None:
    """The bench starts every run itself: no scheduled batch may start in the middle of a measurement."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.sorting import DeploymentSort

    with get_client(sync_client=True) as client:
        for d in client.read_deployments(limit=200, sort=DeploymentSort.NAME_ASC):
            client.pause_deployment(d.id)


def _classify_with_kill(deployment: str, params: dict, workers: int, procs, stored: int, model) -> tuple:
    """Start the classify runs; at 40 % classified SIGKILL the last worker and its flow run; wait for the rest."""
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.states import Crashed

    from flows.fanout import _result

    runs = [run_deployment(deployment, parameters=params, timeout=0) for _ in range(workers)]
    from store.models import WorkLease

    victim = procs[-1]
    while model.objects.count() < 0.4 * stored:
        time.sleep(0.2)
    # Kill it while it holds a claimed chunk (its leases name its pid), so the chunk must be taken over.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        pids = descendants(victim.pid)
        holders = {w.split(":")[1] for w in WorkLease.objects.values_list("worker", flat=True).distinct()}
        if holders & {str(p) for p in pids}:
            break
        time.sleep(0.05)
    at = model.objects.count()
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    killed_at = time.monotonic()
    out, crashed = [], []
    with get_client(sync_client=True) as client:
        pending = {fr.id for fr in runs}
        while pending:
            for fid in list(pending):
                fr = client.read_flow_run(fid)
                pid = str(fr.infrastructure_pid or "").rsplit(":", 1)[-1]
                if fr.state.is_final():
                    pending.discard(fid)
                elif pid.isdigit() and int(pid) in pids and fid not in crashed:
                    # What Prefect's zombie detection does for a run whose process vanished.
                    client.set_flow_run_state(fid, Crashed(message="worker SIGKILLed by the benchmark"), force=True)
                    crashed.append(fid)
            time.sleep(1)
        for fr in runs:
            state = client.read_flow_run(fr.id).state
            out.append({"flow_run": fr.name, "state": state.type.value, "result": _result(state)})
    return out, {"classified_at_kill": at, "held_a_chunk": bool(holders & {str(p) for p in pids}),
                 "processes": len(pids), "runs_marked_crashed": len(crashed),
                 "seconds_after_kill": round(time.monotonic() - killed_at, 1)}


def check(journal: Path) -> dict:
    """Per stage: items committed twice and items never committed (journal vs database), leftovers."""
    from responders.models import Ticket
    from search.models import IndexOutbox, SearchDocument
    from store.models import Classification, Mention, WorkLease

    commits: dict[str, Counter] = {"classify": Counter(), "route": Counter(), "index": Counter()}
    lines = journal.read_text().splitlines() if journal.exists() else []
    for line in lines:
        row = json.loads(line)
        commits[row["stage"].split(":")[0]].update(row["ids"])
    mentions = set(Mention.objects.values_list("id", flat=True))
    expected = {"classify": mentions, "index": mentions,
                "route": set(Mention.objects.filter(duplicate_of__isnull=True).values_list("id", flat=True))}
    out = {}
    for stage, counter in commits.items():
        out[stage] = {"committed": sum(counter.values()), "twice": sum(1 for n in counter.values() if n > 1),
                      "never": len(expected[stage] - set(counter))}
    out["database"] = {
        "mentions": len(mentions),
        "classified": Classification.objects.values("mention_id").distinct().count(),
        "tickets": Ticket.objects.count(), "indexed": SearchDocument.objects.count(),
        "outbox_left": IndexOutbox.objects.count(), "leases_left": WorkLease.objects.count()}
    return out


def _loads(r: dict) -> str:
    after = r.get("load_avg_after_stage", {})
    ones = [after[k][0] for k in ("start", *STAGES) if k in after]
    return f"{', '.join(map(str, ones))} ({r['load_avg'][1]} / {r['load_avg'][2]})"


def markdown(results: list[dict]) -> str:
    head = ("| workers | SIGKILL | crawl s | classify s | route s | index s | total s | committed twice "
            "(classify / route / index) | never committed "
            "| load avg 1 min: start, after each stage (5 / 15 min at the end) |\n"
            "|---:|---|---:|---:|---:|---:|---:|---|---|---|")
    rows = []
    for r in results:
        s, c = r["seconds"], r["check"]
        twice = " / ".join(str(c[k]["twice"]) for k in ("classify", "route", "index"))
        never = " / ".join(str(c[k]["never"]) for k in ("classify", "route", "index"))
        rows.append(f"| {r['workers']} | {'yes' if r['kill'] else 'no'} | {s['crawl']} | {s['classify']} "
                    f"| {s['route']} | {s['index']} | {r['total_s']} | {twice} | {never} "
                    f"| {_loads(r)} |")
    return "\n".join([head, *rows]) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=30_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--kill", type=int, default=2, help="a run with this many workers, one SIGKILLed (0: none)")
    parser.add_argument("--pg-url", default=os.environ.get("OTKLIK_TEST_POSTGRES_URL"),
                        help="PostgreSQL server URL (a role allowed to create databases)")
    parser.add_argument("--out", default=None, help="write OUT.json and OUT.md")
    args = parser.parse_args()
    if not args.pg_url:
        sys.exit("no PostgreSQL: pass --pg-url or source scripts/ci-services.sh")
    HOME.mkdir(parents=True, exist_ok=True)
    global PORT
    PORT = _free_port()
    os.environ["OTKLIK_SCALE_PORT"] = str(PORT)  # the children talk to this server
    server = start_server(args.pg_url)
    configs = [(n, False) for n in args.workers] + ([(args.kill, True)] if args.kill else [])
    results = []
    try:
        for n, kill in configs:
            cmd = [sys.executable, __file__, "--one", str(n), str(int(kill)), str(args.size), args.pg_url]
            out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
            if out.returncode != 0:
                sys.exit(f"{n} workers (kill={kill}) failed")
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(json.dumps(results[-1], ensure_ascii=False), flush=True)
            write_results(args.out, results, markdown(results))  # what finished is kept if a later row is stopped
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
        for name in (RUN_DB, PREFECT_DB):
            _drop_db(args.pg_url, name)
    table = markdown(results)
    print(table)
    write_results(args.out, results, table)


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--one":
        print(json.dumps(run_one(int(sys.argv[2]), bool(int(sys.argv[3])), int(sys.argv[4]), sys.argv[5]),
                         ensure_ascii=False, default=str))
    else:
        main()
