"""The store is the bottom layer: none of its modules imports the packages built on top of it."""

from __future__ import annotations

import ast
from pathlib import Path

STORE = Path(__file__).resolve().parents[2] / "store"
# (store/services/sources.py still imports crawlers for validation: a known exception, not checked here.)
ABOVE = {"responders", "reports", "search", "flows"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.split(".")[0])
    return roots


def test_the_store_imports_no_upper_layer():
    files = [p for p in STORE.rglob("*.py") if "migrations" not in p.parts]
    assert len(files) > 10
    offenders = {str(p.relative_to(STORE)): sorted(imported_roots(p) & ABOVE) for p in files}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_bulk_changes_reach_the_search_outbox_through_the_store_signal(db):
    from search.models import IndexOutbox
    from store.services.classify import enqueue_for_index
    from tests.factories import mention

    m = mention("Курьер опоздал")
    IndexOutbox.objects.all().delete()
    enqueue_for_index([m.pk], "classification")
    assert list(IndexOutbox.objects.values_list("mention_id", "reason")) == [(m.pk, "classification")]
