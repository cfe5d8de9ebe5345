"""Small frozen records passed between pipeline stages.

Every stage takes and returns these plain values, so each stage can be tested
alone and the flows only move them around.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is not imported for the models alone (``newsdigest --help`` stays quick)
    import numpy as np

    from newsdigest.entities import Entity
    from newsdigest.relevance import Relevance


class RemovedKind(StrEnum):
    """Why a block of text left an article: the one vocabulary of clean, split and the digest.

    Members are strings, so stored rows (``{"kind": "spam"}``) and comparisons with plain
    strings keep working.
    """

    SPAM = "spam"  # link farms, SEO keyword runs, scraper noise
    CHROME = "chrome"  # site furniture: breadcrumbs, share bars, copyright, counters, menus
    SIDEBAR = "sidebar"  # portal side columns: rankings, teaser and gallery lists, ad headlines
    CAPTION = "caption"  # image captions
    METADATA = "metadata"  # date, source, author and editor lines and credits
    DUPLICATE = "duplicate"  # a sentence or clause repeated
    BANNER = "banner"  # a print page's section banner above its first article
    TITLE = "title"  # the article's title where it also stood in the text
    SUBTITLE = "subtitle"  # lines under the title, before the first metadata line
    BYLINE = "byline"  # a print page's per-article bare-name byline
    BOILERPLATE = "boilerplate"  # template text repeated across a source's pages


class SendState:
    """A digest send's statuses, and how far one under way got: ``store.sends`` records them,
    ``deliver`` reports them. Plain strings, stored as they are."""

    INTENT, SENT, FAILED, UNCERTAIN = "intent", "sent", "failed", "uncertain"
    # Nothing sent yet; connected (envelope); message data going out; the end-of-data mark
    # may have left (from here on the server may hold the message).
    CLAIMED, CONNECT, DATA, END = "claimed", "connect", "data", "end"


@dataclass(frozen=True)
class Topic:
    """One topic of the taxonomy (``[[topics]]`` in the configuration) and its keywords."""

    name: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Source:
    """One configured source (``[[sources]]``)."""

    kind: str  # folder | feed | page | site | sitemap (auto: an ad-hoc URL, sniffed)
    name: str
    path: str | None = None
    url: str | None = None
    full_text: bool = False
    encoding: str | None = None
    enabled: bool = True
    max_pages: int = 3  # site: list pages followed on a first run
    include: str | None = None  # site, sitemap: only article URLs matching this regex
    exclude: str | None = None  # site, sitemap: never article URLs matching this regex
    max_age_days: int = 7  # sitemap: on a first run, only URLs this recent
    max_items: int = 200  # site, sitemap: articles fetched per run at most

    @property
    def location(self) -> str:
        return self.url or self.path or ""


@dataclass(frozen=True)
class Removed:
    """A block of text the cleaner took out, with the reason (``kind``)."""

    kind: RemovedKind
    text: str


@dataclass(frozen=True)
class Document:
    """One input as it arrived: where from and its raw bytes."""

    origin: str  # file path or URL
    data: bytes
    content_type: str | None = None  # HTTP header or None for files
    source: str | None = None  # configured source name
    url: str | None = None  # canonical link of the article, if known
    encoding: str | None = None  # configured override
    title_hint: str | None = None  # e.g. a feed item's title
    published_hint: date | None = None
    listed_date: date | None = None  # the date beside its link on a list page: used when the page shows none
    # Fetch-state keys (a feed item's guid, link…) marked seen in the transaction that stores
    # this document, never before: a crash in between must not lose the item for good.
    seen: tuple[str, ...] = ()
    # (url, etag, last_modified) of the feed, page, list pages or sitemaps whose last document
    # this is: the validators are stored with it, so a 304 never stands for items not stored.
    completes: tuple[tuple[str, str | None, str | None], ...] = ()


@dataclass(frozen=True)
class Meta:
    """Metadata found in a document's text (or its HTML)."""

    title: str | None = None
    published: date | None = None
    source: str | None = None
    authors: tuple[str, ...] = ()
    editor: str | None = None


@dataclass(frozen=True)
class Cleaned:
    """Text after cleaning: paragraphs in order, and what was removed."""

    paragraphs: tuple[str, ...]
    removed: tuple[Removed, ...] = ()
    meta: Meta = field(default_factory=Meta)


@dataclass(frozen=True)
class Article:
    """One article: the unit the digest is made of."""

    origin: str
    part: int  # index of the article within its document (print pages hold several)
    title: str
    body: tuple[str, ...]
    published: date | None = None
    source: str | None = None
    authors: tuple[str, ...] = ()
    editor: str | None = None
    url: str | None = None
    removed: tuple[Removed, ...] = ()

    @property
    def text(self) -> str:
        return "\n\n".join(self.body)


@dataclass(frozen=True)
class Tags:
    """What tagging and the summary derived from an article."""

    regions: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    summary: str = ""


@dataclass(frozen=True)
class Fingerprint:
    """An article's fingerprints for near-duplicate matching (see ``dedupe``)."""

    content_hash: str
    signature: np.ndarray  # uint32[num_perm]; empty when the text has no content
    keys: tuple[int, ...]  # LSH band keys (63-bit; rebuilt from the signature, never stored)


@dataclass(frozen=True)
class Rejected:
    """An input the pipeline could not use, with a one-line reason."""

    origin: str
    reason: str


@dataclass(frozen=True)
class StoredArticle:
    """An article as stored, with everything derived: what ``pipeline.save`` writes and
    ``store.load_articles`` reads back (``store.to_row``/``store.from_row`` encode it)."""

    id: str
    origin: str
    part: int
    title: str
    body: tuple[str, ...]
    published: date | None
    first_seen: datetime
    source: str | None
    authors: tuple[str, ...]
    regions: tuple[str, ...]
    topics: tuple[str, ...]
    keywords: tuple[str, ...]
    summary: str
    story: str
    url: str | None = None
    editor: str | None = None
    content_hash: str = ""
    removed: tuple[Removed, ...] = ()
    relevance: Relevance | None = None  # None: stored before relevance was scored (m0005)
    entities: tuple[Entity, ...] | None = None  # None: not extracted (only relevant articles are)

    @property
    def text(self) -> str:
        return "\n\n".join(self.body)

    @property
    def removed_counts(self) -> dict[str, int]:
        """Removed blocks by kind."""
        return dict(Counter(r.kind for r in self.removed))


@dataclass(frozen=True)
class StoredDocument:
    """A stored input document: where from, its configured source, ``ok`` or ``rejected``."""

    origin: str
    source: str | None
    status: str


@dataclass(frozen=True)
class StoredWeek:
    """What the store holds for one week of the digest (``store.load_week``)."""

    articles: list[StoredArticle]  # first seen in the week, oldest first
    previous: list[StoredArticle]  # first seen in the week before
    earlier_stories: set[str]  # stories of this week whose origin was seen before it
    doc_source: dict[str, str | None]  # article id → its document's configured source
    documents: list[StoredDocument]  # documents first seen in the week, by origin
    rejects: list[dict]  # inputs rejected in the week, by origin and reason
