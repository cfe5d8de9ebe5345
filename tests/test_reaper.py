"""No orphans: a process started by ``run`` or ``serve`` dies with it, even on kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsdigest import reaper

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")

SCRIPT = """
import subprocess, sys, time
from newsdigest import reaper
reaper.watch()
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
print(child.pid, flush=True)
time.sleep(300)
"""


def gone(pid: int, limit: float = 30.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        stat = Path(f"/proc/{pid}/stat")
        if not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("own_group", [True, False])
def test_children_die_with_a_parent_killed_with_sigkill(own_group):
    parent = subprocess.Popen(
        [sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, text=True, start_new_session=own_group
    )
    child = int(parent.stdout.readline())
    if not own_group:  # nothing but the watchdog's look at our descendants can find the child
        deadline = time.monotonic() + 30
        while child not in reaper.descendants(parent.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(reaper.SCAN * 3)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    assert gone(child)
