"""Documents, articles, rejected inputs and runs."""

from __future__ import annotations

from sqlalchemy import Connection

from newsdigest.store import schema

VERSION = 1


def upgrade(conn: Connection) -> None:
    for table in (schema.documents, schema.articles, schema.rejects, schema.runs):
        table.create(conn, checkfirst=True)
