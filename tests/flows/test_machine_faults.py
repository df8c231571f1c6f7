"""Machine faults end in one clear line, before any work when they can be seen beforehand, and a rerun after the
fix completes the work: a read-only database, an unwritable reports folder, a read-only Prefect home, and a disk
that fills up mid-batch.

Real permissions: as root (CI) read-only bind mounts and a small tmpfs (root ignores file modes); otherwise file
modes, and the full-disk test is skipped.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile import _telegram_big_page

ROOT = Path(__file__).resolve().parents[2]
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def otklik(*args: str, env: dict, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "otklik", *args], cwd=ROOT, env={**env, "COLUMNS": "300"},
                          capture_output=True, text=True, timeout=timeout)


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


@contextlib.contextmanager
def read_only(path: Path):
    """`path` (a file or a folder) read-only for this user, then writable again."""
    if IS_ROOT:
        try:
            _mount("--bind", str(path), str(path))
            _mount("-o", "remount,bind,ro", str(path))
        except (subprocess.CalledProcessError, FileNotFoundError) as exc:
            pytest.skip(f"cannot make a read-only bind mount as root here: {exc}")
        try:
            yield
        finally:
            subprocess.run(["umount", str(path)], check=False)
    else:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)


@pytest.fixture
def env(tmp_path, prefect_harness):
    from prefect.settings import PREFECT_API_URL

    home = tmp_path / "home"
    home.mkdir()
    api = PREFECT_API_URL.value()
    e = {**os.environ, "OTKLIK_HOME": str(home), "DATABASE_URL": f"sqlite:///{home / 'db.sqlite3'}",
         "OTKLIK_MODEL": "rules", "OTKLIK_RETRY_DELAYS": "0.2"}
    e.pop("OTKLIK_FAILPOINT", None)
    if api:
        e["PREFECT_API_URL"] = api
    assert otklik("migrate", env=e).returncode == 0
    return e


def _sources(tmp_path: Path, channel: str = "fullchan") -> Path:
    p = tmp_path / "sources.yaml"
    p.write_text(f"sources:\n  - {{name: big, kind: telegram, channel: {channel}}}\n")
    return p


def assert_one_line(proc: subprocess.CompletedProcess, *expected: str) -> None:
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-3000:]
    assert "Traceback" not in out, out[-5000:]
    errors = [line for line in out.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, out[-3000:]
    for text in expected:
        assert text in errors[0], errors[0]


def test_read_only_database_stops_before_work(env, tmp_path):
    db = Path(env["OTKLIK_HOME"]) / "db.sqlite3"
    with read_only(db):
        proc = otklik("batch", "--sources-file", str(_sources(tmp_path)), "--no-alerts", env=env, timeout=120)
    assert_one_line(proc, "нельзя писать в базу данных", str(db), "readonly database")
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM store_source").fetchone() == (0,)


def test_unwritable_reports_folder_stops_the_demo_before_work(env):
    reports = Path(env["OTKLIK_HOME"]) / "reports"
    reports.mkdir()
    with read_only(reports):
        proc = otklik("demo", env=env, timeout=120)
    assert_one_line(proc, "нельзя писать в каталог отчётов", str(reports))
    db = Path(env["OTKLIK_HOME"]) / "db.sqlite3"
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM store_mention").fetchone() == (0,)


def test_read_only_prefect_home_is_named(env, tmp_path):
    prefect_home = tmp_path / "prefect"
    prefect_home.mkdir()
    env = {**env, "PREFECT_HOME": str(prefect_home)}
    env.pop("PREFECT_API_URL", None)
    with read_only(prefect_home):
        proc = otklik("batch", "--sources-file", str(_sources(tmp_path)), "--no-alerts", env=env, timeout=120)
    assert_one_line(proc, "нельзя писать в каталог Prefect (PREFECT_HOME)", str(prefect_home))


@pytest.mark.skipif(not IS_ROOT, reason="mounting a small tmpfs needs root")
def test_disk_full_mid_batch_is_one_line_and_the_rerun_completes(env, tmp_path):
    from crawlers.fakeweb import FakeWeb, Reply

    disk = tmp_path / "disk"
    disk.mkdir()
    db = Path(env["OTKLIK_HOME"]) / "db.sqlite3"
    size_kb = db.stat().st_size // 1024 + 600  # the schema and a few hundred of the 2,000 mentions
    try:
        _mount("-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(disk))
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    try:
        shutil.copy(db, disk / "db.sqlite3")
        env = {**env, "DATABASE_URL": f"sqlite:///{disk / 'db.sqlite3'}"}
        web = FakeWeb()
        web.add("https://t.me/s/fullchan", Reply(_telegram_big_page("fullchan", 2000, 0, seed=5)))
        sources = _sources(tmp_path)
        with web:
            env["OTKLIK_SNAPSHOT_URL"] = web.url
            proc = otklik("batch", "--sources-file", str(sources), "--no-alerts", env=env)
            assert_one_line(proc, "диск заполнен", str(disk / "db.sqlite3"))
            _mount("-o", "remount,size=256m", str(disk))  # the fix: more space
            rerun = otklik("batch", "--sources-file", str(sources), "--no-alerts", env=env)
        assert rerun.returncode == 0, (rerun.stdout + rerun.stderr)[-3000:]
        conn = sqlite3.connect(disk / "db.sqlite3")
        count = lambda table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: E731
        assert count("store_mention") == 2000 and count("store_classification") == 2000
        originals = conn.execute("SELECT COUNT(*) FROM store_mention WHERE duplicate_of_id IS NULL").fetchone()[0]
        assert count("responders_ticket") == originals
        conn.close()
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
