"""A real HTTP server on 127.0.0.1 for tests (stdlib ThreadingHTTPServer), no mocked transport.

Usage::

    from httpserver import LocalServer, Route

    with LocalServer() as server:
        url = server.add("/feed.xml", Route(body=data, headers={"Content-Type": "application/rss+xml"}))
        ...
        server.requests("/feed.xml")  # what the client sent: [{"If-None-Match": ...}, ...]

A Route can answer conditionally (etag / last_modified → 304), gzip its body, fail
its first N requests (500, or 429/503 with Retry-After), redirect, or never answer
(``hang``: holds the connection until the server stops, at most ``HANG_LIMIT`` s).
"""

from __future__ import annotations

import contextlib
import gzip as gzip_mod
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HANG_LIMIT = 30.0


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    gzip: bool = False
    fail_first: int = 0
    fail_status: int = 500
    fail_headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False
    redirect: str | None = None
    handler: Callable[[BaseHTTPRequestHandler], None] | None = None
    hits: int = 0


def comment_headers(data: bytes) -> dict[str, str]:
    """``Header: Name: value`` lines of a feedparser test file's leading comment."""
    head = data[:2000].decode("latin-1")
    out = {}
    for m in re.finditer(r"^Header:\s*([A-Za-z-]+):\s*(.+?)\s*$", head, re.M):
        out[m.group(1)] = m.group(2)
    return out


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, *_args: object) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        self.server.owner.log.append((path, dict(self.headers.items())))
        route = self.server.owner.routes.get(path)
        if route is None:
            return self._send(404, {"Content-Type": "text/plain"}, b"not found")
        with self.server.owner.lock:
            route.hits += 1
            hit = route.hits
        self._answer(route, hit)

    def _answer(self, route: Route, hit: int) -> None:
        if route.handler:
            return route.handler(self)
        if route.hang:
            self.server.owner.stopping.wait(HANG_LIMIT)
            return None
        if hit <= route.fail_first:
            return self._send(route.fail_status, {"Content-Type": "text/plain", **route.fail_headers}, b"try later")
        if route.redirect:
            return self._send(302, {"Location": route.redirect}, b"")
        validators = {k: v for k, v in (("ETag", route.etag), ("Last-Modified", route.last_modified)) if v}
        if self._not_modified(route):
            return self._send(304, validators, b"")
        headers, body = {**route.headers, **validators}, route.body
        if route.gzip and "gzip" in self.headers.get("Accept-Encoding", ""):
            headers["Content-Encoding"], body = "gzip", gzip_mod.compress(body)
        return self._send(route.status, headers, body)

    def _not_modified(self, route: Route) -> bool:
        if route.etag and self.headers.get("If-None-Match") == route.etag:
            return True
        return bool(route.last_modified and self.headers.get("If-Modified-Since") == route.last_modified)

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            # The client may stop reading (size cap, timeout): not the server's problem.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: LocalServer

    def handle_error(self, request: object, client_address: object) -> None:
        # A client killed mid-request (the chaos trials do it on purpose) resets its
        # connection: not worth a traceback. Anything else is still printed.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class LocalServer:
    """Routes by path on an ephemeral port of 127.0.0.1; started on enter, stopped on exit."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.log: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, route: Route | None = None, **kwargs: object) -> str:
        self.routes[path] = route or Route(**kwargs)  # type: ignore[arg-type]
        return self.url(path)

    def add_file(self, path: str, file: Path, content_type: str | None = None, **kwargs: object) -> str:
        """Serve a file; a feedparser test file's ``Header:`` comments become response headers."""
        data = file.read_bytes()
        headers = comment_headers(data)
        if content_type and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = content_type
        return self.add(path, Route(body=data, headers=headers, **kwargs))  # type: ignore[arg-type]

    def requests(self, path: str) -> list[dict[str, str]]:
        return [headers for p, headers in self.log if p == path]

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
