"""The hostile-input corpus through the whole batch: real spiders → store → classify (rules) → route → index.

Every case of tests/data/hostile/manifest.yaml is a source; the batch must not crash, every case must end
exactly as its manifest says (stored, quarantined with a matching reason, deduplicated), injection text must be
stored verbatim and shown escaped, and a rerun must change nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Q
from django.utils.html import escape

from flows.batch import batch_flow
from responders.models import Ticket
from search.models import IndexOutbox, SearchDocument
from store.models import Classification, Mention, QuarantinedItem
from tests.hostile import Case, load_cases, serve, write_sources
from tests.postgres_rerun import ROOT, rerun_on_postgres

CASES = load_cases()
SETTINGS = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "RETRY_TIMES": 0, "ROBOTSTXT_OBEY": False,
            "CONCURRENT_REQUESTS": 8, "CONCURRENT_REQUESTS_PER_DOMAIN": 8}
TABLES = ("store_mention", "store_classification", "store_source", "responders_ticket", "search_indexoutbox")


def snapshot() -> dict[str, int]:
    return {"mentions": Mention.objects.count(), "quarantined": QuarantinedItem.objects.count(),
            "classifications": Classification.objects.count(), "tickets": Ticket.objects.count(),
            "indexed": SearchDocument.objects.count()}


def case_problems(case: Case, crawl: dict, client) -> list[str]:
    """What differs from the manifest's expectations for one case (empty: as expected)."""
    exp, out = case.expect, []
    mentions = list(Mention.objects.filter(source__name=case.id))
    quarantined = list(QuarantinedItem.objects.filter(source__name=case.id).values_list("reason", flat=True))
    texts = [f"{m.title}\n{m.text}" for m in mentions]

    def check(what: str, got, want) -> None:
        if got != want:
            out.append(f"{what}: got {got!r}, expected {want!r}")

    check("stored", len(mentions), exp["stored"])
    check("quarantined", len(quarantined), exp["quarantined"])
    if exp.get("reason"):
        out += [f"quarantine reason {r!r} does not match {exp['reason']!r}"
                for r in quarantined if not re.search(exp["reason"], r)]
    if "repeats" in exp:
        check("repeats", crawl[case.id]["repeat"], exp["repeats"])
    if "duplicates" in exp:
        check("duplicates", sum(m.duplicate_of_id is not None for m in mentions), exp["duplicates"])
    if "tickets" in exp:
        check("tickets", Ticket.objects.filter(mention__source__name=case.id).count(), exp["tickets"])
    if "truncated" in exp:
        check("truncated", sum("truncated_from_chars" in m.raw for m in mentions), exp["truncated"])
    if "estimated_dates" in exp:
        check("dates estimated", sum("date_estimated" in m.raw for m in mentions), exp["estimated_dates"])
    if "future_clamped" in exp:
        check("future dates clamped", sum("claimed_posted_at" in m.raw for m in mentions), exp["future_clamped"])
    out += [f"no stored text contains {s!r}" for s in exp.get("contains", []) if not any(s in t for t in texts)]
    out += [f"a stored text contains {s!r}" for s in exp.get("absent", []) if any(s in t for t in texts)]
    if exp.get("rendered_escaped"):
        out += rendering_problems(mentions, client)
    return out


def rendering_problems(mentions: list[Mention], client) -> list[str]:
    """The desk's ticket page shows each mention's markup as text: escaped, never as live HTML."""
    out = []
    for m in mentions:
        ticket = Ticket.objects.filter(mention=m).first()
        if ticket is None:
            out.append(f"{m.external_id}: no ticket to render")
            continue
        page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
        for field, value in (("text", m.text), ("title", m.title), ("author", m.author)):
            if value and escape(value) not in page:
                out.append(f"{m.external_id}: the ticket page does not show the escaped {field}")
            if "<" in value and value in page:
                out.append(f"{m.external_id}: the {field}'s markup is in the page unescaped")
            if "<script>" in value and "&lt;script&gt;" not in page:
                out.append(f"{m.external_id}: no &lt;script&gt; in the page for the {field}")
    return out


@pytest.mark.usefixtures("prefect_harness")
def test_hostile_corpus_through_the_batch(shared_db, tmp_path, client, django_user_model, monkeypatch):
    from django.contrib.auth.models import Group

    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
    monkeypatch.setenv("OTKLIK_MODEL", "rules")
    sources = write_sources(CASES, tmp_path / "sources.yaml")
    with serve(CASES) as web:
        settings = {**SETTINGS, "OTKLIK_SNAPSHOT_URL": web.url}
        result = batch_flow(sources_file=str(sources), crawl_settings=settings, alerts=False)
        first = snapshot()

        # Nothing crashed: every source ran to its end, and every stage saw every stored mention.
        assert set(result["crawl"]) == {c.id for c in CASES}
        crashed = {name: s["errors"] for name, s in result["crawl"].items() if s["errors"]}
        assert not crashed, f"spiders crashed on hostile input (pages lost): {crashed}"
        assert not QuarantinedItem.objects.filter(Q(reason="") | Q(source__isnull=True)).exists()
        assert result["classify"]["classified"] == first["mentions"] == first["classifications"]
        originals = Mention.objects.filter(duplicate_of__isnull=True).count()
        assert first["tickets"] == originals  # copies join their original's ticket: no duplicates counted
        assert first["indexed"] == first["mentions"] and not IndexOutbox.objects.exists()
        tables = set(connection.introspection.table_names())
        assert set(TABLES) <= tables, "a table is gone"

        user = django_user_model.objects.create_user("lead", password="pw")
        user.groups.add(Group.objects.get_or_create(name="lead")[0])
        client.force_login(user)
        problems = {c.id: p for c in CASES if (p := case_problems(c, result["crawl"], client))}
        assert not problems, "\n".join(f"{cid} ({next(c.note for c in CASES if c.id == cid)}): {'; '.join(p)}"
                                       for cid, p in problems.items())

        # A rerun of the same pages stores, quarantines, classifies and opens nothing new.
        again = batch_flow(sources_file=str(sources), crawl_settings=settings, alerts=False, due_only=False)
        assert snapshot() == first
        assert sum(s["new"] + s["near_duplicate"] for s in again["crawl"].values()) == 0
        assert again["classify"]["classified"] == 0 and again["route"]["opened"] == 0


@pytest.mark.postgres
def test_hostile_corpus_on_postgres():
    """The same corpus on PostgreSQL (NUL bytes, lengths and types are enforced there, not on SQLite)."""
    proc, tail = rerun_on_postgres(f"{Path(__file__).relative_to(ROOT)}::test_hostile_corpus_through_the_batch")
    assert proc.returncode == 0 and re.search(r"1 passed", proc.stdout), tail
