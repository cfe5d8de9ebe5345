"""Scheduling lives here, and only here: ``ingest`` on its own cron (hourly by default:
a feed keeps only its latest items) and ``weekly`` (ingest, then the digest) on Monday
08:00 Beijing time, both served by one process, or registered in a work pool (``deploy``)
for Prefect workers on other machines.

Cron runs need a real Prefect server: against the temporary server Prefect starts
per process, ``serve`` stores the deployments but never schedules them. So ``serve``
uses PREFECT_API_URL when it is set, and otherwise starts ``prefect server start``
on 127.0.0.1 and says so.

Prefect's own shutdown on SIGTERM stops the runner and kills the flow run it is executing
without telling the API, which then shows the run "Running" for good. ``serve`` marks
such runs (and their subflow runs) Crashed before it exits, so the next run proceeds and
the UI tells the truth.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from newsdigest.config import Config

DEPLOYMENT = "weekly"
INGEST = "ingest"
LOCAL_API = "http://127.0.0.1:4200/api"
# The flows by path in a checkout (the top-level flows/ entry points): what a Prefect worker
# on another machine loads with ``flow.from_source``.
ENTRYPOINTS = {DEPLOYMENT: "flows/weekly.py:weekly_flow", INGEST: "flows/ingest.py:ingest_flow"}
log = logging.getLogger("newsdigest.serve")


def schedule_of(config: Config) -> tuple[str, str]:
    """The weekly flow's cron and the timezone of both schedules."""
    return (str(config.get("schedule", "cron", "0 8 * * 1")), str(config.get("schedule", "timezone", "Asia/Shanghai")))


def schedules(config: Config) -> dict[str, tuple[str, str]]:
    """``{deployment name: (cron, timezone)}`` for both flows."""
    cron, tz = schedule_of(config)
    return {DEPLOYMENT: (cron, tz), INGEST: (str(config.get("schedule", "ingest_cron", "0 * * * *")), tz)}


def parameters(config: Config, config_file: Path | None) -> dict[str, Any]:
    return {
        "config_file": str(config_file.resolve()) if config_file else None,
        "state_dir": str(config.state_dir.resolve()),
    }


def _flows() -> dict[str, Any]:
    from newsdigest.flows.ingest import ingest_flow
    from newsdigest.flows.weekly import weekly_flow

    return {DEPLOYMENT: weekly_flow, INGEST: ingest_flow}


def _cron(config: Config, name: str) -> Any:
    from prefect.schedules import Cron

    cron, tz = schedules(config)[name]
    return Cron(cron, timezone=tz)  # Prefect's default timezone is UTC


def deployment(config: Config, config_file: Path | None, name: str = DEPLOYMENT):  # -> RunnerDeployment  # noqa: ANN201
    """The deployment of one flow (weekly by default) with its cron schedule and timezone."""
    return _flows()[name].to_deployment(
        name=name, schedules=[_cron(config, name)], parameters=parameters(config, config_file)
    )


def deployments(config: Config, config_file: Path | None) -> list[Any]:
    return [deployment(config, config_file, name) for name in (DEPLOYMENT, INGEST)]


# What a Prefect worker passes to the flow run process: the project's log records at INFO.
RUN_ENV = {"PREFECT_LOGGING_EXTRA_LOGGERS": "newsdigest", "PREFECT_LOGGING_LEVEL": "INFO"}


def _ensure_pool(pool: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(pool)
        except ObjectNotFound:
            # A worker started first with --type process may create it meanwhile: fine too.
            with contextlib.suppress(ObjectAlreadyExists):
                client.create_work_pool(WorkPoolCreate(name=pool, type="process"))


def pool_deployment(pool: str) -> str:
    """The name of both flows' deployments in work pool ``pool`` (``weekly/pool-NAME``).

    Never the names ``serve`` uses (``weekly/weekly``, ``ingest/ingest``): a deployment is
    one record per flow and name, so registering a served one in a pool would take it from
    a ``serve`` still running on another machine (both would then pick up its scheduled
    runs), and ``serve`` starting again would take it back. Distinct, the two ways coexist
    and each run shows in the UI which way it came."""
    return f"pool-{pool}"


def deploy(config: Config, config_file: Path | None, pool: str, source: str) -> list[str]:
    """Register both deployments, with their schedules, in the process work pool ``pool``
    (created if missing) as ``weekly/pool-POOL`` and ``ingest/pool-POOL``: any ``prefect
    worker start --pool POOL`` that sees ``source`` (this checkout at the same path, or a
    git URL) runs them. Returns what was registered."""
    if not os.environ.get("PREFECT_API_URL"):
        raise RuntimeError("deploy needs a running Prefect server: set PREFECT_API_URL")
    from prefect import Flow

    if "://" not in source:
        source = str(Path(source).resolve())
    _ensure_pool(pool)
    done = []
    for name, entrypoint in ENTRYPOINTS.items():
        flow = Flow.from_source(source, entrypoint)
        flow.deploy(
            name=pool_deployment(pool),
            work_pool_name=pool,
            schedules=[_cron(config, name)],
            parameters=parameters(config, config_file),
            job_variables={"env": RUN_ENV},
            build=False,
            push=False,
            print_next_steps=False,
        )
        cron, tz = schedules(config)[name]
        done.append(
            f"deployment {flow.name}/{pool_deployment(pool)} in work pool {pool}: cron '{cron}' ({tz}), "
            f"code from {source}"
        )
    return done


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


def crash_unfinished(deployment_ids: list[UUID], message: str) -> int:
    """Mark the Running or Pending flow runs of these deployments, and their subflow runs,
    Crashed; returns how many. For a runner that is going away with them."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterDeploymentId,
        FlowRunFilterParentFlowRunId,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.states import Crashed

    unfinished = FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.RUNNING, StateType.PENDING]))
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                deployment_id=FlowRunFilterDeploymentId(any_=deployment_ids), state=unfinished
            )
        )
        ids = [r.id for r in runs]
        if ids:
            children = FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=ids), state=unfinished)
            ids += [r.id for r in client.read_flow_runs(flow_run_filter=children)]
        for run_id in ids:
            client.set_flow_run_state(run_id, Crashed(message=message), force=True)
    return len(ids)


def _runner(deployment_ids: list[UUID]) -> Any:  # -> prefect.runner.Runner
    from prefect.runner import Runner

    class EndingRunner(Runner):
        """Prefect's Runner, whose SIGTERM also ends the runs it was executing."""

        def handle_sigterm(self, *args: Any, **kwargs: Any) -> None:
            log.warning("SIGTERM: stopping; runs in progress end as Crashed")
            self.stop()  # kills the flow run processes
            try:
                n = crash_unfinished(deployment_ids, "newsdigest serve was stopped (SIGTERM) during this run")
                log.warning("marked %d unfinished flow run(s) Crashed", n)
            finally:
                sys.exit(0)

    return EndingRunner(pause_on_shutdown=True)


def serve(config: Config, config_file: Path | None) -> None:
    """Serve both deployments until interrupted (SIGTERM pauses them, as Prefect does)."""
    server = ensure_server()  # before Prefect is imported: it reads PREFECT_API_URL once
    import asyncio

    from newsdigest.flows import runner as runner_mod

    try:
        ids: list[UUID] = []
        runner = _runner(ids)
        for dep in deployments(config, config_file):
            ids.append(runner.add_deployment(dep))
        for name, (cron, tz) in schedules(config).items():
            print(f"serving deployment {name}/{name}: cron '{cron}' ({tz})", flush=True)
        print(f"documents are processed on: {runner_mod.describe(config)}", flush=True)
        asyncio.run(runner.start())
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None:
            server.terminate()
