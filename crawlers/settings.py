"""Scrapy settings: polite by default (robots.txt, AutoThrottle, per-domain limits, honest User-Agent, backoff)."""

import os

BOT_NAME = "otklik"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

USER_AGENT = os.environ.get(
    "OTKLIK_USER_AGENT", "OtklikBot/0.1 (+https://github.com/otklik/otklik; feedback monitoring)"
)
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024

RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
# crawlers.middlewares.retry: wait before each retry (Retry-After, else exponential backoff).
RETRY_BACKOFF_BASE = 2.0
RETRY_BACKOFF_MAX = 60.0
RETRY_AFTER_MAX = 300.0

ITEM_PIPELINES = {
    "crawlers.pipelines.store.StorePipeline": 300,
}
DOWNLOADER_MIDDLEWARES = {
    # Scrapy's retries with a wait before each (Retry-After honoured), in the same place.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawlers.middlewares.retry.BackoffRetryMiddleware": 550,
    # After robots.txt (100) so robots requests are routed too; before the downloader.
    "crawlers.middlewares.snapshot.SnapshotMiddleware": 950,
}
EXTENSIONS = {
    "crawlers.extensions.SourceStateExtension": 500,
}

HTTPCACHE_ENABLED = False
LOG_LEVEL = os.environ.get("OTKLIK_CRAWL_LOG_LEVEL", "WARNING")
TELNETCONSOLE_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
