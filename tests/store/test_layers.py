"""The store is the ground floor: none of its modules imports the packages built on top of it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STORE = ROOT / "store"
# classifiers is a Django-free library the classify service calls, not a layer above
ABOVE = {"crawlers", "responders", "reports", "search", "flows", "otklik"}

PROBE = """
import pkgutil, importlib, sys
from store.django_setup import setup
setup()
import store, store.services
names = [m.name for m in pkgutil.walk_packages(store.__path__, "store.") if m.name != "store.wsgi"]
for name in names:
    importlib.import_module(name)
print(len(names), sorted(m for m in sys.modules if m == "crawlers" or m.startswith("crawlers.")))
"""


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


def test_store_modules_import_nothing_from_the_crawlers():
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    count, loaded = out.stdout.strip().split(" ", 1)
    assert int(count) >= 15 and loaded == "[]", out.stdout


def test_bulk_changes_reach_the_search_outbox_through_the_store_signal(db):
    from search.models import IndexOutbox
    from store.services.classify import enqueue_for_index
    from tests.factories import mention

    m = mention("Курьер опоздал")
    IndexOutbox.objects.all().delete()
    enqueue_for_index([m.pk], "classification")
    assert list(IndexOutbox.objects.values_list("mention_id", "reason")) == [(m.pk, "classification")]
