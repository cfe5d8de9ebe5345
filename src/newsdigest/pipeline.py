"""The pipeline in two halves: ``process`` (pure, parallel) and ``save`` (serial, stores).

A document goes one way. ``process(document, settings)`` runs every stage on it —
decode → extract → clean → split → meta → tag → summarize → fingerprint — reads no
database and returns a frozen ``Processed``; the ingest flow runs it in parallel tasks
over batches. ``save(engine, batch, seen, index)`` then does only what needs the
database, one batch at a time in order: story assignment against the stored index,
and the write, in one transaction per batch, so a rerun over the same inputs adds
nothing. ``Settings`` is built once per run from the configuration and is picklable,
so it can travel to workers with the documents.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine

from newsdigest import clean, decode, dedupe, entities, extract, meta, relevance, split, store, summarize, tag
from newsdigest.models import Article, Document, Fingerprint, Meta, Rejected, StoredArticle, Tags, Topic
from newsdigest.store import fetchstate, locks
from newsdigest.store.story_index import StoryIndex, add_entries

log = logging.getLogger("newsdigest.pipeline")

_HTML = re.compile(r"^\s*(?:<!doctype html|<html|<\?xml[^>]*>\s*<html|<head|<body)", re.I)


@dataclass(frozen=True)
class Settings:
    """What processing needs from the configuration, read once per run."""

    topics: tuple[Topic, ...] = ()
    keywords_per_article: int = 8
    summary_sentences: int = 3
    dedupe: dedupe.Settings = field(default_factory=dedupe.Settings)
    profile: relevance.Profile = field(default_factory=lambda: relevance.Profile.from_dict(None))

    @classmethod
    def from_config(cls, config: Any) -> Settings:
        """From a ``config.Config`` (any object with ``topics`` and ``get(section, key, default)``)."""
        return cls(
            topics=tuple(config.topics),
            keywords_per_article=int(config.get("digest", "keywords_per_article", 8)),
            summary_sentences=int(config.get("digest", "summary_sentences", 3)),
            dedupe=dedupe.Settings.from_config(config),
            profile=relevance.Profile.from_dict(config.profile),
        )


@dataclass(frozen=True)
class ProcessedArticle:
    """One article with everything ``process`` derived: its id, tags, summary, fingerprint."""

    id: str
    article: Article
    tags: Tags
    fingerprint: Fingerprint
    relevance: relevance.Relevance | None = None
    entities: tuple[entities.Entity, ...] | None = None  # extracted for relevant articles only


@dataclass(frozen=True)
class Processed:
    """What one document gave: its articles, or the reason it was rejected."""

    origin: str
    sha256: str
    source: str | None
    articles: tuple[ProcessedArticle, ...] = ()
    rejected: Rejected | None = None
    seen: tuple[str, ...] = ()  # the document's fetch-state keys, stored with it
    completes: tuple[tuple[str, str | None, str | None], ...] = ()  # a feed's validators, stored with it


@dataclass
class IngestReport:
    documents_in: int = 0
    already_known: int = 0
    articles_new: int = 0
    duplicates: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    removed: Counter = field(default_factory=Counter)
    left: int = 0  # documents not processed before the run's deadline: the next run takes them
    unfetched: int = 0  # fetches the run's deadline left (not marked seen): the next run makes them

    def merge(self, other: IngestReport) -> None:
        self.left += other.left
        self.unfetched += other.unfetched
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
        } | ({"left_for_next_run": line} if (line := self.left_line()) else {})

    def left_line(self) -> str | None:
        """What the run's deadline left for the next run, in one line (None: nothing)."""
        parts = [f"{self.unfetched} URLs not fetched"] if self.unfetched else []
        parts += [f"{self.left} documents not processed"] if self.left else []
        return f"[run] deadline reached: {' and '.join(parts)}, left for the next run" if parts else None


# ---- process: pure, runs in the parallel task ------------------------------------------


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
                removed=(page.removed if not out and piece is not page else ()) + piece.removed,
            )
        )
    return out


def read_articles(doc: Document) -> list[Article] | Rejected:
    """Decode, extract, clean, split and resolve metadata: a document's articles, untagged
    (what ``newsdigest clean`` shows), or why it has none. Never raises on bad input."""
    try:
        text = decode.decode(doc.data, doc.content_type, doc.encoding)
    except decode.DecodeError as exc:
        return Rejected(doc.origin, str(exc))
    if too_long := _too_long(doc, text):
        return Rejected(doc.origin, too_long)
    hints = Meta(title=doc.title_hint, published=doc.published_hint or doc.listed_date, source=None)
    if is_html(doc, text):
        text, found = extract.html_to_text(extract.bounded_html(text, doc.origin), doc.url)
        hints = Meta(
            title=doc.title_hint or found.title,
            published=doc.published_hint or found.published or doc.listed_date,
            source=found.source,
            authors=found.authors,
        )
    return articles_from_text(text, doc.origin, hints, doc.url) or Rejected(doc.origin, "no article text found")


def article_id(doc_sha: str, article: Article) -> str:
    return hashlib.sha1(f"{article.origin}\0{doc_sha}\0{article.part}".encode()).hexdigest()[:16]


def _tagged(article: Article, settings: Settings) -> tuple[Tags, relevance.Relevance, tuple | None]:
    """Tags, summary, relevance and (for relevant articles) the names in it."""
    tags = tag.tag(article.title, article.text, settings.topics, settings.keywords_per_article)
    summary = summarize.summarize(article.body, tags.weights, settings.summary_sentences)
    judged = relevance.score(settings.profile, article.title, article.text, tags.regions)
    # Only the articles the digest shows need names; they reuse tagging's tokens.
    named = entities.extract(article.title, article.text, list(tags.tokens)) if judged.relevant else None
    return Tags(tags.regions, tags.topics, tags.keywords, summary), judged, named


def process_many(docs: list[Document], settings: Settings) -> list[Processed]:
    """``process`` over a batch, one group of stages at a time: the text stages for every
    document, then tagging, then fingerprints. Measured on 300 synthetic documents in one
    process, alternating: running every stage per document was 10–16 % slower, as each
    group's tables (regexes, jieba's dictionary, numpy) leave the CPU caches in turn."""
    read = [(d, sha256(d.data), read_articles(d)) for d in docs]
    found = [a for _, _, arts in read if not isinstance(arts, Rejected) for a in arts]
    tagged = iter([_tagged(a, settings) for a in found])
    prints = iter([dedupe.fingerprint(a.text, settings.dedupe) for a in found])
    out = []
    for d, digest, arts in read:
        if isinstance(arts, Rejected):
            out.append(Processed(d.origin, digest, d.source, rejected=arts, seen=d.seen, completes=d.completes))
            continue
        done = [_derived(digest, a, next(tagged), next(prints)) for a in arts]
        out.append(Processed(d.origin, digest, d.source, articles=tuple(done), seen=d.seen, completes=d.completes))
    return out


def _derived(digest: str, article: Article, tagged: tuple, fingerprint: Fingerprint) -> ProcessedArticle:
    tags, judged, named = tagged
    return ProcessedArticle(
        id=article_id(digest, article),
        article=article,
        tags=tags,
        fingerprint=fingerprint,
        relevance=judged,
        entities=named,
    )


def process(doc: Document, settings: Settings) -> Processed:
    """Every stage on one document; pure (no database, no clock) and never raises on bad input."""
    return process_many([doc], settings)[0]


# ---- save: serial, only stores ----------------------------------------------------------


def _day(article: Article, seen: datetime) -> date:
    """The day a story is matched on: published, or first seen when undated."""
    return article.published or seen.date()


def stored_article(p: ProcessedArticle, entry: dedupe.Entry, seen: datetime) -> StoredArticle:
    a, t = p.article, p.tags
    return StoredArticle(
        id=p.id,
        origin=a.origin,
        part=a.part,
        title=a.title,
        body=a.body,
        published=a.published,
        first_seen=seen,
        source=a.source,
        authors=a.authors,
        regions=t.regions,
        topics=t.topics,
        keywords=t.keywords,
        summary=t.summary,
        story=entry.story,
        url=a.url,
        editor=a.editor,
        content_hash=entry.content_hash,
        removed=a.removed,
        relevance=p.relevance,
        entities=p.entities,
    )


def _document_row(res: Processed) -> dict[str, Any]:
    reason = res.rejected.reason if res.rejected else None
    return {"origin": res.origin, "sha256": res.sha256, "source": res.source, "reason": reason}


def save(engine: Engine, results: list[Processed], seen: datetime, index: StoryIndex) -> IngestReport:
    """Store one batch of processed documents in one transaction, holding the database's
    write lock: assign stories against ``index`` (the run's view of the stored story index),
    then write. Another ingest (process or machine) that stored some of these documents
    meanwhile wins, and they are skipped here as already known."""
    with locks.exclusive(engine, locks.WRITE) as conn:
        fresh, known = _not_stored(engine, results)
        report = _save_locked(engine, conn, fresh, seen, index)
        # Fetch state in the same transaction as the documents it covers (issue 11).
        fetchstate.add_seen(conn, {k: r.source or "" for r in results for k in r.seen}, seen)
        fetchstate.add_validators(conn, [c for r in results for c in r.completes], seen)
    report.documents_in, report.already_known = len(results), known
    log.debug(
        "stored %d documents: %d new articles; %d stored meanwhile by another run",
        len(fresh),
        report.articles_new,
        known,
    )
    return report


def _not_stored(engine: Engine, results: list[Processed]) -> tuple[list[Processed], int]:
    known = store.known_documents(engine, {(r.origin, r.sha256) for r in results})
    fresh = [r for r in results if (r.origin, r.sha256) not in known]
    return fresh, len(results) - len(fresh)


def _save_locked(
    engine: Engine, conn: Any, results: list[Processed], seen: datetime, index: StoryIndex
) -> IngestReport:
    report = IngestReport()
    for res in results:
        report.rejected += [res.rejected] if res.rejected else []
        report.removed.update(r.kind for p in res.articles for r in p.article.removed)
    items = [dedupe.Item(p.id, p.fingerprint, _day(p.article, seen)) for res in results for p in res.articles]
    entries = index.assign(engine, items)
    placed = iter(entries)
    per_doc = [[stored_article(p, next(placed), seen) for p in res.articles] for res in results]
    ids = store.add_documents(conn, [_document_row(res) for res in results], seen)
    store.add_rejects(conn, [r.rejected for r in results if r.rejected], None, seen)
    store.add_articles(conn, [(doc_id, a) for doc_id, arts in zip(ids, per_doc, strict=True) for a in arts])
    add_entries(conn, entries, index.settings)
    report.articles_new = len(entries)
    report.duplicates = sum(e.story != e.article_id for e in entries)
    return report


# ---- one ingest run -----------------------------------------------------------------------


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


# Documents per transaction of the save. A batch's articles are matched in day order, so
# where batches split can change how a chain of near-duplicates is grouped: every way of
# running an ingest (CLI, flow on threads or Dask) saves in batches of this size.
BATCH = 100


def batches(items: list, size: int = BATCH) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def begin(
    engine: Engine, docs: list[Document], input_rejects: list[Rejected], seen: datetime
) -> tuple[list[Document], IngestReport]:
    """Start an ingest: the documents still to process, and a report that counts the rest
    (already stored, unreadable). The CLI and the ingest flow both start here."""
    fresh, skipped = unseen(engine, docs)
    _seen_already_stored(engine, docs, fresh, seen)
    record_input_rejects(engine, input_rejects, seen)
    log.info(
        "%d documents: %d to process, %d stored before; %d unreadable",
        len(docs),
        len(fresh),
        skipped,
        len(input_rejects),
    )
    return fresh, IngestReport(documents_in=len(docs), already_known=skipped, rejected=list(input_rejects))


def save_batch(engine: Engine, results: list[Processed], seen: datetime, index: StoryIndex) -> IngestReport:
    """``save`` for one batch of an ingest whose documents ``begin`` counted already."""
    part = save(engine, results, seen, index)
    part.documents_in = 0
    return part


def ingest(
    engine: Engine,
    settings: Settings,
    docs: list[Document],
    input_rejects: list[Rejected] | None = None,
    progress: Callable[[int], None] | None = None,
    seen: datetime | None = None,
    index: StoryIndex | None = None,
    deadline: float | None = None,
    batch_size: int = BATCH,
) -> IngestReport:
    """One ingest run without Prefect (CLI ``ingest``); the ingest flow runs the same steps
    as tasks. ``index`` carries the stored story index over from an earlier call (bench).
    Past ``deadline`` (``deadline_of``) the batches stored stay stored and the rest waits
    (the first batch is always stored, so that a run short of time still makes progress)."""
    seen = seen or store.now()
    index = index or StoryIndex(settings.dedupe)
    fresh, report = begin(engine, docs, input_rejects or [], seen)
    parts = batches(fresh, batch_size)
    for done, batch in enumerate(parts):
        if done and past(deadline):  # a run always stores its first batch: no run is all lost
            report.left = sum(len(b) for b in parts[done:])
            break
        report.merge(save_batch(engine, process_many(batch, settings), seen, index))
        if progress:
            progress(len(batch))
    return report


def deadline_of(config: Any) -> float | None:
    """The run's deadline on the monotonic clock, from ``[run] deadline`` seconds (0: none)."""
    seconds = float(config.get("run", "deadline", 0) or 0)
    return time.monotonic() + seconds if seconds > 0 else None


def past(deadline: float | None) -> bool:
    """After the deadline, what was done is saved and the rest left for the next run."""
    return deadline is not None and time.monotonic() > deadline


def _seen_already_stored(engine: Engine, docs: list[Document], fresh: list[Document], at: datetime) -> None:
    """Documents stored before their keys were (an older version, another source): mark them,
    and keep the validators they carry (an unchanged page sent in full, without a 304)."""
    todo = {id(d) for d in fresh}
    keys = {k: d.source or "" for d in docs if d.seen and id(d) not in todo for k in d.seen}
    validators = [c for d in docs if id(d) not in todo for c in d.completes]
    if keys or validators:
        with engine.begin() as conn:
            fetchstate.add_seen(conn, keys, at)
            fetchstate.add_validators(conn, validators, at)


def record_input_rejects(engine: Engine, rejected: list[Rejected], seen: datetime) -> None:
    """Inputs that could not even be read (missing file, fetch error) are recorded too."""
    if rejected:
        with engine.begin() as conn:
            store.add_rejects(conn, rejected, None, seen)


# A few lines the stages recognise as an article (a title, a dateline, a region, a body).
_SAMPLE = "金华职业技术学院举办产教融合大会\n\n2025年3月1日 来源：金华日报\n\n金华市多家企业与学院签约，共建实训基地，培养技能人才。"


def prepare(settings: Settings) -> None:
    """Load what the stages load on first use (jieba's dictionary, the gazetteer, compiled
    tables) by processing a small sample, so that a new worker process pays for it
    before its first batch rather than during it."""
    process_many([Document(origin="prepare", data=_SAMPLE.encode())], settings)
