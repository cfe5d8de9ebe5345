"""Wall time of a one-off weekly run on the seeds next to a trivial Prefect flow.

Both start their own temporary Prefect server, as a user's one-off run does, so the
difference is what newsdigest itself costs. Runs alternate (ABAB...) so that machine
noise hits both alike; medians are reported.

    .venv/bin/python scripts/timing.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TRIVIAL = "from prefect import flow\n@flow\ndef trivial():\n    return 1\ntrivial()\n"


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="nd-timing-prefect-")
    env = {
        **os.environ,
        "PREFECT_HOME": home,
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
    }
    timed([str(BIN / "python"), "-c", TRIVIAL], env)  # the first run creates Prefect's database
    runs: dict[str, list[float]] = {"newsdigest run --dry-run (fresh state)": [], "trivial Prefect flow": []}
    for _ in range(args.repeat):
        state = tempfile.mkdtemp(prefix="nd-timing-state-")
        runs["newsdigest run --dry-run (fresh state)"].append(
            timed([str(BIN / "newsdigest"), "--state", state, "run", "--dry-run"], env)
        )
        runs["trivial Prefect flow"].append(timed([str(BIN / "python"), "-c", TRIVIAL], env))
    for name, values in runs.items():
        print(f"{name:42s} median {statistics.median(values):6.2f} s   runs: {', '.join(f'{v:.2f}' for v in values)}")
    a, b = (statistics.median(v) for v in runs.values())
    print(f"{'difference (newsdigest own work)':42s}        {a - b:6.2f} s   ratio {a / b:.2f}")


if __name__ == "__main__":
    main()
