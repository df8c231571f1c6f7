"""A tiny local HTTP server for tests: records every POST and answers with scripted statuses."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class Receiver:
    """`with Receiver([500, 200]) as r:` — r.url, r.requests (path, headers, JSON body)."""

    def __init__(self, statuses: list[int] | None = None, body: dict | list[dict] | None = None):
        self.statuses = list(statuses or [])
        self.bodies = list(body) if isinstance(body, list) else None
        self.body = body if isinstance(body, dict) else {"ok": True}
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                form = "form-urlencoded" in (self.headers.get("Content-Type") or "")
                outer.requests.append({"path": self.path, "headers": dict(self.headers),
                                       "json": None if form else json.loads(raw or b"null"),
                                       "form": {k: v[0] for k, v in parse_qs(raw.decode()).items()} if form else None})
                status = outer.statuses.pop(0) if outer.statuses else 200
                payload = json.dumps(outer.bodies.pop(0) if outer.bodies else outer.body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "Receiver":
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
