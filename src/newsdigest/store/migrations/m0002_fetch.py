"""HTTP cache validators, seen feed items and source health (network sources)."""

from __future__ import annotations

from sqlalchemy import Connection

from newsdigest.store import fetchstate

VERSION = 2


def upgrade(conn: Connection) -> None:
    for table in (fetchstate.http_cache, fetchstate.feed_items, fetchstate.source_health):
        table.create(conn, checkfirst=True)
