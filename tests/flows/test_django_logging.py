"""A flow run sets Django up without tearing down the logging Prefect configured.

Django's own set-up runs `logging.config.dictConfig`, which flushes and closes every existing handler while holding
logging's lock; in a Prefect flow-run process that made Prefect's API log handler wait out its 5-second flush guard
(and hang for good under a faked monotonic clock)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import logging

from {module} import setup  # importing Prefect configures its own logging first

calls = []


class Recording(logging.Handler):
    def emit(self, record):
        calls.append("emit")

    def flush(self):
        calls.append("flush")

    def close(self):
        calls.append("close")
        super().close()


host = Recording()
root = logging.getLogger()
root.addHandler(host)
root.setLevel(logging.ERROR)
setup()
logging.getLogger("otklik.check").info("after set-up")
print(host in root.handlers, "+".join(calls) or "-", logging.getLevelName(root.level))
"""


def _run(module: str, tmp_path: Path) -> list[str]:
    env = {**os.environ, "OTKLIK_HOME": str(tmp_path), "PYTHONPATH": str(ROOT), "OTKLIK_LOG_LEVEL": "INFO"}
    proc = subprocess.run([sys.executable, "-c", SCRIPT.format(module=module)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.split()


def test_a_flow_run_keeps_its_hosts_handlers_and_takes_the_log_level(tmp_path):
    assert _run("flows.tasks", tmp_path) == ["True", "emit", "INFO"]


def test_outside_a_flow_django_configures_logging_itself(tmp_path):
    kept, calls, level = _run("store.django_setup", tmp_path)
    assert kept == "False" and "flush" in calls.split("+") and "close" in calls.split("+") and level == "INFO"
