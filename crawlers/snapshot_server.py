"""Serve a recorded snapshot (manifest.json + files) on a local port, addressed as /<host><path>?<query>."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

SNAPSHOT_DIR = Path(__file__).resolve().parent / "snapshot"
IGNORED_PARAMS = {"access_token"}


def _key(netloc: str, path: str, query: str) -> tuple:
    params = tuple(sorted((k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in IGNORED_PARAMS))
    return netloc.lower(), path.rstrip("/") or "/", params


class Snapshot:
    """The responses of a snapshot directory, looked up by request URL."""

    def __init__(self, root: Path = SNAPSHOT_DIR):
        self.root = Path(root)
        manifest = json.loads((self.root / "manifest.json").read_text(encoding="utf-8"))
        self.responses = {}
        for r in manifest["responses"]:
            u = urlsplit(r["url"])
            self.responses[_key(u.netloc, u.path, u.query)] = r

    def lookup(self, local_path: str) -> dict | None:
        """Find the response for a local request path such as /t.me/s/chan?before=10."""
        u = urlsplit(local_path)
        host, _, path = u.path.lstrip("/").partition("/")
        return self.responses.get(_key(host, "/" + path, u.query))


class SnapshotServer:
    """A threaded HTTP server on 127.0.0.1 serving one snapshot; use as a context manager."""

    def __init__(self, root: Path = SNAPSHOT_DIR, port: int = 0):
        snapshot = Snapshot(root)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                entry = snapshot.lookup(self.path)
                if entry is None:
                    self.send_error(404, "not in snapshot")
                    return
                body = (snapshot.root / entry["file"]).read_bytes()
                self.send_response(int(entry.get("status", 200)))
                self.send_header("Content-Type", entry.get("content_type", "application/octet-stream"))
                self.send_header("Content-Length", str(len(body)))
                for name, value in (entry.get("headers") or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "SnapshotServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
