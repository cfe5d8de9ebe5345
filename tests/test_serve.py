"""``newsdigest serve``: both flows on their own schedules in one process; a served run
logs what it does to Prefect; SIGTERM during a run ends it Crashed, not Running for good,
and the next run proceeds. Runs ``newsdigest serve`` as a user does, against the session's
Prefect server."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS
from httpserver import LocalServer, Route

from newsdigest import config, store

pytestmark = pytest.mark.prefect
BIN = Path(sys.executable).parent / "newsdigest"


def test_both_deployments_are_registered_with_their_schedules(prefect_harness, cfg) -> None:
    from prefect.client.orchestration import get_client

    from newsdigest.flows.serve import deployments

    ids = [d.apply() for d in deployments(cfg, ROOT / "newsdigest.toml")]

    async def read():
        async with get_client() as client:
            return [await client.read_deployment(i) for i in ids]

    stored = {d.name: d for d in asyncio.run(read())}
    assert set(stored) == {"weekly", "ingest"}
    crons = {name: (d.schedules[0].schedule.cron, d.schedules[0].schedule.timezone) for name, d in stored.items()}
    assert crons == {"weekly": ("0 8 * * 1", "Asia/Shanghai"), "ingest": ("0 * * * *", "Asia/Shanghai")}
    assert stored["ingest"].parameters["state_dir"] == str(cfg.state_dir.resolve())


def test_deploy_registers_its_own_deployments_beside_the_served_ones(prefect_harness, cfg, monkeypatch) -> None:
    """``deploy --pool`` and ``serve`` never register the same deployment: a pool's would
    otherwise take a served one away from a ``serve`` still running (and back again)."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    from newsdigest.flows.serve import deploy, deployments

    served = [d.apply() for d in deployments(cfg, ROOT / "newsdigest.toml")]
    monkeypatch.setenv("PREFECT_API_URL", PREFECT_API_URL.value())
    lines = deploy(cfg, ROOT / "newsdigest.toml", "distinct-test", str(ROOT))
    assert [line.split(" in work pool")[0] for line in lines] == [
        "deployment weekly/pool-distinct-test",
        "deployment ingest/pool-distinct-test",
    ]

    async def read():
        async with get_client() as client:
            return {f"{(await client.read_flow(d.flow_id)).name}/{d.name}": d for d in await client.read_deployments()}

    stored = asyncio.run(read())
    assert {"weekly/weekly", "ingest/ingest", "weekly/pool-distinct-test", "ingest/pool-distinct-test"} <= set(stored)
    assert {stored["weekly/weekly"].id, stored["ingest/ingest"].id} == set(served)  # still the served ones
    assert stored["weekly/weekly"].work_pool_name is None
    assert stored["weekly/pool-distinct-test"].work_pool_name == "distinct-test"
    assert stored["ingest/pool-distinct-test"].schedules[0].schedule.cron == "0 * * * *"
    asyncio.run(_delete([stored["weekly/pool-distinct-test"].id, stored["ingest/pool-distinct-test"].id]))


async def _delete(ids: list) -> None:
    """The session's server is shared: leave no pool-bound schedules behind."""
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        for deployment_id in ids:
            await client.delete_deployment(deployment_id)


def _serve(conf: Path, state: Path, log: Path, wait: float = 120) -> subprocess.Popen:
    """``newsdigest serve``, once it has registered its deployments (its output goes to ``log``)."""
    from prefect.settings import PREFECT_API_URL

    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDIGEST_")}
    env |= {"PREFECT_API_URL": PREFECT_API_URL.value(), "PREFECT_RUNNER_POLL_FREQUENCY": "1"}
    env.pop("PREFECT_LOGGING_LEVEL")  # serve's own choice: INFO
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(BIN), "--state", str(state), "--config", str(conf), "serve"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
        )
    deadline = time.monotonic() + wait
    while "documents are processed on" not in log.read_text(encoding="utf-8", errors="replace"):
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text(encoding="utf-8")
        time.sleep(0.3)
    return proc


def _client_call(method: str, *args, **kwargs):
    from prefect.client.orchestration import get_client

    async def call():
        async with get_client() as client:
            return await getattr(client, method)(*args, **kwargs)

    return asyncio.run(call())


def _start_run(parameters: dict | None = None):
    """A run of the served ingest deployment."""
    dep = _client_call("read_deployment_by_name", "ingest/ingest")
    return _client_call("create_flow_run_from_deployment", dep.id, parameters=parameters or {})


def _wait_state(run_id, done, wait: float = 240):
    deadline = time.monotonic() + wait
    while True:
        run = _client_call("read_flow_run", run_id)
        if done(run.state):
            return run.state
        assert time.monotonic() < deadline, f"flow run still {run.state.type.value}"
        time.sleep(0.5)


def _wait_logs(run_id, done, wait: float = 60):
    """The run's log records once `done` holds for them, or what has arrived when `wait` runs out."""
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    deadline = time.monotonic() + wait
    while True:
        logs = _client_call("read_logs", log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
        if done(logs) or time.monotonic() > deadline:
            return logs
        time.sleep(0.5)


def test_sigterm_ends_the_served_run_crashed_and_the_next_run_proceeds(prefect_harness, tmp_path) -> None:
    with LocalServer() as http:
        feed = http.add("/slow.xml", Route(hang=True))  # the run hangs in collect until stopped
        conf = tmp_path / "newsdigest.toml"
        conf.write_text(
            f'[fetch]\ntimeout = 60.0\nretries = 0\n\n[[sources]]\nkind = "feed"\nname = "slow"\nurl = "{feed}"\n',
            encoding="utf-8",
        )
        state = tmp_path / "state"
        log = tmp_path / "serve.log"
        serve = _serve(conf, state, log)
        try:
            run = _start_run()
            _wait_state(run.id, lambda s: s.is_running())
            serve.send_signal(signal.SIGTERM)
            serve.wait(timeout=60)
        finally:
            serve.kill()
    output = log.read_text(encoding="utf-8")
    assert serve.returncode == 0, output
    assert "serving deployment ingest/ingest: cron '0 * * * *' (Asia/Shanghai)" in output
    ended = _wait_state(run.id, lambda s: s.is_final(), wait=30)
    assert ended.is_crashed() and "SIGTERM" in ended.message

    serve = _serve(conf, state, log)
    try:
        again = _start_run({"paths": [str(SEEDS)]})
        finished = _wait_state(again.id, lambda s: s.is_final())
        # The run's process ships its log records in batches, the last one as it exits; stopping
        # serve before they arrive would end that process and lose them, so wait for them first.
        logs = _wait_logs(again.id, lambda recs: any(r.name.startswith("newsdigest") for r in recs))
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)
    assert finished.is_completed(), finished.message
    engine = store.connect(config.load(conf, state, env={}).store_url)
    assert len({a.origin for a in store.load_articles(engine)}) == 5
    assert any(rec.name.startswith("newsdigest") for rec in logs), [(r.name, r.message) for r in logs]
