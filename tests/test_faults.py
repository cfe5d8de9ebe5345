"""Faults, as an operator meets them, on loopback: a kill -9 during an ingest and during a
send, then a rerun. ``make chaos`` (scripts/chaos.py) runs many more trials; these are
its fast subset. Outcomes are compared, never timings."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from conftest import ROOT
from digest_samples import insert_week, monday
from faultservers import FaultSMTP
from httpserver import LocalServer, Route

from newsdigest import config, store

sys.path.insert(0, str(ROOT / "scripts"))
import synth

BIN = Path(sys.executable).parent / "newsdigest"


def start(state: Path, *args: str, env: dict[str, str] | None = None, config: Path | None = None) -> subprocess.Popen:
    base = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDIGEST_")}
    return subprocess.Popen(
        [str(BIN), "--state", str(state), "--config", str(config or ROOT / "newsdigest.toml"), *args],
        env={**base, **(env or {})},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def query(state: Path, sql: str) -> list[tuple]:
    db = state / "newsdigest.db"
    if not db.exists():
        return []
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []


def wait_for(condition, proc: subprocess.Popen, limit: float = 120.0) -> bool:
    """Poll until the condition holds (True) or the process ends first (False)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.poll() is None:
        if condition():
            return True
        time.sleep(0.02)
    return False


def kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()


def stories(state: Path) -> set[tuple]:
    """Each article (origin, part) with the origin of its story's first article: ids aside."""
    rows = query(
        state,
        "SELECT a.origin, a.part, s.origin FROM articles a JOIN articles s ON s.id = a.story ORDER BY a.origin",
    )
    return set(rows)


@pytest.fixture(scope="module")
def drop_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("drop")
    for doc in synth.corpus(100, seed=7):
        (folder / f"{doc.name}.txt").write_text(doc.text(), encoding="utf-8")
    return folder


def feed_body(base: str, count: int) -> bytes:
    items = "".join(
        f"<item><title>{d.title}</title><link>{base}/a/{i}.html</link><guid>g{i}</guid>"
        f"<description><![CDATA[{''.join(f'<p>{p}</p>' for p in d.body)}]]></description></item>"
        for i, d in enumerate(synth.corpus(count, seed=11))
    )
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


def sources_config(path: Path, folder: Path, feed: str) -> Path:
    text = (ROOT / "newsdigest.toml").read_text(encoding="utf-8").split("[[sources]]")[0]
    text += f'\n[[sources]]\nkind = "folder"\nname = "drop"\npath = "{folder}"\n'
    text += f'\n[[sources]]\nkind = "feed"\nname = "feed"\nurl = "{feed}"\n'
    path.write_text(text, encoding="utf-8")
    return path


def fetch_state(state: Path) -> tuple[set, set]:
    return set(query(state, "SELECT key FROM feed_items")), set(query(state, "SELECT url, etag FROM http_cache"))


def test_kill_during_an_ingest_of_a_folder_and_a_feed_loses_and_doubles_nothing(drop_folder, tmp_path):
    with LocalServer() as server:
        feed = server.add("/feed.xml", Route(body=feed_body(server.base, 120), etag='"f1"'))
        conf = sources_config(tmp_path / "newsdigest.toml", drop_folder, feed)
        env = {"NEWSDIGEST_FETCH_PER_HOST_DELAY": "0"}
        reference = tmp_path / "reference"
        assert start(reference, "ingest", env=env, config=conf).wait(timeout=300) == 0
        killed = tmp_path / "killed"
        proc = start(killed, "ingest", env=env, config=conf)
        # killed once the first batch is stored, while later ones are still being processed
        cut = wait_for(lambda: query(killed, "SELECT count(*) FROM documents") not in ([], [(0,)]), proc)
        kill(proc)
        rerun = start(killed, "ingest", env=env, config=conf)
        out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert stories(killed) == stories(reference) and len(stories(reference)) >= 220
    assert query(killed, "SELECT count(*) FROM documents") == query(reference, "SELECT count(*) FROM documents")
    assert fetch_state(killed) == fetch_state(reference) and len(fetch_state(reference)[0]) == 240  # guid and link
    assert query(killed, "PRAGMA integrity_check") == [("ok",)]
    assert cut or "already known: 220" in out  # cut mid-way, or the machine was too fast to cut


def test_kill_during_a_send_before_the_data_is_resent_once_with_its_message_id(state):
    insert_week(store.connect(config.load(ROOT / "newsdigest.toml", state, env={}).store_url), monday(date(2025, 6, 2)))
    with FaultSMTP(["stall_rcpt"]) as server:  # the server never answers RCPT: the process waits there
        env = {
            "NEWSDIGEST_SMTP_HOST": "127.0.0.1",
            "NEWSDIGEST_SMTP_PORT": str(server.port),
            "NEWSDIGEST_MAIL_TO": "a@example.com",
        }
        proc = start(state, "digest", "--week", "2025-W23", env=env)
        assert wait_for(lambda: query(state, "SELECT stage FROM sends") == [("connect",)] and server.connections, proc)
        kill(proc)
        [(message_id,)] = query(state, "SELECT message_id FROM sends")
        rerun = start(state, "digest", "--week", "2025-W23", env=env)
        out, err = rerun.communicate(timeout=120)
        assert rerun.returncode == 0, err
        assert f"sent 2025-W23 to a@example.com ({message_id}" in out
        again = start(state, "digest", "--week", "2025-W23", env=env)
        assert "already went" in again.communicate(timeout=120)[0]
    assert len(server.messages) == 1 and f"Message-ID: {message_id}".encode() in server.messages[0]
