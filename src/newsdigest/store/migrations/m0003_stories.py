"""Story index: per-article story, exact content hash, day and MinHash signature."""

from __future__ import annotations

from sqlalchemy import Connection

from newsdigest.store import story_index

VERSION = 3


def upgrade(conn: Connection) -> None:
    story_index.story_index.create(conn, checkfirst=True)
