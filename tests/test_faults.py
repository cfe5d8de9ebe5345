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
from fakesite import COLUMNS, DISALLOWED, TODAY, FakeSite
from faultservers import FaultSMTP, trickle_body
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


def site_config(path: Path, server: LocalServer, feed: str | None = None, columns: tuple[str, ...] = ()) -> Path:
    """Columns of the fake site (default: all) as ``site`` sources, and a feed if given."""
    text = (ROOT / "newsdigest.toml").read_text(encoding="utf-8").split("[[sources]]")[0]
    for column, name in COLUMNS.items():
        if columns and column not in columns:
            continue
        url = server.url(f"/{column}/index.html")
        text += f'\n[[sources]]\nkind = "site"\nname = "{name}"\nurl = "{url}"\nmax_pages = 5\n'
    if feed:
        text += f'\n[[sources]]\nkind = "feed"\nname = "feed"\nurl = "{feed}"\n'
    path.write_text(text, encoding="utf-8")
    return path


def stored_count(state: Path) -> int:
    rows = query(state, "SELECT (SELECT count(*) FROM feed_items) + (SELECT count(*) FROM documents)")
    return rows[0][0] if rows else 0


def test_kill_after_collecting_list_pages_loses_nothing(tmp_path):
    """Crawl targets are marked seen with their documents, not at collection: a kill between
    the two (here: as soon as anything is stored) leaves them for the rerun."""
    fake = FakeSite()
    fake.publish("xwzx", 15, TODAY)  # 106 articles: two batches
    env = {"NEWSDIGEST_FETCH_PER_HOST_DELAY": "0"}
    with LocalServer() as server:
        fake.serve(server)
        conf = site_config(tmp_path / "newsdigest.toml", server)
        reference = tmp_path / "reference"
        assert start(reference, "ingest", env=env, config=conf).wait(timeout=300) == 0
        killed = tmp_path / "killed"
        proc = start(killed, "ingest", env=env, config=conf)
        cut = wait_for(lambda: stored_count(killed) > 0, proc)
        kill(proc)
        rerun = start(killed, "ingest", env=env, config=conf)
        out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    listed = {a.path for a in fake.all_articles() if not a.path.startswith(DISALLOWED)}
    assert {o.removeprefix(server.base) for o, _, _ in stories(reference)} == listed
    assert stories(killed) == stories(reference)
    assert query(killed, "SELECT count(*) FROM documents") == [(len(listed),)]
    assert fetch_state(killed) == fetch_state(reference) and len(fetch_state(reference)[1]) >= 3
    assert cut or "already known: 0" not in out


def test_past_the_run_deadline_the_rest_waits_and_the_rerun_takes_it_once(tmp_path):
    """``[run] deadline`` with an article page that trickles among good ones: the good pages are
    stored, the trickling one is cut at the deadline and left (not marked seen), in one line;
    the rerun without a deadline, the page answering again, stores it: nothing lost or doubled."""
    fake = FakeSite()
    slow = fake.articles["tzgg"][5].path
    env = {"NEWSDIGEST_FETCH_PER_HOST_DELAY": "0"}
    with LocalServer() as server:
        fake.serve(server)
        feed = server.add("/feed.xml", Route(body=feed_body(server.base, 10), etag='"f1"'))
        conf = site_config(tmp_path / "newsdigest.toml", server, feed, ("tzgg",))
        reference = tmp_path / "reference"
        assert start(reference, "ingest", env=env, config=conf).wait(timeout=300) == 0
        good = server.routes[slow]
        server.routes[slow] = Route(handler=trickle_body(0.2))
        state = tmp_path / "state"
        first = start(state, "ingest", env=env | {"NEWSDIGEST_RUN_DEADLINE": "6"}, config=conf)
        out, err = first.communicate(timeout=300)
        assert first.returncode == 0, err
        assert "[run] deadline reached: 1 URLs not fetched, left for the next run" in out.splitlines()
        origins = {o for o, _, _ in stories(state)}
        assert server.url(slow) not in origins
        assert origins == {o for o, _, _ in stories(reference)} - {server.url(slow)}
        server.routes[slow] = good
        rerun = start(state, "ingest", env=env, config=conf)
        out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert "deadline" not in out and "new articles: 1 " in out
    assert stories(state) == stories(reference)
    assert query(state, "SELECT count(*) FROM documents") == query(reference, "SELECT count(*) FROM documents")
    seen, validators = fetch_state(state)
    # the rerun stopped paging at page 1 (its last link was stored): page 2's validators wait
    assert seen == fetch_state(reference)[0] and validators <= fetch_state(reference)[1]


@pytest.mark.prefect
def test_run_past_its_deadline_still_sends_the_digest_of_what_was_stored(prefect_harness, tmp_path, monkeypatch):
    """``run`` (the weekly flow) with a page source that trickles: the ingest leaves it at the
    deadline, says so, and the digest of what was stored is written all the same."""
    from conftest import SEEDS

    from newsdigest.flows.weekly import weekly_flow

    with LocalServer() as server:
        page = server.add("/slow.html", Route(handler=trickle_body(0.2)))
        conf = tmp_path / "newsdigest.toml"
        text = (ROOT / "newsdigest.toml").read_text(encoding="utf-8").split("[[sources]]")[0]
        text += f'\n[[sources]]\nkind = "folder"\nname = "seeds"\npath = "{SEEDS}"\n'
        conf.write_text(text + f'\n[[sources]]\nkind = "page"\nname = "slow"\nurl = "{page}"\n', encoding="utf-8")
        monkeypatch.setenv("NEWSDIGEST_RUN_DEADLINE", "3")
        monkeypatch.setenv("NEWSDIGEST_FETCH_PER_HOST_DELAY", "0")
        final = weekly_flow(config_file=str(conf), state_dir=str(tmp_path / "state"), dry_run=True, return_state=True)
    assert final.is_completed()
    text = final.result()
    assert text.splitlines()[0] == "[run] deadline reached: 1 URLs not fetched, left for the next run"
    assert "ingested 8 new articles from 5 documents" in text and "dry run" in text
