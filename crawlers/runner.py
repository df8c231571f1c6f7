"""Run crawls in a child process: Twisted's reactor cannot restart, so every crawl gets a fresh process."""

from __future__ import annotations

import multiprocessing as mp
import os
from dataclasses import dataclass, field

from crawlers.spiders.appstore import AppStoreSpider
from crawlers.spiders.review_site import ReviewSiteSpider
from crawlers.spiders.rss import RssSpider
from crawlers.spiders.telegram import TelegramSpider
from crawlers.spiders.vk import VkSpider

SPIDERS = {cls.kind: cls for cls in (AppStoreSpider, TelegramSpider, VkSpider, ReviewSiteSpider, RssSpider)}
COUNTERS = ("new", "near_duplicate", "repeat", "quarantined")


@dataclass
class CrawlStats:
    """What one crawl did, per source and in total."""

    per_source: dict[str, dict[str, int]] = field(default_factory=dict)

    def total(self, key: str) -> int:
        return sum(s.get(key, 0) for s in self.per_source.values())

    @property
    def crawled(self) -> int:
        return sum(self.total(k) for k in ("new", "near_duplicate", "repeat"))


class CrawlFailed(RuntimeError):
    pass


def crawl(sources: list[dict], settings: dict | None = None, timeout: float = 3600) -> CrawlStats:
    """Crawl the given sources ({name, kind, config, state}) in a child process and return its stats."""
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(sources, settings or {}, queue, os.getpid()), daemon=False)
    proc.start()
    try:
        result = queue.get(timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - queue.Empty or a dead child: both are a failed crawl
        proc.kill()
        raise CrawlFailed(f"crawl process gave no result: {exc!r}") from None
    finally:
        proc.join(timeout=30)
    if "error" in result:
        raise CrawlFailed(result["error"])
    return CrawlStats(per_source=result["per_source"])


def _child(sources: list[dict], overrides: dict, queue, parent_pid: int | None = None) -> None:
    if parent_pid is not None:
        from store.processes import die_with_parent

        die_with_parent(parent_pid)  # a SIGKILLed batch must not leave its crawl running
    try:
        queue.put(run_in_this_process(sources, overrides))
    except BaseException as exc:  # noqa: BLE001 - report every failure to the parent
        import traceback

        queue.put({"error": f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"})


def run_in_this_process(sources: list[dict], overrides: dict) -> dict:
    """Run the spiders here (blocks until done); the reactor starts and stops once per process."""
    from store.django_setup import setup

    setup()
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawlers.settings", priority="project")
    settings.setdict(overrides, priority="cmdline")
    if os.environ.get("OTKLIK_SNAPSHOT_URL") and "OTKLIK_SNAPSHOT_URL" not in overrides:
        settings.set("OTKLIK_SNAPSHOT_URL", os.environ["OTKLIK_SNAPSHOT_URL"], priority="cmdline")
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    from crawlers.redact import Redactor, install_log_redaction
    from store.faults import quiet_machine_faults

    install_log_redaction(Redactor(src["config"]["token_env"] for src in sources if (src.get("config") or {}).get("token_env")))
    quiet_machine_faults()  # a full disk: one line per failed batch, not a traceback each
    locks, busy = _lock_sources([src["name"] for src in sources])
    process = CrawlerProcess(settings)
    crawlers = {}
    for src in sources:
        if src["name"] in busy:
            continue
        spider_cls = SPIDERS[src["kind"]]
        crawler = process.create_crawler(spider_cls)
        crawlers[src["name"]] = crawler
        process.crawl(crawler, source=src["name"], config=src.get("config") or {}, state=src.get("state") or {})
    process.start()
    per_source = {}
    for name, crawler in crawlers.items():
        stats = crawler.stats.get_stats()
        per_source[name] = {k: int(stats.get(f"otklik/{k}", 0)) for k in COUNTERS}
        robots = int(stats.get("robotstxt/response_count", 0))
        per_source[name]["pages"] = int(stats.get("response_received_count", 0)) - robots
        per_source[name]["errors"] = int(stats.get("otklik/spider_errors", 0))
        per_source[name]["failed_pages"] = int(stats.get("otklik/failed_pages", 0))
        per_source[name]["retries"] = int(stats.get("retry/count", 0))
        per_source[name]["ok"] = int(bool(stats.get("otklik/ok", False)))
        per_source[name]["status"] = str(stats.get("otklik/status", ""))
    for name in busy:
        per_source[name] = {**{k: 0 for k in COUNTERS}, "pages": 0, "errors": 0, "failed_pages": 0, "retries": 0,
                            "ok": 0, "busy": 1, "status": "занят: этот источник уже обходит другой процесс"}
    for fh in locks:
        fh.close()
    return {"per_source": per_source}


def _lock_sources(names: list[str]) -> tuple[list, set[str]]:
    """Take each source's crawl lock ($OTKLIK_HOME/locks/crawl-<source>.lock); the busy ones are left out.

    The lock is held by this (crawling) process, so the kernel frees it when the process ends in any way.
    """
    import hashlib

    from store.paths import home
    from store.processes import try_lock

    locks, busy = [], set()
    for name in names:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:80]
        digest = hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        fh = try_lock(home() / "locks" / f"crawl-{safe}-{digest}.lock")
        if fh is None:
            busy.add(name)
        else:
            locks.append(fh)
    return locks, busy
