"""The store is the ground floor: importing every store module (admin included) loads nothing from the crawlers."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

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


def test_store_modules_import_nothing_from_the_crawlers():
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    count, loaded = out.stdout.strip().split(" ", 1)
    assert int(count) >= 15 and loaded == "[]", out.stdout
