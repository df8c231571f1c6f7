"""Time the topic report and the alert check on a synthetic dataset built from the authored logistics texts.

    python bench/report_bench.py [--mentions 20000] [--days 28] [--out DIR] [--screenshot PNG [--height PX]]
    python bench/report_bench.py --html var/reports/topic-report-….html --screenshot docs/img/topic-report.png --height 1500

Uses a fresh SQLite database in a temporary OTKLIK_HOME (never yours). Mentions are sampled, with their labels
as classifications, from classifiers/data/logistics/*.jsonl over four channels plus one competitor source; on
the 20th day a burst of lost-parcel complaints about a sorting centre in Kazan is planted; 60 % of our
negative mentions get a simulated ticket (most closed within 24 h). Prints timings.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EVENT = [
    "Отслеживание встало на сортировочном центре в Казани.",
    "Пишут, что в Казани на сортировке завал, посылки теряются.",
    "Последний статус: сортировочный центр Казань, дальше тишина.",
    "Посылка пропала где-то на складе в Казани.",
    "Пятый день висит «Казань, сортировочный центр», поддержка молчит.",
]


def plant(n: int, days: int, start: datetime, seed: int = 7) -> int:
    from store.models import Classification, Mention, Source
    from store.text import content_hash

    rnd = random.Random(seed)
    rows = [json.loads(line) for f in sorted((ROOT / "classifiers/data/logistics").glob("*.jsonl"))
            for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    lost = [r for r in rows if "lost_item" in r["topics"] or "tracking" in r["topics"]]
    sources = [Source.objects.create(name=k, kind=k) for k in ("telegram", "vk", "appstore", "review_site")]
    rival = Source.objects.create(name="rival-vk", kind="vk", config={"competitor": "БыстроПочта"})
    weights = [1.0 + 0.3 * ((d % 7) < 5) for d in range(days)]  # busier on weekdays
    per_day = [round(n * w / sum(weights)) for w in weights]
    mentions, labels = [], []

    def add(src, text, sentiment, topics, when):
        mentions.append(Mention(source=src, external_id=str(len(mentions)), text=text, posted_at=when,
                                url=f"https://example.org/{src.name}/{len(mentions)}", content_hash=content_hash(text)))
        labels.append((sentiment, topics))

    for d, count in enumerate(per_day):
        day = start + timedelta(days=d)
        for _ in range(count):
            r = rnd.choice(rows)
            when = day + timedelta(hours=rnd.uniform(7, 23))
            add(rival if rnd.random() < 0.2 else rnd.choice(sources), r["text"], r["sentiment"], r["topics"], when)
        if d == min(19, days - 1):
            for _ in range(max(40, count // 3)):
                r = rnd.choice(lost)
                add(rnd.choice(sources), f"{r['text']} {rnd.choice(EVENT)}", "negative", ["lost_item"],
                    day + timedelta(hours=rnd.uniform(7, 23)))
    created = Mention.objects.bulk_create(mentions, batch_size=2000)
    Classification.objects.bulk_create(
        [Classification(mention=m, model_name="authored", model_version="authored-v1", sentiment=s, topics=t,
                        topic_scores={x: 1.0 for x in t}, primary_topic=t[0]) for m, (s, t) in zip(created, labels)],
        batch_size=2000)
    plant_tickets([m for m, (sentiment, _) in zip(created, labels) if sentiment == "negative" and m.source_id != rival.id],
                  rnd)
    return len(created)


def plant_tickets(mentions, rnd: random.Random) -> None:
    """Simulated desk work: tickets for most negative mentions, closed within hours to days, a few still open."""
    from responders.models import Ticket, TicketKind, TicketState

    tickets = []
    for m in mentions:
        if rnd.random() > 0.6:
            continue
        opened, h = m.posted_at, timedelta(hours=1)
        close = rnd.choice([rnd.uniform(1, 24)] * 7 + [rnd.uniform(24, 48)] * 2 + [rnd.uniform(48, 96)])
        still_open = rnd.random() < 0.05
        tickets.append(Ticket(
            mention=m, kind=TicketKind.COMPLAINT, opened_at=opened, first_reply_due=opened + 24 * h,
            resolution_due=opened + 48 * h, first_replied_at=opened + min(close, rnd.uniform(0.5, 12)) * h,
            closed_at=None if still_open else opened + close * h, reply_count=1 if rnd.random() < 0.8 else 2,
            state=TicketState.CLAIMED if still_open else TicketState.CLOSED))
    Ticket.objects.bulk_create(tickets, batch_size=2000)


def screenshot(html: Path, png: Path, height: int = 0) -> None:
    """Save a PNG of an HTML report as Chromium renders it (the top `height` pixels, or the full page)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get("OTKLIK_CHROMIUM", "/usr/bin/chromium"),
                                    args=["--headless", "--no-sandbox", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(html.resolve().as_uri())
        clip = {"x": 0, "y": 0, "width": 1200, "height": height} if height else None
        page.screenshot(path=png, full_page=True, clip=clip)
        browser.close()
    print(f"screenshot: {png}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mentions", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=28)
    ap.add_argument("--out", type=Path, default=None, help="Keep the report here (default: a temporary folder).")
    ap.add_argument("--screenshot", type=Path, default=None, help="Save a PNG of the HTML report.")
    ap.add_argument("--height", type=int, default=0, help="Screenshot only the top HEIGHT pixels (0: full page).")
    ap.add_argument("--html", type=Path, default=None,
                    help="Only take the screenshot of this existing report (e.g. the demo's) and stop.")
    args = ap.parse_args()
    if args.html:
        screenshot(args.html, args.screenshot or args.html.with_suffix(".png"), args.height)
        return
    os.environ["OTKLIK_HOME"] = tempfile.mkdtemp(prefix="otklik-bench-")
    os.environ.pop("DATABASE_URL", None)
    from otklik.clitools import django

    django()
    from django.utils import timezone

    from reports.alerts import check_alerts
    from reports.build import build_report
    from reports.config import load_config
    from reports.data import collect

    tz = timezone.get_current_timezone()
    start = datetime(2026, 11, 1, tzinfo=tz)
    end = start + timedelta(days=args.days)
    t = time.perf_counter()
    n = plant(args.mentions, args.days, start)
    print(f"planted {n} mentions over {args.days} days in {time.perf_counter() - t:.1f} s")
    report_start = end - timedelta(days=14)
    t = time.perf_counter()
    data = collect(report_start, end)
    print(f"collect, 14 days ({data.total} own mentions, {len(data.spikes)} spikes): {time.perf_counter() - t:.1f} s")
    out = args.out or Path(tempfile.mkdtemp(prefix="otklik-bench-report-"))
    html = None
    for formats in (("html",), ("csv", "xlsx")):
        t = time.perf_counter()
        files = build_report(report_start, end, out, formats=formats)
        html = html or files.html
        print(f"build_report {'+'.join(formats)}: {time.perf_counter() - t:.1f} s")
    alert_cfg = load_config().alerts
    t = time.perf_counter()
    result = check_alerts(start + timedelta(days=19, hours=22), alert_cfg, dry_run=True)
    print(f"alerts check (dry run, {len(result.found)} spikes under way): {time.perf_counter() - t:.1f} s")
    for s in data.spikes:
        print(f"  spike {s.kind} {s.topic} {s.peak_at:%d.%m}: {s.count} vs {s.baseline:.1f}; "
              f"terms {', '.join(w for w, _ in s.terms[:5])}")
    if args.screenshot:
        screenshot(html, args.screenshot, args.height)
    print(f"report: {out}")


if __name__ == "__main__":
    main()
