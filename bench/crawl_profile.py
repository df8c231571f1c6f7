"""cProfile one crawl of N synthetic mentions in this process (no child; the fake server as a thread).

    PYTHONPATH=. .venv/bin/python bench/crawl_profile.py 10000

Uses bench/e2e_bench.py's data and database set-up; writes var/crawl-N.prof and prints the top 45
functions by cumulative time. Only the reactor thread is profiled (the store runs on another thread).
"""

from __future__ import annotations

import cProfile
import pstats
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import e2e_bench  # noqa: E402
from benchio import register_sources  # noqa: E402


def main(n: int) -> None:
    home = e2e_bench.prepare(n)
    from crawlers.fakeweb import FakeWeb
    from crawlers.runner import run_in_this_process
    from crawlers.sources import crawl_specs

    with FakeWeb() as web:
        sources = e2e_bench.build(n, web)
        register_sources(home, sources)
        settings = {"OTKLIK_SNAPSHOT_URL": web.url, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
                    "CONCURRENT_REQUESTS": 32, "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "LOG_LEVEL": "ERROR"}
        specs = crawl_specs()
        prof = cProfile.Profile()
        prof.enable()
        run_in_this_process(specs, settings)
        prof.disable()
    out = ROOT / "var" / f"crawl-{n}.prof"
    prof.dump_stats(out)
    pstats.Stats(prof).sort_stats("cumulative").print_stats(45)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
