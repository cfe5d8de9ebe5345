"""Ingest flow: read sources (I/O, retried), process documents in batches on the configured
task runner (``[runner]``: threads here, or Dask workers), store them one batch at a time."""

from __future__ import annotations

import logging
from datetime import datetime

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from newsdigest import logs, pipeline, sources, store
from newsdigest.config import Config
from newsdigest.flows import runner
from newsdigest.flows.common import Stopwatch, load_config, summary_markdown, timings
from newsdigest.models import Document, Rejected
from newsdigest.store import fetchstate
from newsdigest.store.story_index import StoryIndex

# One task run costs ~6 ms; batching 100 documents per task keeps orchestration
# under 0.1 ms per article.
BATCH = 100
log = logging.getLogger("newsdigest.flows.ingest")


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def collect(
    config: Config, only: list[str] | None, deadline: float | None = None
) -> tuple[list[Document], list[Rejected], int]:
    """Documents, unreadable inputs, and how many fetches the run's deadline left."""
    got = sources.gather(config, store.connect(config.store_url), only, deadline)
    return got.documents, got.rejected, got.left


@task(cache_policy=NO_CACHE)
def process_batch(docs: list[Document], settings: pipeline.Settings) -> list[pipeline.Processed]:
    """Every stage on a batch of documents: pure, so batches run in parallel."""
    return pipeline.process_many(docs, settings)


# The serial step: batches are saved one after another, in order, against one story index
# that the run keeps in memory (``index`` is shared by reference within the flow's process).
@task(retries=2, retry_delay_seconds=[1, 5], cache_policy=NO_CACHE)
def save_batch(
    config: Config, results: list[pipeline.Processed], seen: datetime, index: StoryIndex
) -> pipeline.IngestReport:
    return pipeline.save_batch(store.connect(config.store_url), results, seen, index)


def _process_and_save(
    config: Config,
    fresh: list[Document],
    seen: datetime,
    report: pipeline.IngestReport,
    clock: Stopwatch,
    deadline: float | None = None,
) -> None:
    """Batches go to the task runner all at once (threads, or Dask workers that process them in
    parallel); the flow saves their results in order as they come, so stories are assigned the
    same whichever worker finishes first. Only the save is serial."""
    batches = pipeline.batches(fresh, BATCH)
    if not batches:
        return  # nothing new: no cluster to start
    settings = pipeline.Settings.from_config(config)  # once per run, shipped with every batch
    index = StoryIndex(settings.dedupe)
    done = 0
    with runner.task_runner(config) as task_runner:
        futures = [task_runner.submit(process_batch, parameters={"docs": b, "settings": settings}) for b in batches]
        for batch, future in zip(batches, futures, strict=True):
            if done and pipeline.past(deadline):  # [run] deadline: what is stored stays, the rest waits
                report.left = len(fresh) - done
                break
            with clock("waiting for processing"):
                results = future.result()
            with clock("save: stories and write (serial)"):
                report.merge(save_batch(config, results, seen, index))
            done += len(batch)
            logs.progress(done, len(fresh))


@flow(name="ingest", log_prints=False)
def ingest_flow(config_file: str | None = None, state_dir: str | None = None, paths: list[str] | None = None) -> dict:
    """Ingest every configured source (or the given paths) into the store."""
    return run_ingest(load_config(config_file, state_dir), paths)


def run_ingest(config: Config, paths: list[str] | None = None) -> dict:
    """The ingest run's work and its summary artifact, inside whichever flow runs it (its own,
    or ``weekly``, which runs it in its own flow run rather than as a subflow: see weekly.py)."""
    engine = store.connect(config.store_url)
    clock = Stopwatch()
    started = seen = store.now()
    deadline = pipeline.deadline_of(config)
    with clock("collect"):
        docs, rejected, unfetched = collect(config, paths, deadline)
    with clock("skip known documents"):
        fresh, report = pipeline.begin(engine, docs, rejected, seen)
    report.unfetched = unfetched
    log.info(
        "%d documents (%d unreadable): %d new, %d already stored; processing on %s",
        len(docs) + len(rejected),
        len(rejected),
        len(fresh),
        report.already_known,
        runner.describe(config),
    )
    with clock("process and save"):
        _process_and_save(config, fresh, seen, report, clock, deadline)
    summary = report.as_dict()
    summary["sources"] = fetchstate.health_report(engine, config.sources)
    summary["timings"] = timings(clock, len(docs), report.articles_new)
    store.record_run(engine, "ingest", started, summary)
    create_markdown_artifact(
        summary_markdown("Ingest run", summary), key="ingest-summary", description="What the ingest run did"
    )
    log.info(
        "%d new articles (%d joined a story), %d rejected, in %.1f s",
        report.articles_new,
        report.duplicates,
        len(report.rejected),
        summary["timings"]["seconds"]["total"],
    )
    return summary
