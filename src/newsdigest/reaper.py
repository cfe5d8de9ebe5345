"""No orphans: what ``run`` and ``serve`` start dies with them, even on kill -9.

Prefect starts its temporary API server (a uvicorn process) itself, ``serve`` starts
``prefect server start`` and a Dask cluster starts workers; none of them notices when
the process that started them is killed, so each killed run left a server holding
its port and memory for good. ``watch()`` starts a small watchdog process that holds
the reading end of a pipe whose writing end only we hold: when we die, however we
die, the kernel closes it and the watchdog sees end-of-file. Meanwhile it notes our
descendants (from /proc, four times a second); then it stops them (SIGTERM, SIGKILL
after a grace period), and, when we led our own process group, the rest of it.

A parent-death signal (``prctl(PR_SET_PDEATHSIG)``) cannot do this for us: it has to
be set in each child, Prefect and Dask start theirs without asking, and it fires when
the *thread* that started the child ends, not the process.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

SCAN = 0.25  # seconds between looks at our descendants
GRACE = 3.0  # seconds between SIGTERM and SIGKILL
_held: list[int] = []  # our end of the pipe, open for the whole life of the process


def watch() -> int | None:
    """Start the watchdog for this process (once); returns its pid, None where /proc is missing."""
    if _held or not Path("/proc/self/stat").exists():
        return None
    read, write = os.pipe()  # not inheritable: our children never hold the writing end
    group = os.getpgrp() if os.getpgrp() == os.getpid() else 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsdigest.reaper", str(os.getpid()), str(read), str(group)],
        pass_fds=(read,),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # a Ctrl-C to our group must not stop it before it cleans up
    )
    os.close(read)
    _held.append(write)
    assert proc.stdout is not None
    proc.stdout.readline()  # it is watching: whatever we start from now on is covered
    proc.stdout.close()
    return proc.pid


def held() -> list[int]:
    """Our end of the watchdog's pipe (a forked child of ours closes it: see flows/warm.py)."""
    return list(_held)


def _stat(pid: str) -> tuple[int, int, str] | None:
    """(parent pid, process group, start time) of a process, or None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), int(fields[2]), fields[19]


def _table() -> dict[int, tuple[int, int, str]]:
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (info := _stat(entry)):
            out[int(entry)] = info
    return out


def descendants(root: int, table: dict[int, tuple[int, int, str]] | None = None) -> dict[int, str]:
    """Every process below ``root``, with its start time (to tell a reused pid apart)."""
    table = _table() if table is None else table
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = {}, list(children.get(root, ()))
    while todo:
        pid = todo.pop()
        found[pid] = table[pid][2]
        todo += children.get(pid, ())
    return found


def _stop(targets: dict[int, str]) -> None:
    """SIGTERM, then SIGKILL after the grace period, to the targets still alive."""
    me = os.getpid()
    alive = {p: s for p, s in targets.items() if p != me}
    for sig in (signal.SIGTERM, signal.SIGKILL):
        table = _table()
        alive = {p: s for p, s in alive.items() if p in table and table[p][2] == s}
        for pid in alive:
            with contextlib.suppress(OSError):
                os.kill(pid, sig)
        deadline = time.monotonic() + GRACE
        while alive and time.monotonic() < deadline:
            time.sleep(0.1)
            table = _table()
            alive = {p: s for p, s in alive.items() if p in table and table[p][2] == s}


def main(parent: int, fd: int, group: int) -> None:
    known = descendants(parent)
    print("watching", flush=True)
    while True:
        ready, _, _ = select.select([fd], [], [], SCAN)
        if ready and not os.read(fd, 1):
            break  # end of file: the parent is gone
        known.update(descendants(parent))
    if group:  # a child started after our last look is still in the group the parent led
        known.update({pid: start for pid, (_, g, start) in _table().items() if g == group})
    _stop(known)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
