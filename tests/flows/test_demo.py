"""The demo batch end to end, checked against the snapshot's authored truth (not against a previous run)."""

from __future__ import annotations

import csv
import json

import pytest
import yaml

from crawlers.snapshot_server import SNAPSHOT_DIR
from flows.demo import demo_batch
from responders.models import Ticket, TicketOrderLink
from store.models import Classification, Mention, QuarantinedItem

TRUTH = json.loads((SNAPSHOT_DIR / "truth.json").read_text(encoding="utf-8"))
AUTHORED = yaml.safe_load((SNAPSHOT_DIR / "authored.yaml").read_text(encoding="utf-8"))["mentions"]


def key(item: dict) -> str:
    return f"{item['source']}:{item['external_id']}"


def expected_order_links() -> dict[str, str]:
    """Authored mention → order number, resolved from the authored annotations and orders.csv by plain lookups."""
    with (SNAPSHOT_DIR / "orders.csv").open(encoding="utf-8") as fh:
        orders = list(csv.DictReader(fh))
    by_number = {o["order_number"]: o for o in orders}
    by_tracking = {o["tracking_number"]: o for o in orders if o["tracking_number"]}
    digits = lambda p: "".join(ch for ch in p if ch.isdigit())[-10:]  # noqa: E731
    by_phone = {}
    for o in orders:
        by_phone.setdefault(digits(o["phone"]), []).append(o)
    out = {}
    for m in AUTHORED:
        if m.get("duplicate_of"):
            continue  # copies join their original's ticket
        if m.get("order_number") in by_number:
            out[key(m)] = m["order_number"]
        elif m.get("tracking_number") in by_tracking:
            out[key(m)] = by_tracking[m["tracking_number"]]["order_number"]
        elif m.get("phone") and len(by_phone.get(digits(m["phone"]), [])) == 1:
            out[key(m)] = by_phone[digits(m["phone"])][0]["order_number"]
    return out


@pytest.mark.usefixtures("prefect_harness")
def test_demo_batch_matches_the_authored_truth_and_reruns_idempotently(shared_db, tmp_path):
    first = demo_batch(report_dir=str(tmp_path))
    crawl = first["crawl"]
    total = lambda k: sum(s[k] for s in crawl.values())  # noqa: E731

    distinct = TRUTH["distinct_mentions"]
    copies = TRUTH["near_duplicates"]["total"]
    assert Mention.objects.count() == distinct
    assert total("new") + total("near_duplicate") == distinct
    assert total("repeat") == TRUTH["items_in_responses"] - distinct
    assert Mention.objects.filter(duplicate_of__isnull=False).count() == copies
    assert QuarantinedItem.objects.count() == len(TRUTH["responses_to_quarantine"])
    assert Mention.objects.exclude(lang__in=["ru", ""]).count() == TRUTH["non_russian_items"]["total"]

    # Every mention is classified once by the model that ran, and the version is recorded.
    version = first["classify"]["version"]
    assert Classification.objects.filter(model_version=version).count() == distinct

    # Every original becomes exactly one ticket; copies join their original.
    assert Ticket.objects.count() == distinct - copies
    assert first["route"]["skipped_duplicates"] == copies

    # Order links: the ones the authored truth implies, and no others.
    links = {
        f"{link.ticket.mention.source.name}:{link.ticket.mention.external_id}": link.order.order_number
        for link in TicketOrderLink.objects.select_related("ticket__mention__source", "order")
    }
    expected = expected_order_links()
    assert len(links) == len(expected) == first["route"]["linked_to_order"]
    # A VK post served by both the wall and the search is stored under whichever VK source saw it first.
    not_vk = lambda d: {k: v for k, v in d.items() if not k.startswith("vk-")}  # noqa: E731
    assert not_vk(links) == not_vk(expected)
    assert sorted(links.values()) == sorted(expected.values())

    report = first["report"]
    html = open(report["html"], encoding="utf-8").read()
    assert "Задержка доставки" in html and "data:image/png;base64," in html
    # The planted snowstorm (delivery delays ×3 on 18–19 November) is reported as a spike.
    storm = {s["peak"] for s in report["spikes"] if s["topic"] == "delivery_delay"}
    assert storm & set(TRUTH["snowstorm"]["days"]), report["spikes"]

    # The second run finds nothing new and opens nothing.
    second = demo_batch(report_dir=str(tmp_path))
    assert sum(s["new"] + s["near_duplicate"] for s in second["crawl"].values()) == 0
    assert second["classify"]["classified"] == 0
    assert (second["route"]["opened"], second["route"]["dismissed"]) == (0, 0)
    assert Mention.objects.count() == distinct and Ticket.objects.count() == distinct - copies
