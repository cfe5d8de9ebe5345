"""Flows on Prefect's test harness: they orchestrate the same functions, in batches, and
leave a run summary; the weekly deployment is registered with its cron and timezone."""

import asyncio

import pytest
from conftest import ROOT, SEEDS

pytestmark = pytest.mark.prefect


def test_ingest_flow_stores_seeds_and_publishes_a_summary(prefect_harness, state, tmp_path) -> None:
    from prefect.client.orchestration import get_client

    from newsdigest.flows.ingest import ingest_flow

    bad = tmp_path / "empty.txt"
    bad.write_bytes(b"")
    summary = ingest_flow(config_file=str(ROOT / "newsdigest.toml"), state_dir=str(state), paths=[str(SEEDS), str(bad)])
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

    from newsdigest.flows.serve import deployment

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


def test_weekly_flow_twice_adds_nothing_and_writes_the_same_digest(prefect_harness, state) -> None:
    from newsdigest.digest import iso_week
    from newsdigest.flows.weekly import weekly_flow

    config = str(ROOT / "newsdigest.toml")
    week = iso_week(None)[0]  # the seeds are first seen now, so they belong to this week
    first = weekly_flow(config_file=config, state_dir=str(state), dry_run=True)
    html = (state / "digests" / f"{week}.html").read_bytes()
    assert "ingested 8 new articles from 5 documents" in first
    assert (state / "outbox" / f"{week}.eml").exists()
    assert "金华市技师学院" in html.decode("utf-8")
    second = weekly_flow(config_file=config, state_dir=str(state), dry_run=True)
    assert "ingested 0 new articles" in second
    assert (state / "digests" / f"{week}.html").read_bytes() == html


def test_weekly_flow_with_a_refused_send_fails_with_its_reason_and_is_not_retried(
    prefect_harness, state, monkeypatch
) -> None:
    from faultservers import FaultSMTP

    from newsdigest.flows.weekly import weekly_flow

    with FaultSMTP(["550 5.7.1 rejected by policy"]) as server:
        for key, value in {
            "NEWSDIGEST_SMTP_HOST": "127.0.0.1",
            "NEWSDIGEST_SMTP_PORT": str(server.port),
            "NEWSDIGEST_MAIL_TO": "a@example.com",
        }.items():
            monkeypatch.setenv(key, value)
        final = weekly_flow(config_file=str(ROOT / "newsdigest.toml"), state_dir=str(state), return_state=True)
    assert final.is_failed()
    assert final.message.startswith("send failed for") and "550 5.7.1 rejected by policy" in final.message
    assert server.connections == 1 and server.messages == []


def test_weekly_run_is_one_flow_run_carrying_the_ingest_digest_and_weekly_summaries(prefect_harness, state) -> None:
    """No subflows (each flow run costs start-up time): the ingest and digest halves run inside
    the weekly run, and their summaries are attached to it beside its own."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        FlowRunFilter,
        FlowRunFilterParentFlowRunId,
    )

    from newsdigest.flows.weekly import weekly_flow

    final = weekly_flow(
        config_file=str(ROOT / "newsdigest.toml"), state_dir=str(state), dry_run=True, return_state=True
    )
    run_id = final.state_details.flow_run_id

    async def read() -> tuple[dict[str, str], list]:
        async with get_client() as client:
            mine = ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
            artifacts = await client.read_artifacts(artifact_filter=mine)
            children = FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[run_id]))
            return {a.key: a.data for a in artifacts}, await client.read_flow_runs(flow_run_filter=children)

    artifacts, subflows = asyncio.run(read())
    assert final.is_completed() and subflows == []
    assert set(artifacts) == {"ingest-summary", "digest-summary", "weekly-summary"}
    assert "| articles new | 8 |" in artifacts["ingest-summary"]
    assert "# Digest " in artifacts["digest-summary"] and "| new articles | 8 |" in artifacts["weekly-summary"]
