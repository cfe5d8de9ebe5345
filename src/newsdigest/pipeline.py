"""The pipeline as plain functions: Document → articles → stories and tags → store.

``process`` is pure (bytes in, articles out) and runs in batches inside Prefect tasks
or directly from the CLI. ``ingest`` adds the I/O edge: it skips documents already
stored, assigns stories against the database, and writes everything in one
transaction per batch, so a rerun over the same inputs adds nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from newsdigest import clean, decode, dedupe, extract, meta, split, store, summarize, tag
from newsdigest.config import Config
from newsdigest.models import Article, Document, Meta, Rejected
from newsdigest.store import locks, stories

_HTML = re.compile(r"^\s*(?:<!doctype html|<html|<\?xml[^>]*>\s*<html|<head|<body)", re.I)


@dataclass(frozen=True)
class Processed:
    """What one document gave: its articles, or the reason it was rejected."""

    origin: str
    sha256: str
    source: str | None
    articles: tuple[Article, ...] = ()
    rejected: Rejected | None = None


@dataclass
class IngestReport:
    documents_in: int = 0
    already_known: int = 0
    articles_new: int = 0
    duplicates: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    removed: Counter = field(default_factory=Counter)

    def merge(self, other: IngestReport) -> None:
        self.documents_in += other.documents_in
        self.already_known += other.already_known
        self.articles_new += other.articles_new
        self.duplicates += other.duplicates
        self.rejected += other.rejected
        self.removed.update(other.removed)

    def as_dict(self) -> dict:
        return {
            "documents_in": self.documents_in,
            "already_known": self.already_known,
            "articles_new": self.articles_new,
            "duplicates": self.duplicates,
            "rejected": [{"origin": r.origin, "reason": r.reason} for r in self.rejected],
            "removed": dict(sorted(self.removed.items())),
        }


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_html(doc: Document, text: str) -> bool:
    if doc.content_type:
        return "html" in doc.content_type.lower()
    return bool(_HTML.match(text[:500]))


# One input's memory and time grow with its length: a 5 MB line of text took 350 MB and
# 7 s, 19.5 MB 820 MB. Beyond these a document is refused with its reason (news articles
# are far shorter; an HTML page is mostly markup, so it may be longer).
MAX_TEXT_CHARS = 1_000_000
MAX_HTML_CHARS = 3_000_000


def _too_long(doc: Document, text: str) -> str | None:
    limit = MAX_HTML_CHARS if is_html(doc, text) else MAX_TEXT_CHARS
    if len(text) <= limit:
        return None
    return f"too long to process ({len(text):,} characters, limit {limit:,})"


def articles_from_text(text: str, origin: str, hints: Meta, url: str | None = None) -> list[Article]:
    """Clean, split and resolve metadata: the text stages, in order."""
    page = clean.clean(text)
    out = []
    for part, piece in enumerate(split.split(page)):
        info, body = meta.finalize(piece, page.meta, hints)
        if not body:
            continue
        out.append(
            Article(
                origin=origin,
                part=part,
                title=info.title or body[0][:30],
                body=body,
                published=info.published,
                source=info.source,
                authors=info.authors,
                editor=info.editor,
                url=url,
                removed=(page.removed if not out else ()) + piece.removed,
            )
        )
    return out


def process(doc: Document) -> Processed:
    """Decode and turn one document into articles; never raises on bad input."""
    digest = sha256(doc.data)
    try:
        text = decode.decode(doc.data, doc.content_type, doc.encoding)
    except decode.DecodeError as exc:
        return Processed(doc.origin, digest, doc.source, rejected=Rejected(doc.origin, str(exc)))
    if too_long := _too_long(doc, text):
        return Processed(doc.origin, digest, doc.source, rejected=Rejected(doc.origin, too_long))
    hints = Meta(title=doc.title_hint, published=doc.published_hint or doc.listed_date, source=None)
    if is_html(doc, text):
        text, found = extract.html_to_text(text, doc.url)
        hints = Meta(
            title=doc.title_hint or found.title,
            published=doc.published_hint or found.published or doc.listed_date,
            source=found.source,
            authors=found.authors,
        )
    articles = articles_from_text(text, doc.origin, hints, doc.url)
    if not articles:
        return Processed(doc.origin, digest, doc.source, rejected=Rejected(doc.origin, "no article text found"))
    return Processed(doc.origin, digest, doc.source, articles=tuple(articles))


def article_id(doc_sha: str, article: Article) -> str:
    return hashlib.sha1(f"{article.origin}\0{doc_sha}\0{article.part}".encode()).hexdigest()[:16]


def _row(config: Config, doc_sha: str, article: Article, seen: datetime) -> dict:
    tags = tag.tag(article.title, article.text, config.topics, int(config.get("digest", "keywords_per_article", 8)))
    summary = summarize.summarize(article.body, tags.weights, int(config.get("digest", "summary_sentences", 3)))
    return {
        "id": article_id(doc_sha, article),
        "origin": article.origin,
        "part": article.part,
        "title": article.title,
        "body": article.text,
        "published": article.published,
        "first_seen": seen,
        "source": article.source,
        "authors": json.dumps(list(article.authors), ensure_ascii=False),
        "editor": article.editor,
        "url": article.url,
        "summary": summary,
        "regions": json.dumps(list(tags.regions), ensure_ascii=False),
        "topics": json.dumps(list(tags.topics), ensure_ascii=False),
        "keywords": json.dumps(list(tags.keywords), ensure_ascii=False),
        "removed": json.dumps([{"kind": r.kind, "text": r.text} for r in article.removed], ensure_ascii=False),
        # "content_hash" and "story" are set by assign_stories, which fingerprints the text anyway.
    }


def assign_stories(config: Config, engine: Engine, rows: list[dict]) -> list[dedupe.Entry]:
    """Set each row's story: a near-duplicate (MinHash over cleaned text, or the same
    content hash) joins the story of its earliest match, stored or earlier in the batch.
    Returns the story-index entries to write in the batch's transaction."""
    return stories.assign(engine, rows, dedupe.Settings.from_config(config))


def unseen(engine: Engine, docs: Iterable[Document]) -> tuple[list[Document], int]:
    """Documents not stored yet (by origin and content), and how many were skipped."""
    keyed = [((d.origin, sha256(d.data)), d) for d in docs]
    known = store.known_documents(engine, {key for key, _ in keyed})
    fresh, seen = [], set()
    for key, d in keyed:
        if key not in known and key not in seen:
            fresh.append(d)
            seen.add(key)
    return fresh, len(keyed) - len(fresh)


def save(config: Config, engine: Engine, results: list[Processed], seen: datetime) -> IngestReport:
    """Tag, assign stories and store one batch of processed documents in one transaction,
    holding the database's write lock: another ingest (process or machine) that stored some
    of these documents meanwhile wins, and they are skipped here as already known."""
    with locks.exclusive(engine, locks.WRITE) as conn:
        fresh, known = _not_stored(engine, results)
        report = _save_locked(config, engine, conn, fresh, seen)
    report.documents_in, report.already_known = len(results), known
    return report


def _not_stored(engine: Engine, results: list[Processed]) -> tuple[list[Processed], int]:
    known = store.known_documents(engine, {(r.origin, r.sha256) for r in results})
    fresh = [r for r in results if (r.origin, r.sha256) not in known]
    return fresh, len(results) - len(fresh)


def _save_locked(config: Config, engine: Engine, conn: Any, results: list[Processed], seen: datetime) -> IngestReport:
    report = IngestReport(documents_in=len(results))
    per_doc = [[_row(config, res.sha256, a, seen) for a in res.articles] for res in results]
    for res in results:
        report.rejected += [res.rejected] if res.rejected else []
        report.removed.update(r.kind for a in res.articles for r in a.removed)
    rows = [row for doc_rows in per_doc for row in doc_rows]
    entries = assign_stories(config, engine, rows)
    report.duplicates = sum(e.story != e.article_id for e in entries)
    ids = store.add_documents(
        conn,
        [
            {
                "origin": res.origin,
                "sha256": res.sha256,
                "source": res.source,
                "reason": res.rejected.reason if res.rejected else None,
            }
            for res in results
        ],
        seen,
    )
    for doc_id, doc_rows in zip(ids, per_doc, strict=True):
        for row in doc_rows:
            row["document_id"] = doc_id
    store.add_rejects(conn, [r.rejected for r in results if r.rejected], None, seen)
    store.add_articles(conn, rows)
    stories.add(conn, entries, dedupe.Settings.from_config(config))
    report.articles_new = len(rows)
    return report


def batches(items: list, size: int = 100) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def begin(
    engine: Engine, docs: list[Document], input_rejects: list[Rejected], seen: datetime
) -> tuple[list[Document], IngestReport]:
    """Start an ingest: the documents still to process, and a report that counts the rest
    (already stored, unreadable). The CLI and the ingest flow both start here."""
    fresh, skipped = unseen(engine, docs)
    record_input_rejects(engine, input_rejects, seen)
    return fresh, IngestReport(documents_in=len(docs), already_known=skipped, rejected=list(input_rejects))


def save_batch(config: Config, engine: Engine, results: list[Processed], seen: datetime) -> IngestReport:
    """``save`` for one batch of an ingest whose documents ``begin`` counted already."""
    part = save(config, engine, results, seen)
    part.documents_in = 0
    return part


def ingest(
    config: Config,
    engine: Engine,
    docs: list[Document],
    input_rejects: list[Rejected] | None = None,
    progress: Callable[[int], None] | None = None,
    seen: datetime | None = None,
) -> IngestReport:
    """Ingest documents without Prefect (CLI ``ingest``); the flows run the same steps as tasks."""
    seen = seen or store.now()
    fresh, report = begin(engine, docs, input_rejects or [], seen)
    for batch in batches(fresh):
        report.merge(save_batch(config, engine, [process(d) for d in batch], seen))
        if progress:
            progress(len(batch))
    return report


def record_input_rejects(engine: Engine, rejected: list[Rejected], seen: datetime) -> None:
    """Inputs that could not even be read (missing file, fetch error) are recorded too."""
    if rejected:
        with engine.begin() as conn:
            store.add_rejects(conn, rejected, None, seen)
