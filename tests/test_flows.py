"""Flows on Prefect's test harness: they orchestrate the same functions, in batches, and
leave a run summary; the weekly deployment is registered with its cron and timezone."""

import asyncio

import pytest
from conftest import ROOT, SEEDS

pytestmark = pytest.mark.prefect


def test_ingest_flow_stores_seeds_and_publishes_a_summary(prefect_harness, state, tmp_path) -> None:
    from prefect.client.orchestration import get_client

    from flows.ingest import ingest_flow

    bad = tmp_path / "empty.txt"
    bad.write_bytes(b"")
    summary = ingest_flow(config_file=str(ROOT / "newsdigest.toml"), state_dir=str(state),
                          paths=[str(SEEDS), str(bad)])
    assert summary["documents_in"] == 6 and summary["articles_new"] >= 5
    assert summary["rejected"] == [{"origin": str(bad), "reason": "empty file"}]
    again = ingest_flow(config_file=str(ROOT / "newsdigest.toml"), state_dir=str(state), paths=[str(SEEDS)])
    assert again["articles_new"] == 0 and again["already_known"] == 5

    async def latest_artifact() -> str:
        async with get_client() as client:
            artifact = await client.read_latest_artifacts()
            return next(a.data for a in artifact if a.key == "ingest-summary")

    markdown = asyncio.run(latest_artifact())
    assert "# Ingest run" in markdown and "already known | 5" in markdown


def test_weekly_deployment_is_registered_with_its_schedule(prefect_harness, cfg) -> None:
    from prefect.client.orchestration import get_client

    from flows.serve import deployment

    deployment_id = deployment(cfg, ROOT / "newsdigest.toml").apply()

    async def read():
        async with get_client() as client:
            return await client.read_deployment(deployment_id)

    stored = asyncio.run(read())
    assert stored.name == "weekly"
    [schedule] = stored.schedules
    assert schedule.schedule.cron == "0 8 * * 1"
    assert schedule.schedule.timezone == "Asia/Shanghai"
    assert schedule.active
    assert stored.parameters["state_dir"] == str(cfg.state_dir.resolve())
