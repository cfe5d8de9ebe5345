"""The several-machine layout of the README ("Running on several machines"), brought up on
one machine as separate processes: PostgreSQL (the state), a Prefect server (the test
session's), a Dask scheduler with two workers, and a Prefect worker polling a process
work pool. ``newsdigest deploy --pool`` registers the deployments; a run
of ``weekly`` triggered through the API stores the articles in PostgreSQL (processed on the
Dask workers, which have no database settings) and writes the digest."""

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS
from pgserver import free_port

from newsdigest import config, store

pytestmark = [pytest.mark.prefect, pytest.mark.postgres, pytest.mark.layout]
BIN = Path(sys.executable).parent
POOL = "newsdigest-test"


def _wait(check, what: str, procs: list[subprocess.Popen], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        dead = [p.args for p in procs if p.poll() is not None]
        assert not dead, f"exited early while waiting for {what}: {dead}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


def _dask_workers(address: str) -> int:
    from distributed import Client

    with Client(address, timeout=10) as client:
        return len(client.scheduler_info()["workers"])


@pytest.fixture
def layout(pg_server, prefect_harness, tmp_path):
    """Every process of the layout but the Prefect server: the session's (a separate process
    too; starting another costs ~25 s here). Yields (env for Prefect clients, scheduler, logs)."""
    from prefect.settings import PREFECT_API_URL

    procs: list[subprocess.Popen] = []
    logs = tmp_path / "logs"
    logs.mkdir()

    def start(name: str, args: list[str], env: dict[str, str]) -> None:
        out = (logs / f"{name}.log").open("w")
        procs.append(subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp_path))

    base = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDIGEST_")}
    base |= {"PREFECT_LOGGING_LEVEL": "INFO"}
    scheduler = f"tcp://127.0.0.1:{free_port()}"
    client_env = base | {"PREFECT_API_URL": PREFECT_API_URL.value(), "PREFECT_WORKER_QUERY_SECONDS": "1"}
    try:
        dask = str(BIN / "dask")
        start("dask-scheduler", [dask, "scheduler", "--host", "127.0.0.1", "--port", scheduler.rsplit(":", 1)[1]], base)
        for i in range(2):  # no database settings on the workers: they only process documents
            lean = ["--preload-nanny", "newsdigest.flows.leanworker"]  # as the README shows
            start(f"dask-worker-{i}", [dask, "worker", scheduler, "--nthreads", "1", "--no-dashboard", *lean], base)
        start(
            "prefect-worker", [str(BIN / "prefect"), "worker", "start", "--pool", POOL, "--type", "process"], client_env
        )
        _wait(lambda: _dask_workers(scheduler) == 2, "two Dask workers", procs)
        yield client_env, scheduler, logs
    finally:
        _delete_deployments()  # the session's server is shared: leave no schedules behind
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


def _delete_deployments() -> None:
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    async def delete() -> None:
        async with get_client() as client:
            for name in (f"weekly/pool-{POOL}", f"ingest/pool-{POOL}"):
                with contextlib.suppress(ObjectNotFound):
                    await client.delete_deployment((await client.read_deployment_by_name(name)).id)

    asyncio.run(delete())


def _run_weekly(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Trigger the deployed weekly flow through the API and wait for its end."""
    code = (
        "from prefect.deployments import run_deployment\n"
        f"run = run_deployment('weekly/pool-{POOL}', parameters={{'dry_run': True}}, timeout=400)\n"
        "print(run.state.type.value, run.state.message or '')\n"
    )
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=450)


def test_the_several_machine_layout_runs_the_deployed_weekly_flow(layout, pg_url, tmp_path) -> None:
    env, scheduler, logs = layout
    drop = tmp_path / "drop"
    drop.mkdir()
    for seed in SEEDS.iterdir():
        (drop / seed.name).write_bytes(seed.read_bytes())
    conf = tmp_path / "newsdigest.toml"
    project = (ROOT / "newsdigest.toml").read_text(encoding="utf-8")
    conf.write_text(
        project.replace('url = ""', f'url = "{pg_url}"', 1)
        .replace('kind = "thread"', 'kind = "dask"', 1)
        .replace('address = ""', f'address = "{scheduler}"', 1)
        .replace('path = "seeds"', f'path = "{drop}"', 1),
        encoding="utf-8",
    )
    state = tmp_path / "state"
    deployed = subprocess.run(
        [
            str(BIN / "newsdigest"),
            "--config",
            str(conf),
            "--state",
            str(state),
            "deploy",
            "--pool",
            POOL,
            "--source",
            str(ROOT),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert deployed.returncode == 0, deployed.stderr
    assert (
        f"weekly/pool-{POOL} in work pool" in deployed.stdout and f"ingest/pool-{POOL} in work pool" in deployed.stdout
    )
    ran = _run_weekly(env)
    worker_log = (logs / "prefect-worker.log").read_text(encoding="utf-8", errors="replace")[-3000:]
    assert ran.stdout.startswith("COMPLETED"), (ran.stdout, ran.stderr[-2000:], worker_log)

    cfg = config.load(conf, state, env={})
    stored = store.load_articles(store.connect(cfg.store_url))
    assert cfg.store_url.startswith("postgresql") and len({a.origin for a in stored}) == 5
    from newsdigest.digest import iso_week

    week = iso_week(None)[0]
    assert "金华市技师学院" in (state / "digests" / f"{week}.html").read_text(encoding="utf-8")
    assert (state / "outbox" / f"{week}.eml").exists()

    # The documents were processed on the Dask workers (which have no database settings).
    from distributed import Client

    with Client(scheduler, timeout=10) as client:
        prefixes = client.run_on_scheduler(lambda dask_scheduler: sorted(dask_scheduler.task_prefixes))
        # A function defined here travels by value (the workers cannot import the test module).
        profiling = "distributed.worker.profile.enabled"
        lean = client.run(lambda: (os.environ.get("MALLOC_TRIM_THRESHOLD_"), __import__("dask").config.get(profiling)))
    assert any("process" in p for p in prefixes), prefixes
    assert list(lean.values()) == [(None, False)] * 2  # the preload's settings reached both workers
