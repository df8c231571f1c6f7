"""No orphans: SIGKILL `otklik batch` (its main process alone) mid-crawl and nothing it started lives on — not the
crawl child, not Prefect's temporary API server; and a per-source lock keeps two crawls of one source apart.

Real processes and real SIGKILLs; the crawl hangs on purpose on a FakeWeb page that answers only when released.
Linux only (the test reads /proc to find the batch's descendants).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from crawlers.fakeweb import FakeWeb, Reply

ROOT = Path(__file__).resolve().parents[2]
SOURCES = "sources:\n  - {name: slow, kind: telegram, channel: slowchan}\n"
PAGE = ('<html><body><section class="tgme_channel_history">'
        '<div class="tgme_widget_message js-widget_message" data-post="slowchan/1">'
        '<div class="tgme_widget_message_text js-message_text">Курьер опоздал</div>'
        '<a class="tgme_widget_message_date" href="https://t.me/slowchan/1">'
        '<time datetime="2026-11-20T10:00:00+03:00"></time></a></div></section></body></html>')

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw.rsplit(")", 1)[1].split()


def alive(pid: int) -> bool:
    st = _stat(pid)
    return st is not None and st[0] not in ("Z", "X")  # a zombie has ended; only its exit status waits


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (st := _stat(int(entry.name))) and st[0] not in ("Z", "X"):
            children.setdefault(int(st[1]), []).append(int(entry.name))
    out, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class SlowChannel:
    """t.me/s/slowchan: the first request hangs until released (or 180 s), later ones answer at once."""

    def __init__(self) -> None:
        self.hit = threading.Event()
        self.release = threading.Event()
        self.calls = 0

    def __call__(self, query: dict) -> Reply:
        self.calls += 1
        if self.calls == 1:
            self.hit.set()
            self.release.wait(180)
        return Reply(PAGE)


@pytest.fixture
def slow_web():
    web, channel = FakeWeb(), SlowChannel()
    web.add("https://t.me/s/slowchan", channel)
    with web:
        yield web, channel
        channel.release.set()


def _env(home: Path, web: FakeWeb) -> dict:
    env = {**os.environ, "OTKLIK_HOME": str(home), "DATABASE_URL": f"sqlite:///{home / 'db.sqlite3'}",
           "OTKLIK_SNAPSHOT_URL": web.url, "OTKLIK_MODEL": "rules"}
    for name in ("PREFECT_API_URL", "OTKLIK_FAILPOINT", "PREFECT_HOME"):
        env.pop(name, None)  # no API: the batch starts Prefect's temporary server itself
    return env


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def test_sigkilled_batch_leaves_no_process_and_no_lock(slow_web, tmp_path):
    web, channel = slow_web
    sources = tmp_path / "sources.yaml"
    sources.write_text(SOURCES)
    env = _env(tmp_path, web)
    family: set[int] = set()
    batch = subprocess.Popen([sys.executable, "-m", "otklik", "batch", "--sources-file", str(sources), "--no-alerts"],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)
    try:
        assert channel.hit.wait(240), "the crawl never reached the slow page"
        family = descendants(batch.pid)
        names = {pid: cmdline(pid) for pid in family}
        assert any("uvicorn" in c for c in names.values()), names  # Prefect's temporary API server
        assert any("multiprocessing" in c for c in names.values()), names  # the crawl child

        # While the batch crawls `slow`, a second crawl of it does not start: the source is busy.
        second = subprocess.run([sys.executable, "-m", "otklik", "crawl", "--sources-file", str(sources), "slow"],
                                cwd=ROOT, env={**env, "COLUMNS": "200"}, capture_output=True, text=True, timeout=300)
        assert second.returncode == 0, second.stdout + second.stderr
        assert "busy" in second.stdout and channel.calls == 1

        os.kill(batch.pid, signal.SIGKILL)  # the main process alone, as an OOM killer or `kill -9 PID` would
        batch.wait(timeout=30)
        _wait(lambda: not any(alive(pid) for pid in family), 30,
              f"the batch's processes to end: {[names[p] for p in family if alive(p)]}")
    finally:
        if batch.poll() is None:
            os.killpg(batch.pid, signal.SIGKILL)
        for pid in family:  # a failed run must not leave its orphans on the test machine either
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        channel.release.set()

    # The lock died with its holder: a new crawl of the source runs and stores the message.
    third = subprocess.run([sys.executable, "-m", "otklik", "crawl", "--sources-file", str(sources), "slow"],
                           cwd=ROOT, env={**env, "COLUMNS": "200"}, capture_output=True, text=True, timeout=300)
    assert third.returncode == 0, third.stdout + third.stderr
    assert "busy" not in third.stdout and " ok" in third.stdout
