"""``run``'s processing half in a forked worker that loads jieba's tables while the flow's
process imports Prefect.

``run`` is a fresh process: Python, Prefect, the stages, jieba's tables (~0.6 s) and the
flow's API calls, one after another. A thread cannot overlap the tables with Prefect's
import (both need the one interpreter lock), so ``start()`` imports the stages, then forks:
the child loads the tables on the other core while the parent goes on to import Prefect and
start the flow, and the flow's ``process_batch`` tasks hand their batches to the child.
Forking after the imports means nothing is imported twice. Processing is pure (documents in,
picklable ``Processed`` out, no database), as on Dask workers, so the outcome is the same;
saving stays in the flow's process, serial.

Without ``start()`` (``serve``, tests, Dask workers) batches are processed in the calling
thread, as before; if the worker is gone, here too, and the run goes on. The worker reads
its batches from a pipe only the parent can write: when the parent ends, however it ends,
the worker reads end-of-file and exits.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import pickle
import signal
import sys
import threading
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newsdigest import pipeline
    from newsdigest.models import Document

log = logging.getLogger("newsdigest.flows.warm")


class _Worker:
    """The parent's end: a forked child process and the two pipes to it."""

    def __init__(self, pid: int, jobs: IO[bytes], replies: IO[bytes]) -> None:
        self.pid, self.jobs, self.replies = pid, jobs, replies
        self.lock = threading.Lock()  # one batch at a time on the pipes (tasks run in threads)

    def process_many(self, docs: list[Document], settings: pipeline.Settings) -> list[pipeline.Processed]:
        with self.lock:
            pickle.dump((docs, settings), self.jobs, protocol=pickle.HIGHEST_PROTOCOL)
            self.jobs.flush()
            ok, value = pickle.load(self.replies)
        if not ok:
            raise value
        return value

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.jobs.close()  # the worker reads end-of-file and exits
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        self.replies.close()


_workers: list[_Worker] = []


def start() -> None:
    """Import the stages here, then fork the worker that loads their tables; returns at once."""
    if _workers or not hasattr(os, "fork"):
        return
    from newsdigest import pipeline  # noqa: F401  (imported once, before the fork: shared by both)

    jobs_r, jobs_w = os.pipe()
    replies_r, replies_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the worker
        status = 0
        try:
            os.close(jobs_w)
            os.close(replies_r)
            _child(os.fdopen(jobs_r, "rb"), os.fdopen(replies_w, "wb"))
        except BaseException:
            status = 1
        finally:
            os._exit(status)  # never the parent's atexit handlers or buffers
    os.close(jobs_r)
    os.close(replies_w)
    _workers.append(_Worker(pid, os.fdopen(jobs_w, "wb"), os.fdopen(replies_r, "rb")))
    atexit.register(stop)


def stop() -> None:
    while _workers:
        _workers.pop().close()


def process_many(docs: list[Document], settings: pipeline.Settings) -> list[pipeline.Processed]:
    """``pipeline.process_many`` in the warm worker when there is one, else here."""
    if _workers:
        try:
            return _workers[0].process_many(docs, settings)
        except (OSError, EOFError, pickle.UnpicklingError) as exc:
            log.warning("the processing worker is gone (%s); processing in the flow's process", exc)
            _workers.pop().close()
    from newsdigest import pipeline

    return pipeline.process_many(docs, settings)


# ---- the worker process ----------------------------------------------------------------------


def _child(jobs: IO[bytes], replies: IO[bytes]) -> None:
    """Warm up, then process each batch read from ``jobs`` until end-of-file."""
    from newsdigest import pipeline, reaper

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    for fd in reaper.held():  # the reaper must see the parent's end, not wait for ours
        os.close(fd)
    try:
        _warm_up()
    except Exception as exc:  # processing meets it again and reports it
        log.debug("warm-up failed: %s", exc)
    while True:
        try:
            docs, settings = pickle.load(jobs)
        except EOFError:
            return
        try:
            _reply(replies, True, pipeline.process_many(docs, settings))
        except Exception as exc:
            _reply(replies, False, exc)


def _warm_up() -> None:
    """Load the tables the stages load on first use."""
    from newsdigest import entities, tag

    tag.tokenize("")  # jieba's dictionary and IDF table, with the project's words
    entities.extract("金华市技师学院", "金华市技师学院校长王明表示")  # part-of-speech tags, names


def _reply(out: IO[bytes], ok: bool, value: Any) -> None:
    try:
        data = pickle.dumps((ok, value), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # an exception that does not pickle: its one line
        data = pickle.dumps((False, RuntimeError(f"{type(value).__name__}: {value} ({exc})")))
    out.write(data)
    out.flush()
