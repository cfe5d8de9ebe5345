"""The story index in the state database: one row per article with its fingerprints.

This is the I/O edge of ``dedupe``. The table holds each article's story, exact content
hash, day and MinHash signature, so a reprint next week (another process, another run)
joins last week's story. The LSH band keys are not stored: a table of 32 random keys per
article makes every commit rewrite thousands of index pages (measured: the write cost
grew 3× from 5k to 20k articles). Instead each ingest run keeps a ``StoryIndex``: an
in-memory ``dedupe.Index`` of the entries in the window, rebuilt from the signatures.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Column, Date, Engine, Index, Integer, LargeBinary, MetaData, String, Table, func, insert, select

from newsdigest import dedupe
from newsdigest.store.chunks import chunks

metadata = MetaData()

story_index = Table(
    "story_index",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),  # ingestion order
    Column("article_id", String(32), nullable=False, unique=True),
    Column("story", String(32), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("day", Date, nullable=False),  # published, or first seen when undated
    Column("scheme", String(64), nullable=False),  # signatures of another scheme are not comparable
    Column("signature", LargeBinary, nullable=False),
    Index("ix_story_index_hash", "content_hash"),
    Index("ix_story_index_day", "day"),
)


class StoryIndex:
    """The stored story index of one database, as this ingest run last read it.

    It lives for one run (the CLI's ``ingest``, one ingest flow run): built from the
    window's signatures on first use, then brought up to date before every batch by
    reading only the rows it has not seen (``seq`` grows), so the serial save step does
    not re-read the window per batch. A new run starts with a new one.
    """

    def __init__(self, settings: dedupe.Settings) -> None:
        self.settings = settings
        self._reset()

    def _reset(self) -> None:
        self.index = dedupe.Index()
        self.last_seq = 0  # rows up to here are in the index (for days >= low)
        self.low: date | None = None

    def current(self, engine: Engine, days: list[date]) -> dedupe.Index:
        """The index of stored entries that may match articles of these days, up to date."""
        settings = self.settings
        low = min(days) - timedelta(days=settings.window_days)
        if self.low is not None and low - self.low > timedelta(days=settings.window_days):
            self._reset()  # a long run over many months: let what left the window go
        seq, day = story_index.c.seq, story_index.c.day
        with engine.connect() as conn:
            top = conn.scalar(select(func.max(seq))) or 0
            if self.low is None:
                self._load(conn, [day >= low, seq <= top])
            else:
                if low < self.low:  # a batch of older articles: load the days not loaded yet
                    self._load(conn, [day >= low, day < self.low, seq <= self.last_seq])
                self._load(conn, [day >= min(low, self.low), seq > self.last_seq, seq <= top])
        self.low = low if self.low is None else min(low, self.low)
        self.last_seq = max(top, self.last_seq)
        return self.index

    def _load(self, conn: Any, where: list) -> None:
        for row in conn.execute(select(story_index).where(*where).order_by(story_index.c.seq)):
            self.index.add(_entry(row, self.settings))

    def assign(self, engine: Engine, items: list[dedupe.Item]) -> list[dedupe.Entry]:
        """Each item's story: a near-duplicate (MinHash, or the same content hash) joins the
        story of its earliest match, stored or earlier in the batch. Returns the entries to
        write with ``add_entries`` in the batch's transaction; nothing is written here."""
        if not items:
            return []
        return dedupe.match(items, self.current(engine, [i.day for i in items]), self.settings)


def _entry(row: Any, settings: dedupe.Settings) -> dedupe.Entry:
    if row.scheme != settings.scheme:  # still matches by exact hash
        return dedupe.Entry(row.article_id, row.story, row.content_hash, row.day, b"", (), row.seq)
    keys = dedupe.band_keys(np.frombuffer(row.signature, dtype="<u4"), *settings.bands)
    return dedupe.Entry(row.article_id, row.story, row.content_hash, row.day, row.signature, keys, row.seq)


def add_entries(conn: Any, entries: list[dedupe.Entry], settings: dedupe.Settings) -> None:
    """Write index entries, skipping articles already indexed. The in-memory index picks
    them up from the table before the next batch, so an aborted transaction leaves no trace."""
    if not entries:
        return
    present: set[str] = set()
    for chunk in chunks([e.article_id for e in entries]):
        present.update(conn.scalars(select(story_index.c.article_id).where(story_index.c.article_id.in_(chunk))))
    fresh = [e for e in entries if e.article_id not in present]
    if fresh:
        conn.execute(
            insert(story_index),
            [
                {
                    "article_id": e.article_id,
                    "story": e.story,
                    "content_hash": e.content_hash,
                    "day": e.day,
                    "scheme": settings.scheme,
                    "signature": e.signature,
                }
                for e in fresh
            ],
        )
