"""The project's logging: stage code and flows log through standard ``logging`` under
``newsdigest.*``; nothing here imports Prefect.

- In a Prefect run, ``PREFECT_LOGGING_EXTRA_LOGGERS=newsdigest`` (the CLI sets it) makes
  Prefect forward these records to the API, so a served run shows what happened; flows
  call ``for_runs()`` so that INFO records are not dropped by the root logger's level.
- On the command line, ``-v`` shows INFO records on stderr and ``-vv`` DEBUG ones.
- Progress of an ingest goes to ``newsdigest.progress`` at DEBUG with ``done`` and ``total``
  (never to the API: too many records); ``run`` turns it into a progress bar.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator

ROOT = "newsdigest"
PROGRESS = "newsdigest.progress"
FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def level_of(verbosity: int) -> int:
    return logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG


def configure(verbosity: int) -> None:
    """Command line: records at the chosen level on stderr (WARNING without ``-v``)."""
    logger = logging.getLogger(ROOT)
    logger.setLevel(level_of(verbosity))
    if not any(getattr(h, "_newsdigest", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT, "%H:%M:%S"))
        handler._newsdigest = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    # Prefect's console handler sits on the root logger: not a second copy of each line.
    logger.propagate = False


def for_runs() -> None:
    """In a flow run: INFO and above reach Prefect's handlers unless a level was chosen."""
    logger = logging.getLogger(ROOT)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)


def progress(done: int, total: int, what: str = "documents") -> None:
    logging.getLogger(PROGRESS).debug("%d/%d %s", done, total, what, extra={"done": done, "total": total})


class _ProgressHandler(logging.Handler):
    def __init__(self, update: Callable[[int, int], None]) -> None:
        super().__init__(logging.DEBUG)
        self.update = update

    def emit(self, record: logging.LogRecord) -> None:
        done, total = getattr(record, "done", None), getattr(record, "total", None)
        if done is not None and total is not None:
            self.update(done, total)


@contextlib.contextmanager
def progress_to(update: Callable[[int, int], None]) -> Iterator[None]:
    """Call ``update(done, total)`` for each progress record while the block runs."""
    logger = logging.getLogger(PROGRESS)
    handler = _ProgressHandler(update)
    old_level, old_propagate = logger.level, logger.propagate
    logger.setLevel(logging.DEBUG)
    logger.propagate = False  # progress records stay out of the log and the API
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate
