"""The task runner of the processing tasks, chosen by configuration (``[runner]``).

- ``kind = "thread"`` (default): Prefect's thread pool in the flow's process.
- ``kind = "dask"`` with ``address = "tcp://host:8786"``: the workers of a running
  ``dask scheduler`` (on other machines, say). They need the newsdigest package, and no
  database: they only turn documents into articles; the flow's process writes them.
- ``kind = "dask"`` without an address: a local cluster of ``workers`` processes, one
  thread each (the work is CPU-bound Python: threads would share one core through the GIL).
  A script that starts a local cluster needs the ``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from newsdigest import pipeline
from newsdigest.config import Config, ConfigError
from newsdigest.models import Document

KINDS = ("thread", "dask")
THREADS = 1  # processing threads of the thread runner (see task_runner)
log = logging.getLogger("newsdigest.flows.runner")

# Documents per task. On threads a task run costs ~6 ms, so 100 documents per task keep
# orchestration under 0.1 ms per article. On Dask every batch crosses to a worker and back
# (pickled documents and results, ~10 ms per 100 documents of the flow's CPU): fewer,
# larger batches, yet at least TASKS_PER_WORKER per worker so that the flow saves while
# the workers process and no worker idles long at the end.
THREAD_BATCH = pipeline.BATCH
DASK_BATCH = (pipeline.BATCH, 5 * pipeline.BATCH)  # multiples of the save's batch
TASKS_PER_WORKER = 8


def settings(config: Config) -> tuple[str, int, str]:
    """``(kind, workers, address)`` from ``[runner]``, validated."""
    kind = str(config.get("runner", "kind", "thread") or "thread").lower()
    if kind not in KINDS:
        raise ConfigError(f"[runner] kind must be thread or dask, not {kind!r}")
    workers = int(config.get("runner", "workers", 2))
    if workers < 1:
        raise ConfigError(f"[runner] workers must be at least 1, not {workers}")
    return kind, workers, str(config.get("runner", "address", "") or "")


def describe(config: Config) -> str:
    kind, workers, address = settings(config)
    if kind == "thread":
        return "thread pool"
    return f"Dask scheduler {address}" if address else f"local Dask cluster of {workers} workers"


def _quiet_dask() -> None:
    """A local cluster logs every worker's start and stop at INFO: keep Dask to warnings,
    here and in the worker processes it spawns (they read the environment)."""
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
    level = os.environ["DASK_LOGGING__DISTRIBUTED"].upper()
    logging.getLogger("distributed").setLevel(level if level in logging.getLevelNamesMapping() else "WARNING")


def task_runner(config: Config) -> Any:  # -> prefect.task_runners.TaskRunner
    """A new task runner for the configuration (enter it to start it)."""
    kind, workers, address = settings(config)
    if kind == "thread":
        from prefect.task_runners import ThreadPoolTaskRunner

        # One processing thread: the stages are CPU-bound Python, so more threads only take turns
        # at the interpreter lock while the flow's thread saves. Prefect's default pool is
        # unbounded (every batch at once): 5,000 documents took 40-45 s that way and 30 s with
        # one thread (PREFECT_TASKS_RUNNER_THREAD_POOL_MAX_WORKERS unset against 1, alternating).
        return ThreadPoolTaskRunner(max_workers=THREADS)
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError as exc:
        raise ConfigError("[runner] kind = 'dask' needs the dask extra: pip install -e '.[dask]'") from exc
    if address:
        return DaskTaskRunner(address=address)
    _quiet_dask()
    from newsdigest.flows import leanworker  # noqa: F401  (importing it sets the lean worker settings)

    return DaskTaskRunner(
        cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True, "dashboard_address": None}
    )


def batch_size(config: Config, workers: int, documents: int) -> int:
    """Documents per processing task for this runner, ``workers`` workers and this many documents."""
    if settings(config)[0] == "thread":
        return THREAD_BATCH
    low, high = DASK_BATCH
    size = max(low, min(high, -(-documents // (max(workers, 1) * TASKS_PER_WORKER))))
    return -(-size // pipeline.BATCH) * pipeline.BATCH  # whole save batches: the same stories


class Parcel:
    """A batch handed to or from a task as one opaque value. Prefect walks every list,
    tuple and dataclass in a task's parameters looking for futures, and Dask every list and
    tuple in a task's arguments; neither enters a plain object. Walking the documents and
    the processed results took 12 of the flow process's 30 CPU seconds for 2,000 documents
    on the thread runner, and more on Dask."""

    __slots__ = ("items",)

    def __init__(self, items: list) -> None:
        self.items = items


def submit(task_runner: Any, process_task: Any, batch: list[Document], settings: pipeline.Settings) -> Any:
    """Start processing a batch; returns a future whose ``result()`` is a ``Parcel`` of
    ``pipeline.Processed``. Threads run ``process_task`` (a Prefect task run, ~6 ms). On Dask
    the batch is a plain Dask task, not a Prefect task run: a Prefect task run on a worker
    costs that worker Prefect's import and task engine (~0.15 s of CPU per batch, beside
    the flow's submit, ~0.1 s of its CPU per batch), time off processing on 2 cores. Side by
    side, 5,000 documents on 2 local workers: 28.0 s and 37.0 s as Prefect task runs, 21.5 s
    and 30.9 s as Dask tasks, workers' CPU 42.6 and 54.7 s against 33.1 and 46.6 s."""
    if hasattr(task_runner, "client"):
        return task_runner.client.submit(process_on_worker, Parcel(batch), settings, pure=False)
    return task_runner.submit(process_task, parameters={"docs": Parcel(batch), "settings": settings})


def process_on_worker(docs: Parcel, settings: pipeline.Settings) -> Parcel:
    """A batch on a Dask worker: the pure stages, nothing of Prefect's."""
    return Parcel(pipeline.process_many(docs.items, settings))


def _prepare_worker(settings: pipeline.Settings) -> None:
    """Run in each Dask worker before its first batch: the stages' tables (jieba's
    dictionary, the gazetteer), ~1 s of CPU per new worker."""
    pipeline.prepare(settings)


def _start(task_runner: Any, settings: pipeline.Settings) -> int:
    client = task_runner.client  # starts the local cluster, or connects to the scheduler
    return len(client.run(_prepare_worker, settings))


@contextlib.contextmanager
def warming(task_runner: Any, settings: pipeline.Settings) -> Iterator[Callable[[], int]]:
    """Start Dask in the background while the flow collects documents: the local cluster
    (or the connection to a scheduler) and each worker's preparation. Yields a function
    that waits until the workers are ready and returns how many there are (1 for threads,
    where nothing starts). On leaving, waits for the start to end before the runner stops."""
    if not hasattr(task_runner, "client"):
        yield lambda: 1
        return
    with ThreadPoolExecutor(1, thread_name_prefix="dask-start") as pool:
        started = pool.submit(_start, task_runner, settings)
        try:
            yield started.result
        finally:
            if exc := started.exception():
                log.warning("the Dask workers could not be prepared: %s", exc)
