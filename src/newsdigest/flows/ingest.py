"""Ingest flow: read sources (I/O, retried), process documents in batches, store them."""

from __future__ import annotations

from datetime import datetime

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from newsdigest import pipeline, sources, store
from newsdigest.config import Config
from newsdigest.flows.common import load_config, summary_markdown
from newsdigest.models import Document, Rejected
from newsdigest.store import fetchstate
from newsdigest.store.story_index import StoryIndex

# One task run costs ~6 ms; batching 100 documents per task keeps orchestration
# under 0.1 ms per article.
BATCH = 100


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def collect(config: Config, only: list[str] | None) -> tuple[list[Document], list[Rejected]]:
    return sources.collect(config, store.connect(config.store_url), only)


@task(cache_policy=NO_CACHE)
def process_batch(docs: list[Document], settings: pipeline.Settings) -> list[pipeline.Processed]:
    """Every stage on a batch of documents: pure, so batches run in parallel."""
    return [pipeline.process(d, settings) for d in docs]


# The serial step: batches are saved one after another, in order, against one story index
# that the run keeps in memory (``index`` is shared by reference within the flow's process).
@task(retries=2, retry_delay_seconds=[1, 5], cache_policy=NO_CACHE)
def save_batch(
    config: Config, results: list[pipeline.Processed], seen: datetime, index: StoryIndex
) -> pipeline.IngestReport:
    return pipeline.save_batch(store.connect(config.store_url), results, seen, index)


@flow(name="ingest", log_prints=False)
def ingest_flow(config_file: str | None = None, state_dir: str | None = None, paths: list[str] | None = None) -> dict:
    """Ingest every configured source (or the given paths) into the store."""
    config = load_config(config_file, state_dir)
    engine = store.connect(config.store_url)
    started = seen = store.now()
    docs, rejected = collect(config, paths)
    settings = pipeline.Settings.from_config(config)  # once per run, shipped with every batch
    index = StoryIndex(settings.dedupe)
    fresh, report = pipeline.begin(engine, docs, rejected, seen)
    futures = [process_batch.submit(batch, settings) for batch in pipeline.batches(fresh, BATCH)]
    for future in futures:  # saved in order, so stories are assigned deterministically
        report.merge(save_batch(config, future.result(), seen, index))
    summary = report.as_dict()
    summary["sources"] = fetchstate.health_report(engine, config.sources)
    store.record_run(engine, "ingest", started, summary)
    create_markdown_artifact(
        summary_markdown("Ingest run", summary), key="ingest-summary", description="What the ingest run did"
    )
    return summary
