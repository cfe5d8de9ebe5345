"""A real PostgreSQL server in a temporary folder for tests (initdb + pg_ctl), no mocks.

Usage::

    from pgserver import PostgresServer, find_bindir

    with PostgresServer(find_bindir()) as server:
        url = server.create_database("t1")   # postgresql+psycopg://…@127.0.0.1:PORT/t1

``initdb`` refuses to run as root, so as root the server runs as an unprivileged user
(``postgres`` when the Debian package created it, otherwise ``newsdigest-pg``, made with
``useradd``). It listens on 127.0.0.1 only, on a free port, with trust authentication.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

_USERS = ("postgres", "newsdigest-pg")


def find_bindir() -> Path | None:
    """The folder of ``initdb``/``pg_ctl``: on PATH, from ``pg_config``, or Debian's versioned folder."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent
    candidates = []
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        candidates.append(Path(subprocess.check_output(["pg_config", "--bindir"], text=True).strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    return next((c for c in candidates if (c / "initdb").exists() and (c / "pg_ctl").exists()), None)


def _die_with_parent() -> None:
    """In the server's process, before exec (after the switch to its user, which would clear
    it): SIGQUIT when the process that started it dies (Linux only; elsewhere a no-op)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGQUIT)  # PR_SET_PDEATHSIG


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _unprivileged_user() -> str | None:
    """None when not root; otherwise a user initdb accepts, created if need be."""
    if os.geteuid() != 0:
        return None
    for name in _USERS:
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    subprocess.run(["useradd", "--system", "--no-create-home", _USERS[-1]], check=True)
    return _USERS[-1]


class PostgresServer:
    def __init__(self, bindir: Path) -> None:
        # Not under pytest's tmp_path: its parents are private to root, and the server's user
        # must reach its own folder.
        self.bindir, self.root = bindir, Path(tempfile.mkdtemp(prefix="newsdigest-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.user = _unprivileged_user()

    def _run(self, *args: str) -> None:
        subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            check=True,
            user=self.user,
            capture_output=True,
            cwd=self.root,
        )

    def start(self, wait: float = 60.0) -> PostgresServer:
        if self.user:
            shutil.chown(self.root, self.user)
        self._run("initdb", "-D", str(self.data), "-U", "newsdigest", "--auth=trust", "-E", "UTF8", "--no-sync")
        # The server runs as our child (not daemonised by pg_ctl) and gets SIGQUIT when we die,
        # so a test session that is killed leaves no server behind.
        options = ["-c", "listen_addresses=127.0.0.1", "-p", str(self.port), "-k", str(self.root)]
        options += ["-c", "fsync=off", "-c", "max_connections=200"]
        with (self.root / "log").open("w") as log:
            self.proc = subprocess.Popen(
                [str(self.bindir / "postgres"), "-D", str(self.data), *options],
                user=self.user,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.root,
                preexec_fn=_die_with_parent,
            )
        deadline = time.monotonic() + wait
        while not self._ready():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("PostgreSQL did not start")
            time.sleep(0.1)
        return self

    def _ready(self) -> bool:
        import psycopg

        try:
            psycopg.connect(
                f"host=127.0.0.1 port={self.port} user=newsdigest dbname=postgres", connect_timeout=2
            ).close()
        except psycopg.OperationalError:
            return False
        return True

    def stop(self) -> None:
        proc = getattr(self, "proc", None)
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGQUIT)  # immediate shutdown: the data is thrown away
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://newsdigest@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=newsdigest dbname=postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
