"""Print what a demo batch did, in words a moderator or marketer reads at a glance."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from rich.console import Console
from rich.table import Table


def taxonomy_name(code: str) -> str:
    from classifiers.taxonomy import load_taxonomy

    return "негатив по всем темам" if code == "*" else load_taxonomy().name(code)


def print_demo_summary(console: Console, result: dict, started: datetime) -> None:
    from classifiers.taxonomy import load_taxonomy
    from store.models import Classification

    crawl = result["crawl"]
    total = lambda k: sum(s.get(k, 0) for s in crawl.values())  # noqa: E731
    new, copies, repeats, quarantined = total("new"), total("near_duplicate"), total("repeat"), total("quarantined")
    crawled = new + copies + repeats
    clf, route = result["classify"], result["route"]
    console.rule("[bold]Otklik demo batch")
    console.print(f"Crawled {crawled} mentions from {len(crawl)} sources: [bold]{new + copies} new[/bold] "
                  f"({copies} of them copies/cross-posts linked to an original), {repeats} already known, "
                  f"{quarantined} quarantined with a reason.")
    table = Table("source", "pages", "new", "copies", "known", "quarantined")
    for name, s in sorted(crawl.items()):
        table.add_row(name, *(str(s.get(k, 0)) for k in ("pages", "new", "near_duplicate", "repeat", "quarantined")))
    console.print(table)
    console.print(f"Classified {clf['classified']} mentions with {clf['model']} (version {clf['version']}).")
    rows = Classification.objects.filter(model_version=clf["version"], created_at__gte=started, corrected_by=None)
    if clf["classified"]:
        sentiments = Counter(rows.values_list("sentiment", flat=True))
        console.print("Sentiment: " + ", ".join(f"{k} {v}" for k, v in sentiments.most_common()))
        taxonomy = load_taxonomy()
        topics = Counter(t for ts in rows.values_list("topics", flat=True) for t in ts)
        console.print("Topics: " + ", ".join(f"{taxonomy.name(k)} {v}" for k, v in topics.most_common()))
    by_kind = ", ".join(f"{k} {v}" for k, v in sorted(route["by_kind"].items()))
    console.print(f"Tickets: [bold]{route['opened']} opened[/bold], {route['dismissed']} dismissed (spam, news)"
                  f"{f' — {by_kind}' if by_kind else ''}; {route['skipped_duplicates']} copies joined their original; "
                  f"{route['linked_to_order']} linked to an order.")
    sla = result.get("sla") or {}
    if sla:
        console.print(f"48-hour clock: {sla.get('breached', 0)} tickets breached, {sla.get('at_risk', 0)} at risk "
                      "(the snapshot's feedback is days old: the clocks start when the customer wrote).")
    if new + copies == 0 and route["opened"] + route["dismissed"] == 0:
        console.print("[green]Nothing new since the last run: 0 new mentions, 0 new tickets.[/green]")
    spikes = ", ".join(f"{taxonomy_name(s['topic'])} {s['peak']}" for s in result["report"].get("spikes", []))
    console.print(f"Report: {result['report']['html']}" + (f" (spikes: {spikes})" if spikes else ""))
    console.print("Desk: `otklik users add NAME --role moderator` once, then `otklik desk` and open "
                  "http://127.0.0.1:8000/")
