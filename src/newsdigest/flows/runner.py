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

import logging
import os
from typing import Any

from newsdigest.config import Config, ConfigError

KINDS = ("thread", "dask")


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

        return ThreadPoolTaskRunner()
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError as exc:
        raise ConfigError("[runner] kind = 'dask' needs the dask extra: pip install -e '.[dask]'") from exc
    if address:
        return DaskTaskRunner(address=address)
    _quiet_dask()
    return DaskTaskRunner(
        cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True, "dashboard_address": None}
    )
