"""Table definitions (SQLAlchemy Core), portable between SQLite and PostgreSQL.

Lists are stored as JSON text so that both back ends read them the same way.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, Float, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied", DateTime, nullable=False),
)

documents = Table(
    "documents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("origin", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("source", Text),
    Column("first_seen", DateTime, nullable=False),
    Column("status", String(16), nullable=False),  # ok | rejected
    Column("reason", Text),
    UniqueConstraint("origin", "sha256", name="uq_documents_origin_sha"),
)

articles = Table(
    "articles",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("document_id", Integer, nullable=False),
    Column("origin", Text, nullable=False),
    Column("part", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("published", Date),
    Column("first_seen", DateTime, nullable=False),
    Column("source", Text),
    Column("authors", Text, nullable=False, default="[]"),
    Column("editor", Text),
    Column("url", Text),
    Column("regions", Text, nullable=False, default="[]"),
    Column("topics", Text, nullable=False, default="[]"),
    Column("keywords", Text, nullable=False, default="[]"),
    Column("summary", Text, nullable=False, default=""),
    Column("removed", Text, nullable=False, default="[]"),
    Column("content_hash", String(64), nullable=False),
    Column("story", String(32), nullable=False),
    # m0005: relevance to the watch profile (NULL: not scored yet) and its explanation (JSON),
    # and the organisations and people named (JSON; NULL: not extracted, as for off-profile ones).
    Column("relevance", Float),
    Column("relevance_detail", Text),
    Column("entities", Text),
    Index("ix_articles_first_seen", "first_seen"),
    Index("ix_articles_story", "story"),
    Index("ix_articles_content_hash", "content_hash"),
)

rejects = Table(
    "rejects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("origin", Text, nullable=False),
    Column("source", Text),
    Column("reason", Text, nullable=False),
    Column("at", DateTime, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("started", DateTime, nullable=False),
    Column("finished", DateTime),
    Column("summary", Text, nullable=False, default="{}"),
)
