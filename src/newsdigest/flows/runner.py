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

KINDS = ("thread", "dask")
THREADS = 1  # processing threads of the thread runner (see task_runner)
log = logging.getLogger("newsdigest.flows.runner")

# Documents per task. On threads a task run costs ~6 ms, so 100 documents per task keep
# orchestration under 0.1 ms per article. On Dask a task run costs ~0.13 s of a worker's
# CPU (Prefect's task engine and its API calls there) and ~50 ms of the flow's (the run
# context is serialised with every task), on 2 cores both off the processing: fewer,
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


def _prepare_worker(settings: pipeline.Settings) -> None:
    """Run in each Dask worker before its first batch: the task engine's imports and the
    stages' tables (jieba's dictionary, the gazetteer), ~4 s of CPU per new worker."""
    import newsdigest.flows.ingest  # noqa: F401  (Prefect, as a task run needs it)

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
