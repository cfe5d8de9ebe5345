"""Database-wide named locks, so that runs which overlap (two processes, two machines)
take turns where they must: the migrations, and story assignment plus the write.

``exclusive(engine, name)`` opens a transaction that holds the lock ``name`` until it
commits or rolls back:

- PostgreSQL: a transaction-level advisory lock (``pg_advisory_xact_lock``), so it holds
  across machines and is released by the server even when the holder is killed.
- SQLite: an exclusive ``flock`` on a file next to the database (``<db>-<name>.lock``).
  SQLite's own locking is not enough: reads done before the write (which stories exist,
  which documents are stored) must not be overtaken by another writer in between, and
  ``schema_version`` is read before it is written. The kernel drops a ``flock`` when its
  process dies, so a killed run never leaves a stale lock behind.
- An in-memory SQLite database belongs to one process: no lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.engine import make_url

MIGRATE = "migrate"
WRITE = "write"

# flock() excludes other open files, not other threads of the same process sharing one:
# each acquisition opens the lock file anew, and a process-local lock orders our own threads
# first, so a thread never waits on the kernel for a file its own process holds.
_LOCAL: dict[str, threading.Lock] = {}
_LOCAL_GUARD = threading.Lock()


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_xact_lock`` from the lock's name."""
    digest = hashlib.sha256(f"newsdigest:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_path(engine: Engine, name: str) -> Path | None:
    """The lock file of a file-backed SQLite database, or None (PostgreSQL, in-memory)."""
    url = make_url(str(engine.url))
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(f"{url.database}-{name}.lock")


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with _LOCAL_GUARD:
        local = _LOCAL.setdefault(str(path.resolve()), threading.Lock())
    with local:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # blocks until the other process commits or dies
            yield
        finally:
            os.close(fd)  # closing releases the lock


@contextlib.contextmanager
def exclusive(engine: Engine, name: str) -> Iterator[Connection]:
    """A transaction holding the database-wide lock ``name``; other holders wait their turn."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(select(func.pg_advisory_xact_lock(advisory_key(name))))
            yield conn
        return
    path = lock_path(engine, name)
    with contextlib.ExitStack() as stack:
        if path is not None:
            stack.enter_context(_file_lock(path))
        yield stack.enter_context(engine.begin())
