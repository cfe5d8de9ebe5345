"""Scheduling lives here, and only here: the weekly flow served on its cron.

Cron runs need a real Prefect server: against the temporary server Prefect starts
per process, ``serve`` stores the deployment but never schedules it. So ``serve``
uses PREFECT_API_URL when it is set, and otherwise starts ``prefect server start``
on 127.0.0.1 and says so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

from newsdigest.config import Config

DEPLOYMENT = "weekly"
LOCAL_API = "http://127.0.0.1:4200/api"


def schedule_of(config: Config) -> tuple[str, str]:
    return (str(config.get("schedule", "cron", "0 8 * * 1")), str(config.get("schedule", "timezone", "Asia/Shanghai")))


def deployment(config: Config, config_file: Path | None):  # -> RunnerDeployment  # noqa: ANN201
    """The weekly deployment with its cron schedule and timezone (Prefect's default is UTC)."""
    from prefect.schedules import Cron

    from newsdigest.flows.weekly import weekly_flow

    cron, tz = schedule_of(config)
    params = {
        "config_file": str(config_file.resolve()) if config_file else None,
        "state_dir": str(config.state_dir.resolve()),
    }
    return weekly_flow.to_deployment(name=DEPLOYMENT, schedules=[Cron(cron, timezone=tz)], parameters=params)


def _healthy(api: str) -> bool:
    try:
        return httpx.get(f"{api}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def ensure_server(wait: float = 60.0) -> subprocess.Popen | None:
    """Use PREFECT_API_URL, or start a local Prefect server and point at it."""
    if os.environ.get("PREFECT_API_URL"):
        return None
    print(
        f"PREFECT_API_URL is not set: starting a local Prefect server at {LOCAL_API} "
        "(cron runs need a real server; set PREFECT_API_URL to use your own).",
        flush=True,
    )
    prefect = shutil.which("prefect", path=str(Path(sys.executable).parent)) or "prefect"
    proc = subprocess.Popen(
        [prefect, "server", "start", "--host", "127.0.0.1", "--port", "4200"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + wait
    while not _healthy(LOCAL_API):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.terminate()
            raise RuntimeError("the local Prefect server did not start; set PREFECT_API_URL to a running one")
        time.sleep(0.5)
    os.environ["PREFECT_API_URL"] = LOCAL_API
    return proc


def serve(config: Config, config_file: Path | None) -> None:
    """Serve the weekly deployment until interrupted (SIGTERM pauses it, as Prefect does)."""
    server = ensure_server()  # before Prefect is imported: it reads PREFECT_API_URL once
    from prefect import serve as prefect_serve

    cron, tz = schedule_of(config)
    print(f"serving deployment weekly/{DEPLOYMENT}: cron '{cron}' ({tz})", flush=True)
    try:
        prefect_serve(deployment(config, config_file))
    finally:
        if server is not None:
            server.terminate()
