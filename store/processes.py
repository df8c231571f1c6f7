"""Child processes that never outlive their parent, and locks that die with their holder (no Django here).

- `die_with_parent(pid)`, called first thing in a child: Linux's parent-death signal (prctl PR_SET_PDEATHSIG,
  SIGKILL) plus a thread that polls the parent elsewhere, so even a SIGKILLed parent takes the child along.
- `guard(pid)`: for a child we do not start ourselves (Prefect's temporary API server), a watchdog process
  holding the read end of a pipe from this process. When this process dies, however (SIGKILL included), the
  kernel closes the pipe, the watchdog reads end-of-file and kills every guarded process that is still the
  same process (start time checked), then exits.
- `try_lock(path)`: an exclusive `flock` held by an open file; the kernel drops it when its holder dies, so a
  killed holder never leaves a stale lock behind.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int, poll_s: float = 1.0) -> None:
    """End this process with SIGKILL as soon as `parent_pid` (its parent when it started) is gone."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(poll_s)
        os._exit(1)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), '' elsewhere; None if it does not exist."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]


_guardian: subprocess.Popen | None = None
_guardian_pipe: IO[str] | None = None


def guard(pid: int) -> None:
    """Kill process `pid` (and its process group if it leads one) when this process dies."""
    global _guardian, _guardian_pipe
    if _guardian is None or _guardian.poll() is not None:
        read_fd, write_fd = os.pipe()
        _guardian = subprocess.Popen([sys.executable, "-m", "store.processes", "guard", str(os.getpid())],
                                     stdin=read_fd, close_fds=True, start_new_session=True,
                                     cwd=Path(__file__).resolve().parents[1])
        os.close(read_fd)
        _guardian_pipe = os.fdopen(write_fd, "w", buffering=1)
    _guardian_pipe.write(f"{pid} {_start_time(pid) or ''}\n")


def guardian_pid() -> int | None:
    """The watchdog's pid (tests check that it ends too)."""
    return _guardian.pid if _guardian else None


def _watch(stdin: IO[str]) -> None:
    """The watchdog: read guarded pids until end-of-file (the parent died or exited), then kill them."""
    victims = []
    for line in stdin:
        parts = line.split()
        if parts:
            victims.append((int(parts[0]), parts[1] if len(parts) > 1 else ""))
    alive = [(pid, st) for pid, st in victims if st and _start_time(pid) == st or not st and _start_time(pid)]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid, _ in alive:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 5
        while sig == signal.SIGTERM and time.monotonic() < deadline and any(_start_time(p) for p, _ in alive):
            time.sleep(0.1)


def try_lock(path: str | Path) -> IO | None:
    """An exclusive lock on `path` (created if missing), held while the returned file stays open; None if busy."""
    import fcntl

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "a+")
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        return None
    fh.seek(0)
    fh.truncate()
    fh.write(f"{os.getpid()}\n")
    fh.flush()
    return fh


if __name__ == "__main__" and sys.argv[1:2] == ["guard"]:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the terminal is for the parent
    _watch(sys.stdin)
