"""Ingest flow: read sources (I/O, retried), process documents in batches on the configured
task runner (``[runner]``: threads here, or Dask workers), store them one batch at a time."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from newsdigest import logs, pipeline, sources, store
from newsdigest.config import Config
from newsdigest.flows import runner, warm
from newsdigest.flows.common import Stopwatch, load_config, summary_markdown, timings
from newsdigest.flows.runner import Parcel
from newsdigest.models import Document, Rejected
from newsdigest.store import fetchstate
from newsdigest.store.story_index import StoryIndex

log = logging.getLogger("newsdigest.flows.ingest")


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def collect(
    config: Config, only: list[str] | None, deadline: float | None = None
) -> tuple[list[Document], list[Rejected], int]:
    """Documents, unreadable inputs, and how many fetches the run's deadline left."""
    got = sources.gather(config, store.connect(config.store_url), only, deadline)
    return got.documents, got.rejected, got.left


@task(cache_policy=NO_CACHE)
def process_batch(docs: Parcel, settings: pipeline.Settings) -> Parcel:
    """Every stage on a batch of documents: pure, so batches run in parallel."""
    return Parcel(warm.process_many(docs.items, settings))  # in ``run``'s warm worker, if started


# The serial step: batches are saved one after another, in order, against one story index
# that the run keeps in memory (``index`` is shared by reference within the flow's process).
@task(retries=2, retry_delay_seconds=[1, 5], cache_policy=NO_CACHE)
def save_batch(config: Config, results: Parcel, seen: datetime, index: StoryIndex) -> pipeline.IngestReport:
    """In transactions of ``pipeline.BATCH`` documents whatever the processing batch: where
    batches split decides how near-duplicates are grouped, so every runner stores the same
    stories. A retry skips what an earlier attempt stored."""
    engine, report = store.connect(config.store_url), pipeline.IngestReport()
    for part in pipeline.batches(results.items, pipeline.BATCH):
        report.merge(pipeline.save_batch(engine, part, seen, index))
    return report


def _process_and_save(
    config: Config,
    fresh: list[Document],
    seen: datetime,
    report: pipeline.IngestReport,
    clock: Stopwatch,
    task_runner: Any,
    settings: pipeline.Settings,
    workers: int,
    deadline: float | None = None,
) -> None:
    """Batches go to the task runner all at once (threads, or Dask workers that process them in
    parallel); the flow saves their results in order as they come, so stories are assigned the
    same whichever worker finishes first. Only the save is serial."""
    batches = pipeline.batches(fresh, runner.batch_size(config, workers, len(fresh)))
    index = StoryIndex(settings.dedupe)
    done = 0
    with clock("submit batches"):
        futures = [runner.submit(task_runner, process_batch, b, settings) for b in batches]
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
    settings = pipeline.Settings.from_config(config)  # once per run, shipped with every batch
    with runner.task_runner(config) as task_runner, runner.warming(task_runner, settings) as ready:
        with clock("collect"):  # while a Dask cluster starts and its workers load the stages
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
        if fresh:
            with clock("workers ready"):
                workers = ready()
            with clock("process and save"):
                _process_and_save(config, fresh, seen, report, clock, task_runner, settings, workers, deadline)
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
