"""Each article's relevance to the watch profile (score, explanation) and the entities named in it."""

from __future__ import annotations

from sqlalchemy import Connection, inspect, text

from newsdigest.store.schema import articles

VERSION = 5
COLUMNS = ("relevance", "relevance_detail", "entities")


def upgrade(conn: Connection) -> None:
    # A database created after this change got the columns from m0001's table already.
    present = {c["name"] for c in inspect(conn).get_columns("articles")}
    for column in COLUMNS:
        if column not in present:
            kind = articles.c[column].type.compile(conn.dialect)
            conn.execute(text(f"ALTER TABLE articles ADD COLUMN {column} {kind}"))
