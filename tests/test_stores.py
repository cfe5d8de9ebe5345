"""The store on both back ends it supports: SQLite and a real PostgreSQL server (started by
the tests, see conftest.pg_server). Ingest, stories, the digest and the send records give
the same results on both."""

import shutil
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS

from newsdigest import config, pipeline, publish, sources, store
from newsdigest.store import locks, sends

pytestmark = pytest.mark.postgres


@pytest.fixture
def on_store(store_url, state):
    """The project's configuration with its state in the test's folder, on the given store."""
    cfg = config.load(ROOT / "newsdigest.toml", state, env={"NEWSDIGEST_STORE_URL": store_url})
    return cfg, store.connect(cfg.store_url)


def _ingest(cfg, engine, *paths):
    docs, rejected = sources.collect(cfg, engine, [str(p) for p in paths])
    return pipeline.ingest(engine, pipeline.Settings.from_config(cfg), docs, rejected)


def test_ingest_is_idempotent_and_stories_join_reprints(on_store, tmp_path: Path) -> None:
    cfg, engine = on_store
    folder = tmp_path / "drop"
    shutil.copytree(SEEDS, folder)
    text = (SEEDS / "002_c5d23d0c87816259.txt").read_text(encoding="utf-8")
    (folder / "reprint.txt").write_text(text.replace(",", "，"), encoding="gb18030")
    (folder / "empty.txt").write_bytes(b"")
    first = _ingest(cfg, engine, folder)
    assert first.documents_in == 7 and first.articles_new == 9 and first.duplicates == 1
    assert [r.reason for r in first.rejected] == ["empty file"]
    stored = store.load_articles(engine)
    by_origin = {Path(a.origin).name: a.story for a in stored}
    assert by_origin["reprint.txt"] == by_origin["002_c5d23d0c87816259.txt"]
    again = _ingest(cfg, engine, folder)
    assert again.articles_new == 0 and again.already_known == 7
    assert store.load_articles(engine) == stored
    assert store.migrate(engine) == []


def test_digest_and_send_records_are_the_same_on_both_stores(on_store, tmp_path: Path) -> None:
    cfg, engine = on_store
    _ingest(cfg, engine, SEEDS)
    result = publish.build(cfg, engine, None)
    assert result.articles == 8 and "金华市技师学院" in result.html_path.read_text(encoding="utf-8")
    record = sends.record_intent(engine, result.week, ("a@example.org",), result.subject, "<id@x>")
    sends.set_outcome(engine, record, sends.SENT, 1, "250 ok")
    latest = sends.latest(engine, result.week, ("a@example.org",))
    assert latest is not None and latest.status == sends.SENT and latest.message_id == "<id@x>"


def test_the_write_lock_is_exclusive_and_rolls_back_with_its_transaction(on_store) -> None:
    import threading

    from sqlalchemy import func, select

    from newsdigest.store.schema import runs

    _, engine = on_store
    order: list[str] = []
    inside = threading.Event()

    def second() -> None:
        with locks.exclusive(engine, locks.WRITE):
            order.append("second")

    with locks.exclusive(engine, locks.WRITE) as conn:
        waiter = threading.Thread(target=second)
        waiter.start()
        inside.wait(0.5)  # gives the other thread time to reach the lock and block on it
        order.append("first")
    waiter.join(10)
    assert order == ["first", "second"]
    with pytest.raises(RuntimeError), locks.exclusive(engine, locks.WRITE) as conn:
        conn.execute(runs.insert().values(kind="x", started=store.now(), summary="{}"))
        raise RuntimeError("boom")
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(runs)) == 0
