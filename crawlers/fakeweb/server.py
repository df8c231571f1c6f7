"""A local HTTP server standing in for the internet in tests and benchmarks (127.0.0.1 only).

Requests reach it through crawlers.middlewares.snapshot (OTKLIK_SNAPSHOT_URL), so a request
for https://t.me/s/chan?before=9 arrives as /t.me/s/chan?before=9. Each route (host + path)
answers from a Reply, a list of Replies served in turn (the last one repeats: "429, then
200"), or a function of the query. Every request is logged with its time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Reply:
    body: bytes | str = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    encoding: str = "utf-8"

    def payload(self) -> bytes:
        return self.body if isinstance(self.body, bytes) else self.body.encode(self.encoding)


@dataclass
class Hit:
    url: str
    at: float
    status: int


PATH_KEY = "__path__"  # a prefix route's handler finds the rest of the path under this query key
Handler = Reply | list[Reply] | Callable[[dict[str, str]], Reply]


def flaky(handler: Handler, *failures: Reply) -> Handler:
    """Answer with `failures` first (one per request), then as `handler` does: "429, then 200"."""
    pending = list(failures)
    lock = threading.Lock()

    def answer(query: dict[str, str]) -> Reply:
        with lock:
            if pending:
                return pending.pop(0)
        return handler if isinstance(handler, Reply) else handler(query)

    return answer


def _is_robots(url: str) -> bool:
    # Scrapy also asks the local server itself for /robots.txt, which arrives here as host "robots.txt".
    return url.endswith("/robots.txt") or url == "https://robots.txt/"


class _Server(ThreadingHTTPServer):
    # Every source is its own Scrapy crawler with its own downloader, so a crawl of many sources opens many
    # connections at once: the default listen backlog of 5 overflows and connects stall past the timeout.
    request_queue_size = 256
    daemon_threads = True


class FakeWeb:
    """Routes real URLs to canned or computed replies; use as a context manager."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Handler] = {}
        self.prefixes: dict[tuple[str, str], Handler] = {}
        self.hits: list[Hit] = []
        self._served: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        web = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 - http.server's naming
                reply, url = web.answer(self.path)
                body = reply.payload()
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def handler(self, url: str) -> Handler:
        """The handler registered at `url` (to wrap it, e.g. with flaky())."""
        u = urlsplit(url)
        key = (u.netloc.lower(), u.path.rstrip("/") or "/")
        return self.routes.get(key) or self.prefixes[key]

    def add(self, url: str, handler: Handler, prefix: bool = False) -> None:
        """Serve `handler` at `url` (scheme and query ignored: a function handler gets the query).

        With prefix=True the route also answers every path below `url`, and a function handler
        finds the rest of the path in query[PATH_KEY].
        """
        u = urlsplit(url)
        key = (u.netloc.lower(), u.path.rstrip("/") or "/")
        (self.prefixes if prefix else self.routes)[key] = handler

    def answer(self, local_path: str) -> tuple[Reply, str]:
        """Find and produce the reply for a local request path such as /t.me/s/chan?before=10."""
        u = urlsplit(local_path)
        host, _, path = u.path.lstrip("/").partition("/")
        key = (host.lower(), ("/" + path).rstrip("/") or "/")
        url = f"https://{host}/{path}" + (f"?{u.query}" if u.query else "")
        query = dict(parse_qsl(u.query, keep_blank_values=True))
        handler = self.routes.get(key)
        if handler is None:
            for (phost, ppath), h in sorted(self.prefixes.items(), key=lambda kv: -len(kv[0][1])):
                if phost == key[0] and (key[1] == ppath or key[1].startswith(ppath.rstrip("/") + "/")):
                    handler, query[PATH_KEY] = h, key[1][len(ppath) :]
                    break
        if handler is None:
            reply = Reply("not found", status=404, content_type="text/plain")
        elif isinstance(handler, Reply):
            reply = handler
        elif isinstance(handler, list):
            with self._lock:
                n = self._served.get(key, 0)
                self._served[key] = n + 1
            reply = handler[min(n, len(handler) - 1)]
        else:
            reply = handler(query)
        with self._lock:
            self.hits.append(Hit(url, time.monotonic(), reply.status))
        return reply, url

    def fetched(self, prefix: str = "") -> list[str]:
        """URLs requested so far (robots.txt excluded), optionally only those starting with `prefix`."""
        return [h.url for h in self.hits if h.url.startswith(prefix) and not _is_robots(h.url)]

    def __enter__(self) -> "FakeWeb":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
