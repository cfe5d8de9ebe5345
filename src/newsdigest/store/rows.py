"""How an article is encoded in the ``articles`` table, and decoded again.

Lists are stored as JSON text so that SQLite and PostgreSQL read them the same way; the
body's paragraphs are joined by blank lines. Only this module knows those encodings.
"""

from __future__ import annotations

import json
from typing import Any

from newsdigest.entities import Entity
from newsdigest.models import Removed, RemovedKind, StoredArticle
from newsdigest.relevance import Relevance


def _json(items: list[Any]) -> str:
    return json.dumps(items, ensure_ascii=False)


def _kind(stored: str) -> RemovedKind | str:
    """The kind as the enum; a kind no longer in it (an older database) stays a string."""
    return RemovedKind(stored) if stored in RemovedKind._value2member_map_ else stored


def to_row(article: StoredArticle, document_id: int) -> dict[str, Any]:
    """The ``articles`` row of an article of the given stored document."""
    return {
        "id": article.id,
        "document_id": document_id,
        "origin": article.origin,
        "part": article.part,
        "title": article.title,
        "body": article.text,
        "published": article.published,
        "first_seen": article.first_seen,
        "source": article.source,
        "authors": _json(list(article.authors)),
        "editor": article.editor,
        "url": article.url,
        "summary": article.summary,
        "regions": _json(list(article.regions)),
        "topics": _json(list(article.topics)),
        "keywords": _json(list(article.keywords)),
        "removed": _json([{"kind": str(r.kind), "text": r.text} for r in article.removed]),
        "content_hash": article.content_hash,
        "story": article.story,
        **_relevance_columns(article),
    }


def _relevance_columns(article: StoredArticle) -> dict[str, Any]:
    rel, found = article.relevance, article.entities
    return {
        "relevance": rel.score if rel else None,
        "relevance_detail": json.dumps(rel.as_dict(), ensure_ascii=False) if rel else None,
        "entities": None if found is None else _json([e.as_dict() for e in found]),
    }


def _relevance(row: Any) -> Relevance | None:
    detail = getattr(row, "relevance_detail", None)
    return Relevance.from_dict(json.loads(detail)) if detail else None


def _entities(row: Any) -> tuple[Entity, ...] | None:
    found = getattr(row, "entities", None)
    return None if found is None else tuple(Entity.from_dict(d) for d in json.loads(found))


def from_row(row: Any) -> StoredArticle:
    """An ``articles`` row (a SQLAlchemy row or a mapping with attribute access) as a value."""
    return StoredArticle(
        id=row.id,
        origin=row.origin,
        part=row.part,
        title=row.title,
        body=tuple(row.body.split("\n\n")),
        published=row.published,
        first_seen=row.first_seen,
        source=row.source,
        authors=tuple(json.loads(row.authors)),
        regions=tuple(json.loads(row.regions)),
        topics=tuple(json.loads(row.topics)),
        keywords=tuple(json.loads(row.keywords)),
        summary=row.summary,
        story=row.story,
        url=row.url,
        editor=row.editor,
        content_hash=row.content_hash,
        removed=tuple(Removed(_kind(item["kind"]), item["text"]) for item in json.loads(row.removed or "[]")),
        relevance=_relevance(row),
        entities=_entities(row),
    )
