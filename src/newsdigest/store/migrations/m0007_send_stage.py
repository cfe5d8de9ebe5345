"""How far a send got (stage), who is sending (owner) and a unique claim slot on sends."""

from __future__ import annotations

from sqlalchemy import Connection, inspect, text

from newsdigest.store.sends import sends

VERSION = 7


def upgrade(conn: Connection) -> None:
    # A database created after this change got the columns from m0004's table already.
    present = {c["name"] for c in inspect(conn).get_columns("sends")}
    for column in ("stage", "owner", "slot"):
        if column not in present:
            kind = sends.c[column].type.compile(conn.dialect)
            conn.execute(text(f"ALTER TABLE sends ADD COLUMN {column} {kind}"))
    for index in sends.indexes:
        index.create(conn, checkfirst=True)
