"""Misbehaving servers on 127.0.0.1 for the fault tests and ``scripts/chaos.py``.

- ``trickle_head`` / ``trickle_body``: handlers for ``httpserver.Route(handler=…)`` that
  send an HTTP answer one byte per ``interval`` (in the status line and headers, or in
  an endless chunked body), so that no single read ever times out.
- ``FaultSMTP``: a scripted SMTP server (plain sockets: aiosmtpd cannot misbehave).
  Each connection takes the next action of ``plan`` (then "ok"): ``ok`` (250 and keep
  the message), ``drop`` (keep it, then hang up without a reply), ``stall`` (never reply
  to the end of data), ``trickle`` (reply to it one byte per interval, forever),
  ``drop_mid`` (hang up right after accepting DATA, as the data comes), ``stall_rcpt`` (never answer RCPT), ``silent`` (never greet),
  or a reply like ``"451 busy"`` to the end of data.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

LIMIT = 600.0  # no fault lasts longer than this, whatever the client does


def _drip(write: Callable[[bytes], None], data: bytes, interval: float, stop: threading.Event) -> None:
    for byte in data:
        if stop.wait(interval):
            return
        write(bytes([byte]))


def trickle_head(interval: float = 1.0) -> Callable[[BaseHTTPRequestHandler], None]:
    """Status line and headers one byte at a time, then nothing (an endless header block)."""

    def handler(h: BaseHTTPRequestHandler) -> None:
        stop = h.server.owner.stopping  # type: ignore[attr-defined]
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n" + b"X-Slow: " + b"x" * 100_000
        with contextlib.suppress(OSError):
            _drip(lambda b: (h.wfile.write(b), h.wfile.flush()), head, interval, stop)

    return handler


def trickle_body(interval: float = 1.0) -> Callable[[BaseHTTPRequestHandler], None]:
    """Quick headers, then an endless chunked body of one byte per chunk."""

    def handler(h: BaseHTTPRequestHandler) -> None:
        stop = h.server.owner.stopping  # type: ignore[attr-defined]
        try:
            h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n")
            h.wfile.flush()
            started = time.monotonic()
            while not stop.wait(interval) and time.monotonic() - started < LIMIT:
                h.wfile.write(b"1\r\nx\r\n")
                h.wfile.flush()
        except OSError:
            pass

    return handler


class _Session(socketserver.StreamRequestHandler):
    server: _TCP

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        owner = self.server.owner
        action = owner.next_action()
        if action == "silent":  # accepts the connection, never says a word
            owner.stop.wait(LIMIT)
            return
        self.reply("220 fault.example ESMTP")
        with contextlib.suppress(OSError):
            self._commands(owner, action)

    def _commands(self, owner: FaultSMTP, action: str) -> None:
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.reply("250 fault.example")
            elif verb == b"MAIL":
                self.reply("250 OK")
            elif verb == b"RCPT":
                if action == "stall_rcpt":
                    owner.stop.wait(LIMIT)
                    return
                self.reply("250 OK")
            elif verb == b"DATA":
                if action == "drop_mid":
                    self._drop_after_go_ahead()
                    return
                self.reply("354 go ahead")
                if not self._data(owner, action):
                    return
            elif verb == b"QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")

    def _drop_after_go_ahead(self) -> None:
        """354, then hang up at once: corked, the reply and the FIN leave in one segment, so the
        client has the hang-up by the time it reads the 354 (however loaded the machine: a
        thread switch between the two would let the client finish its data first)."""
        with contextlib.suppress(OSError, AttributeError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
        self.reply("354 go ahead")
        self.connection.shutdown(socket.SHUT_RDWR)

    def _data(self, owner: FaultSMTP, action: str) -> bool:
        lines = []
        while (line := self.rfile.readline()) not in (b".\r\n", b""):
            lines.append(line)
        if line == b"":
            return False
        return self._answer(owner, action, b"".join(lines))

    def _answer(self, owner: FaultSMTP, action: str, message: bytes) -> bool:
        if action[:1] in "45":
            self.reply(action)
            return True
        owner.keep(message)
        if action == "drop":
            return False
        if action == "stall":
            owner.stop.wait(LIMIT)
            return False
        if action == "trickle":
            _drip(
                lambda b: (self.wfile.write(b), self.wfile.flush()),
                b"250-slow\r\n" * 100_000,
                owner.interval,
                owner.stop,
            )
            return False
        self.reply("250 OK queued")
        return True


class _TCP(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: FaultSMTP


class FaultSMTP:
    """A scripted SMTP server on an ephemeral port; ``messages`` holds what it kept."""

    def __init__(self, plan: list[str] | None = None, interval: float = 1.0) -> None:
        self.plan = list(plan or [])
        self.interval = interval
        self.messages: list[bytes] = []
        self.connections = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self._tcp = _TCP(("127.0.0.1", 0), _Session)
        self._tcp.owner = self
        self._thread = threading.Thread(target=self._tcp.serve_forever, args=(0.05,), daemon=True)

    @property
    def port(self) -> int:
        return self._tcp.server_address[1]

    def next_action(self) -> str:
        with self.lock:
            self.connections += 1
            return self.plan.pop(0) if self.plan else "ok"

    def keep(self, message: bytes) -> None:
        with self.lock:
            self.messages.append(message)

    def __enter__(self) -> FaultSMTP:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self._tcp.shutdown()
        self._tcp.server_close()
