"""Honest counts: concurrent `otklik classify` runs over the same mentions report, together, the rows written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from store.models import Classification, Mention
from tests.factories import source

ROOT = Path(__file__).resolve().parents[2]
ROWS, RUNS = 2000, 3


def test_concurrent_classify_counts_add_up(shared_db):
    from store.text import content_hash

    src = source()
    posted = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
    Mention.objects.bulk_create([
        Mention(source=src, external_id=f"m{i}", text=f"Курьер опоздал на {i} минут, посылка мятая",
                posted_at=posted, content_hash=content_hash(f"m{i}")) for i in range(ROWS)])
    env = dict(os.environ)  # shared_db points DATABASE_URL at the test database
    cmd = [sys.executable, "-m", "otklik", "classify", "--model", "rules", "--batch-size", "16"]
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(RUNS)]
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    counts = [int(re.search(r"Classified (\d+) mentions", out).group(1)) for out in outputs]
    written = Classification.objects.count()
    assert written == ROWS
    assert sum(counts) == written, counts
