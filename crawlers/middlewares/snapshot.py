"""Route requests to a local snapshot server instead of the internet (the offline demo and the tests).

With OTKLIK_SNAPSHOT_URL=http://127.0.0.1:PORT, a request for https://host/path?q goes to
http://127.0.0.1:PORT/host/path?q, and the response carries the original URL again, so
spiders, stored URLs and dedup see the real addresses.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.exceptions import NotConfigured

ORIGINAL_URL = "snapshot_original_url"  # request meta: the real address of a request sent to the snapshot server


def real_url(r) -> str:
    """The real address of a request or response (its snapshot server's address is only where it was served)."""
    return r.meta.get(ORIGINAL_URL, r.url)


class SnapshotMiddleware:
    def __init__(self, base: str):
        self.base = base.rstrip("/")

    @classmethod
    def from_crawler(cls, crawler):
        base = crawler.settings.get("OTKLIK_SNAPSHOT_URL")
        if not base:
            raise NotConfigured
        return cls(base)

    def process_request(self, request):
        if ORIGINAL_URL in request.meta or request.url.startswith(self.base):
            return None
        parts = urlsplit(request.url)
        local = f"{self.base}/{parts.netloc}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")
        meta = {**request.meta, ORIGINAL_URL: request.url}
        return request.replace(url=local, meta=meta, dont_filter=True)

    def process_response(self, request, response):
        original = request.meta.get(ORIGINAL_URL)
        return response.replace(url=original) if original else response
