"""``run``'s warm worker (flows/warm.py): a forked process that processes batches exactly as
the flow's process would, goes away with its parent, and whose loss costs nothing but time."""

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SEEDS

from newsdigest import config, pipeline, sources
from newsdigest.flows import warm


def _fingerprint(f: Any) -> tuple:
    return f.content_hash, f.signature.tolist(), f.keys  # the signature is an array: as a list


def _comparable(results: list[pipeline.Processed]) -> list[tuple]:
    """Everything processing derived."""
    return [
        (
            p.origin,
            p.sha256,
            p.rejected,
            [(a.id, a.article, a.tags, a.relevance, a.entities, _fingerprint(a.fingerprint)) for a in p.articles],
        )
        for p in results
    ]


@pytest.fixture
def batch(tmp_path: Path) -> tuple[list, pipeline.Settings]:
    (tmp_path / "empty.txt").write_bytes(b"")  # a rejected document travels too
    docs, _ = sources.read_paths([SEEDS, tmp_path / "empty.txt"])
    return docs, pipeline.Settings.from_config(config.load(ROOT / "newsdigest.toml", tmp_path / "state"))


@pytest.fixture
def worker():
    warm.start()
    yield warm._workers[0]
    warm.stop()


def test_the_warm_worker_processes_a_batch_as_the_flow_process_does(batch, worker) -> None:
    docs, settings = batch
    there = warm.process_many(docs, settings)
    assert worker.pid != os.getpid() and warm._workers == [worker]  # it was used, and is still there
    assert _comparable(there) == _comparable(pipeline.process_many(docs, settings))
    assert sum(len(p.articles) for p in there) == 8 and there[-1].rejected is not None


def test_a_worker_that_died_leaves_its_batch_to_the_flow_process(batch, worker, caplog) -> None:
    docs, settings = batch
    os.kill(worker.pid, 9)
    results = warm.process_many(docs, settings)
    assert _comparable(results) == _comparable(pipeline.process_many(docs, settings))
    assert warm._workers == [] and "the processing worker is gone" in caplog.text


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")  # ended (a zombie until someone reaps it)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_the_worker_ends_with_its_parent_however_the_parent_ends() -> None:
    code = "import os\nfrom newsdigest.flows import warm\nwarm.start()\nprint(warm._workers[0].pid, flush=True)\nos.kill(os.getpid(), 9)\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    pid = int(done.stdout.split()[0])
    deadline = time.monotonic() + 30
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(pid)
