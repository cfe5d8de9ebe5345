"""Story index: per-article fingerprints (exact hash, MinHash signature) and LSH band keys."""

from __future__ import annotations

from sqlalchemy import Connection

from newsdigest.store import stories

VERSION = 3


def upgrade(conn: Connection) -> None:
    for table in (stories.story_index, stories.story_bands):
        table.create(conn, checkfirst=True)
