"""Fetch state: HTTP cache validators per URL, feed items already seen, per-source health.

Kept in the same database as the articles (SQLAlchemy Core, SQLite or PostgreSQL),
in tables created by migration ``m0002_fetch``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)

from newsdigest.fetch import Validators
from newsdigest.models import Rejected, Source
from newsdigest.store.chunks import chunks

metadata = MetaData()
MAX_REJECTS_KEPT = 200  # per source and run: enough to read, bounded for a broken feed

http_cache = Table(
    "http_cache",
    metadata,
    Column("url", Text, primary_key=True),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("updated", DateTime, nullable=False),
)

feed_items = Table(
    "feed_items",
    metadata,
    Column("key", String(64), primary_key=True),  # sha256 of "guid:…", "link:…" or "sha:…"
    Column("source", Text),
    Column("first_seen", DateTime, nullable=False),
)

source_health = Table(
    "source_health",
    metadata,
    Column("name", Text, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("location", Text, nullable=False),
    Column("last_run", DateTime, nullable=False),
    Column("last_success", DateTime),
    Column("last_status", String(16), nullable=False),  # ok | not_modified | error | left (deadline)
    Column("last_error", Text),
    Column("bozo", Text),  # why the last feed was ill-formed, if it was
    Column("items_seen", Integer, nullable=False, default=0),
    Column("items_new", Integer, nullable=False, default=0),
    Column("items_rejected", Integer, nullable=False, default=0),
    Column("total_new", Integer, nullable=False, default=0),
    Column("rejects", Text, nullable=False, default="[]"),  # JSON [{origin, reason}] of the last run
)


@dataclass
class Health:
    """What one run did with one source."""

    name: str
    kind: str
    location: str
    status: str = "ok"
    error: str | None = None
    bozo: str | None = None
    seen: int = 0
    new: int = 0
    rejects: list[Rejected] = field(default_factory=list)

    def fail(self, reason: str) -> Rejected:
        self.status, self.error = "error", reason
        return Rejected(self.location, reason)

    def reject(self, origin: str, reason: str) -> Rejected:
        item = Rejected(origin, reason)
        self.rejects.append(item)
        return item


def get_validators(engine: Engine, urls: Iterable[str]) -> dict[str, Validators]:
    urls = list(dict.fromkeys(urls))
    out: dict[str, Validators] = {}
    with engine.connect() as conn:
        for chunk in chunks(urls):
            for r in conn.execute(select(http_cache).where(http_cache.c.url.in_(chunk))):
                out[r.url] = Validators(r.etag, r.last_modified)
    return out


def save_validators(engine: Engine, items: dict[str, Validators], at: datetime) -> None:
    """Remember validators; a URL whose server sent none is forgotten (nothing to send back)."""
    if not items:
        return
    with engine.begin() as conn:
        for chunk in chunks(list(items)):
            conn.execute(http_cache.delete().where(http_cache.c.url.in_(chunk)))
        rows = [
            {"url": u, "etag": v.etag, "last_modified": v.last_modified, "updated": at}
            for u, v in items.items()
            if v.etag or v.last_modified
        ]
        if rows:
            conn.execute(insert(http_cache), rows)


def known_keys(engine: Engine, keys: Iterable[str]) -> set[str]:
    keys = list(dict.fromkeys(keys))
    found: set[str] = set()
    with engine.connect() as conn:
        for chunk in chunks(keys):
            found.update(conn.scalars(select(feed_items.c.key).where(feed_items.c.key.in_(chunk))))
    return found


def add_validators(conn: Connection, items: list[tuple[str, str | None, str | None]], at: datetime) -> None:
    """``save_validators`` inside the caller's transaction, for (url, etag, last_modified)."""
    if not items:
        return
    conn.execute(http_cache.delete().where(http_cache.c.url.in_([url for url, _, _ in items])))
    rows = [{"url": u, "etag": e, "last_modified": lm, "updated": at} for u, e, lm in items if e or lm]
    if rows:
        conn.execute(insert(http_cache), rows)


def add_seen(conn: Connection, keys: dict[str, str], at: datetime) -> None:
    """``mark_seen`` inside the caller's transaction (the one that stores the documents)."""
    if not keys:
        return
    known: set[str] = set()
    for chunk in chunks(list(keys)):
        known.update(conn.scalars(select(feed_items.c.key).where(feed_items.c.key.in_(chunk))))
    fresh = sorted(set(keys) - known)
    if fresh:
        conn.execute(insert(feed_items), [{"key": k, "source": keys[k], "first_seen": at} for k in fresh])


def mark_seen(engine: Engine, keys: dict[str, str], at: datetime) -> None:
    """Record item keys (key -> source name) not recorded yet."""
    fresh = set(keys) - known_keys(engine, keys)
    if fresh:
        with engine.begin() as conn:
            conn.execute(insert(feed_items), [{"key": k, "source": keys[k], "first_seen": at} for k in sorted(fresh)])


def record_health(engine: Engine, items: Iterable[Health], at: datetime) -> None:
    with engine.begin() as conn:
        for h in items:
            values: dict[str, Any] = {
                "kind": h.kind,
                "location": h.location,
                "last_run": at,
                "last_status": h.status,
                "last_error": h.error,
                "bozo": h.bozo,
                "items_seen": h.seen,
                "items_new": h.new,
                "items_rejected": len(h.rejects),
                "rejects": json.dumps(
                    [{"origin": r.origin, "reason": r.reason} for r in h.rejects[:MAX_REJECTS_KEPT]], ensure_ascii=False
                ),
            }
            if h.status not in ("error", "left"):  # left: not fetched before the run's deadline
                values["last_success"] = at
            old = conn.execute(select(source_health.c.total_new).where(source_health.c.name == h.name)).first()
            if old is None:
                conn.execute(insert(source_health).values(name=h.name, total_new=h.new, **values))
            else:
                conn.execute(
                    update(source_health)
                    .where(source_health.c.name == h.name)
                    .values(total_new=old.total_new + h.new, **values)
                )


def load_health(engine: Engine) -> list[dict[str, Any]]:
    """Every source's health, by name, as JSON-ready dicts."""
    with engine.connect() as conn:
        rows = conn.execute(select(source_health).order_by(source_health.c.name)).all()
    out = []
    for r in rows:
        item = dict(r._mapping)
        item["rejects"] = json.loads(item["rejects"] or "[]")
        for key in ("last_run", "last_success"):
            item[key] = item[key].isoformat(timespec="seconds") if item[key] else None
        out.append(item)
    return out


def health_report(engine: Engine, sources: Iterable[Source]) -> list[dict[str, Any]]:
    """Health of every configured network source (never run ones too, by name), then of
    ad-hoc URLs: ``load_health`` with the configuration's view of which sources exist."""
    stored = {h["name"]: h for h in load_health(engine)}
    out = []
    for s in sources:
        if s.kind == "folder":
            continue
        row = stored.pop(s.name, None) or _never_run(s)
        out.append({**row, "enabled": s.enabled})
    return out + [{**row, "enabled": None} for row in stored.values()]


def _never_run(s: Source) -> dict[str, Any]:
    return {
        "name": s.name,
        "kind": s.kind,
        "location": s.location,
        "last_run": None,
        "last_success": None,
        "last_status": "never run",
        "last_error": None,
        "bozo": None,
        "items_seen": 0,
        "items_new": 0,
        "items_rejected": 0,
        "total_new": 0,
        "rejects": [],
    }
