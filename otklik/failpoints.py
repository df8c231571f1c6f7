"""Failpoints: named places where a test can make the process die, to prove a rerun loses and duplicates nothing.

Set OTKLIK_FAILPOINT="<name>:<n>" and the n-th time the code passes `failpoint("<name>")` the whole process
group gets SIGKILL (the batch and its crawl child, as when a machine or container dies). Unset, a failpoint
costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

_hits: dict[str, int] = {}


def failpoint(name: str) -> None:
    spec = os.environ.get("OTKLIK_FAILPOINT")
    if not spec:
        return
    target, _, nth = spec.partition(":")
    if target != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] >= int(nth or 1):
        os.killpg(os.getpgid(0), signal.SIGKILL)
