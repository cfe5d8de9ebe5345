"""The story index in the state database: one row per article with its fingerprints.

This is the I/O edge of ``dedupe``. The table holds each article's story, exact content
hash, day and MinHash signature, so a reprint next week (another process, another run)
joins last week's story. The LSH band keys are not stored: a table of 32 random keys per
article makes every commit rewrite thousands of index pages (measured: the write cost
grew 3× from 5k to 20k articles). Instead each process keeps an in-memory ``dedupe.Index``
of the entries in the window, rebuilt from the signatures on first use and brought up to
date before every batch by reading only rows it has not seen (``seq`` grows).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Column, Date, Engine, Index, Integer, LargeBinary, MetaData, String, Table, func, insert, select

from newsdigest import dedupe

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

# Well under SQLite's oldest bound-parameter limit (999).
_CHUNK = 900


@dataclass
class _Loaded:
    index: dedupe.Index = field(default_factory=dedupe.Index)
    last_seq: int = 0  # rows up to here are in the index (for days >= low)
    low: date | None = None


_LOADED: dict[tuple[str, str], _Loaded] = {}


def forget() -> None:
    """Drop the in-memory indexes (what a new process starts with)."""
    _LOADED.clear()


def _entry(row: Any, settings: dedupe.Settings) -> dedupe.Entry:
    if row.scheme != settings.scheme:  # still matches by exact hash
        return dedupe.Entry(row.article_id, row.story, row.content_hash, row.day, b"", (), row.seq)
    keys = dedupe.band_keys(np.frombuffer(row.signature, dtype="<u4"), *settings.bands)
    return dedupe.Entry(row.article_id, row.story, row.content_hash, row.day, row.signature, keys, row.seq)


def _load(conn: Any, loaded: _Loaded, where: list, settings: dedupe.Settings) -> None:
    for row in conn.execute(select(story_index).where(*where).order_by(story_index.c.seq)):
        loaded.index.add(_entry(row, settings))


def stored_index(engine: Engine, days: list[date], settings: dedupe.Settings) -> dedupe.Index:
    """The index of stored entries that may match articles of these days, up to date."""
    key = (str(engine.url), settings.scheme)
    loaded = _LOADED.setdefault(key, _Loaded())
    low = min(days) - timedelta(days=settings.window_days)
    if loaded.low is not None and low - loaded.low > timedelta(days=settings.window_days):
        loaded = _LOADED[key] = _Loaded()  # a long-lived process: let what left the window go
    seq, day = story_index.c.seq, story_index.c.day
    with engine.connect() as conn:
        top = conn.scalar(select(func.max(seq))) or 0
        if loaded.low is None:
            _load(conn, loaded, [day >= low, seq <= top], settings)
        else:
            if low < loaded.low:  # a batch of older articles: load the days not loaded yet
                _load(conn, loaded, [day >= low, day < loaded.low, seq <= loaded.last_seq], settings)
            _load(conn, loaded, [day >= min(low, loaded.low), seq > loaded.last_seq, seq <= top], settings)
    loaded.low = low if loaded.low is None else min(low, loaded.low)
    loaded.last_seq = max(top, loaded.last_seq)
    return loaded.index


def _day(row: dict) -> date:
    published = row.get("published")
    if isinstance(published, date):
        return published
    seen = row["first_seen"]
    return seen.date() if isinstance(seen, datetime) else seen


def assign(engine: Engine, rows: list[dict], settings: dedupe.Settings) -> list[dedupe.Entry]:
    """Set ``row["story"]`` and ``row["content_hash"]`` for each article row (``id``, ``body``,
    ``published``, ``first_seen``) and return the index entries to write with ``add`` in the
    same transaction."""
    if not rows:
        return []
    items = [dedupe.Item(r["id"], r["body"], _day(r)) for r in rows]
    fps = {item.article_id: dedupe.fingerprint(item.text, settings) for item in items}
    stored = stored_index(engine, [i.day for i in items], settings)
    entries = dedupe.match(items, stored, settings, fps)
    for row, entry in zip(rows, entries, strict=True):
        row["story"], row["content_hash"] = entry.story, entry.content_hash  # = dedupe.content_hash(body)
    return entries


def add(conn: Any, entries: list[dedupe.Entry], settings: dedupe.Settings) -> None:
    """Write index entries, skipping articles already indexed. The in-memory index picks
    them up from the table before the next batch, so an aborted transaction leaves no trace."""
    if not entries:
        return
    present: set[str] = set()
    ids = [e.article_id for e in entries]
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
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
