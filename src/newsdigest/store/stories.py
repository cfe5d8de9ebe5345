"""The story index in the state database: fingerprints and LSH band keys per article.

This is the I/O edge of ``dedupe``: it finds the stored articles that share a content
hash or a band key with a batch (within the window), lets ``dedupe.match`` decide, and
writes the new entries in the caller's transaction, next to the articles themselves.
Because the index lives in the database, a reprint next week joins last week's story.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Engine,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    insert,
    select,
)

from newsdigest import dedupe

metadata = MetaData()

story_index = Table(
    "story_index", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),  # ingestion order
    Column("article_id", String(32), nullable=False, unique=True),
    Column("story", String(32), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("day", Date, nullable=False),  # published, or first seen when undated
    Column("scheme", String(64), nullable=False),  # signatures of another scheme are not comparable
    Column("signature", LargeBinary, nullable=False),
    Index("ix_story_index_hash", "content_hash"),
)

story_bands = Table(
    "story_bands", metadata,
    Column("key", BigInteger, nullable=False),
    Column("article_id", String(32), nullable=False),
    Index("ix_story_bands_key", "key"),
)

# Well under SQLite's oldest bound-parameter limit (999).
_CHUNK = 900


def _chunks(values: list, size: int = _CHUNK) -> Iterable[list]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _entries(conn: Any, keys: dict[str, set[int]], low: date, high: date, scheme: str) -> list[dedupe.Entry]:
    out = []
    for chunk in _chunks(sorted(keys)):
        query = select(story_index).where(story_index.c.article_id.in_(chunk), story_index.c.day.between(low, high))
        for r in conn.execute(query):
            # A signature of another scheme (num_perm or shingle changed) is not comparable;
            # such an entry can still match by exact hash.
            same = r.scheme == scheme
            out.append(dedupe.Entry(r.article_id, r.story, r.content_hash, r.day, r.signature if same else b"",
                                    tuple(sorted(keys[r.article_id])) if same else (), r.seq))
    return out


def candidates(engine: Engine, fps: Iterable[dedupe.Fingerprint], days: Iterable[date],
               settings: dedupe.Settings) -> list[dedupe.Entry]:
    """Stored entries sharing a content hash or a band key with any fingerprint, within the
    window around the batch's days; each carries only the band keys it shares."""
    fps, days = list(fps), list(days)
    if not fps:
        return []
    window = timedelta(days=settings.window_days)
    hashes = sorted({fp.content_hash for fp in fps})
    wanted = sorted({k for fp in fps for k in fp.keys})
    keys: dict[str, set[int]] = {}
    with engine.connect() as conn:
        for chunk in _chunks(hashes):
            for article_id in conn.scalars(select(story_index.c.article_id).where(story_index.c.content_hash.in_(chunk))):
                keys.setdefault(article_id, set())
        for chunk in _chunks(wanted):
            for row in conn.execute(select(story_bands.c.key, story_bands.c.article_id).where(story_bands.c.key.in_(chunk))):
                keys.setdefault(row.article_id, set()).add(row.key)
        return _entries(conn, keys, min(days) - window, max(days) + window, settings.scheme)


def _day(row: dict) -> date:
    published = row.get("published")
    if isinstance(published, date):
        return published
    seen = row["first_seen"]
    return seen.date() if isinstance(seen, datetime) else seen


def assign(engine: Engine, rows: list[dict], settings: dedupe.Settings) -> list[dedupe.Entry]:
    """Set ``row["story"]`` for each article row (``id``, ``body``, ``published``, ``first_seen``)
    and return the index entries to write with ``add`` in the same transaction."""
    items = [dedupe.Item(r["id"], r["body"], _day(r)) for r in rows]
    fps = {item.article_id: dedupe.fingerprint(item.text, settings) for item in items}
    stored = candidates(engine, fps.values(), (i.day for i in items), settings)
    entries = dedupe.match(items, stored, settings, fps)
    for row, entry in zip(rows, entries, strict=True):
        row["story"] = entry.story
    return entries


def add(conn: Any, entries: list[dedupe.Entry], settings: dedupe.Settings) -> None:
    """Write index entries and their band keys, skipping articles already indexed."""
    if not entries:
        return
    present: set[str] = set()
    for chunk in _chunks([e.article_id for e in entries]):
        present.update(conn.scalars(select(story_index.c.article_id).where(story_index.c.article_id.in_(chunk))))
    fresh = [e for e in entries if e.article_id not in present]
    if not fresh:
        return
    conn.execute(insert(story_index), [
        {"article_id": e.article_id, "story": e.story, "content_hash": e.content_hash, "day": e.day,
         "scheme": settings.scheme, "signature": e.signature} for e in fresh])
    bands = [{"key": k, "article_id": e.article_id} for e in fresh for k in e.keys]
    if bands:
        conn.execute(insert(story_bands), bands)
