"""Runs that overlap on one database take turns where they must: two ``newsdigest ingest``
processes of the same folder started together on a fresh database (migrations, story
assignment and the write all race) both exit 0, and each article is stored once, in the
same stories as one ingest alone would give. On SQLite and on a real PostgreSQL server."""

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS

from newsdigest import config, pipeline, sources, store

sys.path.insert(0, str(ROOT / "scripts"))
import synth

pytestmark = pytest.mark.postgres
BIN = Path(sys.executable).parent / "newsdigest"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """300 synthetic documents with known reprints (scripts/synth.py) and the seeds."""
    path = tmp_path_factory.mktemp("drop")
    for doc in synth.corpus(300, seed=7):
        (path / f"{doc.name}.txt").write_text(doc.text(), encoding="utf-8")
    for seed in SEEDS.iterdir():
        (path / seed.name).write_bytes(seed.read_bytes())
    return path


def _start(state: Path, store_url: str, folder: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDIGEST_")}
    env["NEWSDIGEST_STORE_URL"] = store_url
    return subprocess.Popen(
        [str(BIN), "--state", str(state), "--config", str(ROOT / "newsdigest.toml"), "ingest", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


def _stories(engine) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for a in store.load_articles(engine):
        groups.setdefault(a.story, set()).add(f"{Path(a.origin).name}#{a.part}")
    return {frozenset(g) for g in groups.values()}


def test_two_ingests_of_one_folder_started_together_store_each_article_once(store_url, state, folder, tmp_path):
    runs = [_start(state, store_url, folder) for _ in range(2)]
    outputs = [run.communicate(timeout=600) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err for _, err in outputs]
    assert all("Traceback" not in err for _, err in outputs)
    engine = store.connect(store_url)
    stored = store.load_articles(engine)
    assert not [key for key, n in Counter((a.origin, a.part) for a in stored).items() if n > 1]
    assert len({a.origin for a in stored}) == 305
    # One ingest alone, into a fresh SQLite database, gives the same stories.
    alone_cfg = config.load(ROOT / "newsdigest.toml", tmp_path / "alone", env={})
    alone = store.connect(alone_cfg.store_url)
    docs, rejected = sources.collect(alone_cfg, alone, [str(folder)])
    pipeline.ingest(alone, pipeline.Settings.from_config(alone_cfg), docs, rejected)
    assert _stories(engine) == _stories(alone)


@pytest.mark.prefect
def test_two_runs_started_together_send_the_weeks_digest_once(prefect_harness, store_url, state):
    """``newsdigest run`` twice at the same moment (the weekly flow, against the session's
    Prefect server) with a real SMTP server: one email; both runs exit 0."""
    from aiosmtpd.controller import Controller
    from prefect.settings import PREFECT_API_URL
    from test_deliver import Inbox, free_port

    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDIGEST_")}
    env |= {
        "PREFECT_API_URL": PREFECT_API_URL.value(),
        "NEWSDIGEST_STORE_URL": store_url,
        "NEWSDIGEST_SMTP_HOST": "127.0.0.1",
        "NEWSDIGEST_SMTP_PORT": str(smtp.port),
        "NEWSDIGEST_MAIL_TO": "a@example.com",
    }
    args = [str(BIN), "--state", str(state), "--config", str(ROOT / "newsdigest.toml"), "run"]
    try:
        runs = [
            subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
            for _ in range(2)
        ]
        outputs = [run.communicate(timeout=300) for run in runs]
    finally:
        smtp.stop()
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert len(inbox.messages) == 1
    assert sum("sent" in out and "not sent" not in out for out, _ in outputs) >= 1
