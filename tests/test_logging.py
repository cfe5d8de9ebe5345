"""A run you can watch: the project logs under ``newsdigest.*`` (``-v`` shows it), and the
ingest run's summary carries per-step timings and throughput."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS

BIN = Path(sys.executable).parent / "newsdigest"


def _ingest(state: Path, *options: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDIGEST_")}
    args = [str(BIN), "--state", str(state), "--config", str(ROOT / "newsdigest.toml"), *options, "ingest", str(SEEDS)]
    return subprocess.run(args, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


def test_verbose_shows_what_the_pipeline_does_and_quiet_shows_nothing(state: Path, tmp_path: Path) -> None:
    loud = _ingest(state, "-v")
    assert loud.returncode == 0, loud.stderr
    assert "INFO    newsdigest.pipeline: 5 documents: 5 to process, 0 stored before; 0 unreadable" in loud.stderr
    quiet = _ingest(tmp_path / "other")
    assert quiet.returncode == 0 and "newsdigest." not in quiet.stderr


@pytest.mark.prefect
def test_the_ingest_summary_has_per_step_timings_and_throughput(prefect_harness, state: Path) -> None:
    from newsdigest.flows.common import summary_markdown
    from newsdigest.flows.ingest import ingest_flow

    summary = ingest_flow(config_file=str(ROOT / "newsdigest.toml"), state_dir=str(state), paths=[str(SEEDS)])
    seconds = summary["timings"]["seconds"]
    assert {"collect", "skip known documents", "process and save", "total"} <= set(seconds)
    assert seconds["save: stories and write (serial)"] <= seconds["process and save"] <= seconds["total"]
    assert summary["timings"]["documents_per_s"] > 0
    markdown = summary_markdown("Ingest run", summary)
    assert "## Time" in markdown and "| save: stories and write (serial) |" in markdown and "documents/s" in markdown


@pytest.mark.prefect
def test_the_weekly_run_leaves_its_own_summary_artifact(prefect_harness, state: Path) -> None:
    import asyncio

    from prefect.client.orchestration import get_client

    from newsdigest.flows.weekly import weekly_flow

    weekly_flow(config_file=str(ROOT / "newsdigest.toml"), state_dir=str(state), dry_run=True)

    async def latest(key: str) -> str:
        async with get_client() as client:
            return next(a.data for a in await client.read_latest_artifacts() if a.key == key)

    markdown = asyncio.run(latest("weekly-summary"))
    assert "# Weekly run" in markdown and "| new articles | 8 |" in markdown and "| ingest |" in markdown
