"""Failpoints: named places where a test can make the process die, to prove a rerun loses and duplicates nothing.

Set OTKLIK_FAILPOINT="<name>:<n>" and the n-th time the code passes `failpoint("<name>")` the whole process
group gets SIGKILL (the batch and its crawl child, as when a machine or container dies). With
"<name>:<n>:raise" the n-th pass raises FailpointError instead (a bug in that code, e.g. a spider crashing
mid-page). With "<name>:<n>:pause" the n-th pass writes $OTKLIK_HOME/failpoint-paused and waits (at most
5 minutes) until a test removes that file (e.g. to take a backup mid-batch). Unset, a failpoint costs one
dictionary lookup.
"""

from __future__ import annotations

import os
import signal

_hits: dict[str, int] = {}


class FailpointError(RuntimeError):
    """Raised by a failpoint in `raise` mode."""


def failpoint(name: str) -> None:
    spec = os.environ.get("OTKLIK_FAILPOINT")
    if not spec:
        return
    target, _, rest = spec.partition(":")
    if target != name:
        return
    nth, _, action = rest.partition(":")
    _hits[name] = _hits.get(name, 0) + 1
    if action == "raise":
        if _hits[name] == int(nth or 1):
            raise FailpointError(f"failpoint {name} hit {_hits[name]} time(s)")
    elif action == "pause":
        if _hits[name] == int(nth or 1):
            _pause(name)
    elif _hits[name] >= int(nth or 1):
        os.killpg(os.getpgid(0), signal.SIGKILL)


def _pause(name: str) -> None:
    import time

    from store.paths import home

    flag = home() / "failpoint-paused"
    flag.write_text(name)
    deadline = time.monotonic() + 300
    while flag.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
