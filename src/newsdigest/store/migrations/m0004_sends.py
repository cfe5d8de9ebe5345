"""Send records of digest delivery (exactly-once bookkeeping)."""

from __future__ import annotations

from sqlalchemy import Connection

from newsdigest.store.sends import sends

VERSION = 4


def upgrade(conn: Connection) -> None:
    sends.create(conn, checkfirst=True)
