"""Feeds and pages as sources: fetch, parse, skip what was seen, turn items into Documents.

A feed is fetched by ``fetch`` (conditional request; 304 means nothing more to do),
decoded by ``decode`` (so GB2312/GBK, overrides and the garbage check apply to feeds
too), then parsed by feedparser from UTF-8 bytes. Items already seen (by guid, then
canonical link, then content hash) are skipped before any page is fetched. Item HTML
is reduced to text, never passed on as HTML. An item whose feed carries only a summary
gets its article page fetched when the source says ``full_text = true``; that page
travels as HTML for the pipeline's extractor. Every failure is a one-line reason on
the source's health record; the other sources and items go on.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import feedparser
from sqlalchemy import Engine

from newsdigest import decode, store
from newsdigest.config import Config, Source
from newsdigest.fetch import FEED_ACCEPT, PAGE_ACCEPT, Fetched, Fetcher, FetchSettings, Request, Validators
from newsdigest.models import Document, Rejected
from newsdigest.store import fetchstate
from newsdigest.store.fetchstate import Health

# An item whose text is shorter than this is taken for a summary of its page.
FULL_TEXT_MIN_CHARS = 400
_BLOCKS = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "table",
    "blockquote",
    "pre",
    "section",
    "article",
    "header",
    "footer",
    "figure",
    "figcaption",
    "hr",
    "dd",
    "dt",
}
_SKIP = {"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math", "head", "title"}
_CJK = "\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_XML_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""")
_FEED_ROOT = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*|<!DOCTYPE[^>]*>\s*|<\?[^>]*>\s*)*<(?:rss|feed|rdf:RDF|RDF)\b",
    re.S | re.I,
)
_HTML_ROOT = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!DOCTYPE\s+html|html|head|body)\b", re.S | re.I
)
_TRACKING = re.compile(r"^(?:utm_\w+|spm|from|fbclid|gclid)$", re.I)


class FeedError(ValueError):
    """The body is not a usable feed; ``str(err)`` is a one-line reason."""


class _Text(HTMLParser):
    """HTML fragment to plain text: block elements become paragraph breaks; no markup survives."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(fragment: str) -> str:
    """Text of an HTML fragment (feed summary or content), paragraphs separated by blank lines."""
    parser = _Text()
    parser.feed(fragment)
    parser.close()
    paragraphs = (_CJK_GAP.sub("", p).strip() for p in "".join(parser.parts).split("\n\n"))
    return "\n\n".join(p for p in paragraphs if p)


def canonical_link(url: str) -> str:
    """A link without fragment and tracking parameters, scheme and host lower-cased."""
    parts = urlsplit(url.strip())
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)])
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", query, ""))


def sniff(body: bytes, content_type: str | None = None) -> str:
    """``feed``, ``json`` (JSON Feed), ``html`` or ``unknown`` from the bytes (and the header)."""
    head = body[:4096].lstrip(b"\xef\xbb\xbf")
    if b"\x00" in head[:200]:  # UTF-16/32: decode a little to look at the markup
        try:
            head = decode.decode(body[:4096]).encode("utf-8")
        except decode.DecodeError:
            return "unknown"
    media = (content_type or "").split(";")[0].strip().lower()
    if _FEED_ROOT.match(head):
        return "feed"
    if _HTML_ROOT.match(head) or "html" in media:
        return "html"
    if head.lstrip().startswith(b"{") and ("json" in media or b"jsonfeed.org" in head):
        return "json"
    if "xml" in media or "rss" in media or "atom" in media or head.lstrip().startswith(b"<"):
        return "feed"
    return "unknown"


@dataclass(frozen=True)
class Item:
    """One feed entry, reduced to what the pipeline needs."""

    keys: tuple[str, ...]  # seen-state keys, most specific first
    origin: str
    link: str | None
    title: str | None
    published: date | None
    text: str
    full: bool  # the feed carries the whole article, not a summary


@dataclass
class ParsedFeed:
    title: str = ""
    version: str = ""
    bozo: str | None = None
    items: list[Item] = field(default_factory=list)


def _struct_date(value: Any) -> date | None:
    try:
        return date(*value[:3]) if value else None
    except (TypeError, ValueError):
        return None


def _entry_text(entry: Any) -> str:
    """The longest of the entry's content and summary, as text."""
    candidates = [c for c in entry.get("content") or [] if c.get("value")]
    if entry.get("summary"):
        candidates.append(entry.get("summary_detail") or {"type": "text/html", "value": entry["summary"]})
    texts = []
    for c in candidates:
        value = c.get("value", "")
        texts.append(value.strip() if c.get("type") == "text/plain" else html_to_text(value))
    return max(texts, key=len, default="")


def make_item(
    feed_url: str, guid: str | None, link: str | None, title: str | None, published: date | None, text: str
) -> Item:
    """An Item with its seen-keys: guid (scoped to the feed), canonical link, else content hash."""
    canon = canonical_link(link) if link and urlsplit(link).scheme in ("http", "https") else None
    keys = []
    if guid:
        keys.append(fetchstate.item_key("guid", f"{feed_url}|{guid}"))
    if canon:
        keys.append(fetchstate.item_key("link", canon))
    content = hashlib.sha256(f"{title or ''}\n{text}".encode()).hexdigest()
    if not keys:
        keys.append(fetchstate.item_key("sha", content))
    origin = canon or (f"{feed_url}#{guid}" if guid else f"{feed_url}#sha-{content[:16]}")
    return Item(
        tuple(keys), origin, canon, (title or "").strip() or None, published, text, len(text) >= FULL_TEXT_MIN_CHARS
    )


def _as_utf8_xml(text: str) -> bytes:
    return _XML_ENCODING.sub(r'\1"utf-8"', text.lstrip(), count=1).encode("utf-8")


def _bozo_reason(parsed: Any) -> str | None:
    if not parsed.get("bozo"):
        return None
    exc = parsed.get("bozo_exception")
    line = str(exc).splitlines()[0] if exc and str(exc) else ""
    return f"{type(exc).__name__}: {line}" if exc else "ill-formed feed"


def parse_xml(text: str, feed_url: str, media: str) -> ParsedFeed:
    """RSS 0.9x/1.0/2.0, Atom, RDF with feedparser, from already decoded text."""
    headers = {"content-type": f"{media}; charset=utf-8", "content-location": feed_url}
    parsed = feedparser.parse(_as_utf8_xml(text), response_headers=headers)
    bozo = _bozo_reason(parsed)
    if not parsed.get("version") and not parsed.entries:
        raise FeedError(f"not a feed: {bozo}" if bozo else "not a feed (no RSS, Atom or RDF document)")
    items = [
        make_item(
            feed_url,
            e.get("id"),
            e.get("link"),
            e.get("title"),
            _struct_date(e.get("published_parsed") or e.get("updated_parsed")),
            _entry_text(e),
        )
        for e in parsed.entries
    ]
    return ParsedFeed(parsed.feed.get("title", ""), parsed.get("version") or "", bozo, items)


def parse_json_feed(text: str, feed_url: str) -> ParsedFeed:
    """JSON Feed 1.x (jsonfeed.org), which feedparser does not read."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FeedError(f"not a JSON feed: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise FeedError("not a JSON feed: no items list")
    items = []
    for it in (i for i in data["items"] if isinstance(i, dict)):
        body = html_to_text(it["content_html"]) if it.get("content_html") else str(it.get("content_text") or "")
        body = body or str(it.get("summary") or "")
        published = str(it.get("date_published") or "")[:10]
        day = date.fromisoformat(published) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", published) else None
        items.append(make_item(feed_url, str(it.get("id") or "") or None, it.get("url"), it.get("title"), day, body))
    return ParsedFeed(str(data.get("title") or ""), "json", None, items)


def parse(body: bytes, feed_url: str, content_type: str | None = None, override: str | None = None) -> ParsedFeed:
    """A fetched feed body to items; raises FeedError with a one-line reason when unusable."""
    if not body.strip():
        raise FeedError("empty response")
    kind = sniff(body, content_type)
    if kind == "html":
        raise FeedError("an HTML page was served where a feed was expected")
    try:
        text = decode.decode(body, content_type, override)
    except decode.DecodeError as exc:
        raise FeedError(f"feed not decodable: {exc}") from None
    if kind == "json":
        return parse_json_feed(text, feed_url)
    media = (content_type or "").split(";")[0].strip().lower() or "application/xml"
    return parse_xml(text, feed_url, media)


# --- collecting sources -----------------------------------------------------------


@dataclass
class Collected:
    """Documents for the pipeline, inputs that failed before it, and each source's health."""

    documents: list[Document] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    health: list[Health] = field(default_factory=list)


@dataclass
class _Run:
    """One source within one collection run."""

    source: Source
    health: Health
    fetched: Fetched | None = None
    items: list[Item] = field(default_factory=list)
    keep_validators: bool = True  # False when an item failed transiently: fetch the feed again next run
    seen_keys: dict[str, str] = field(default_factory=dict)


def _document(run: _Run, item: Item) -> Document:
    return Document(
        origin=item.origin,
        data=item.text.encode("utf-8"),
        content_type="text/plain; charset=utf-8",
        source=run.source.name,
        url=item.link,
        title_hint=item.title,
        published_hint=item.published,
    )


def _page_document(run: _Run, item: Item | None, page: Fetched) -> Document | str:
    """A fetched page as an HTML Document, or why it cannot be one."""
    ctype = page.content_type or ""
    kind, media = sniff(page.body, ctype), ctype.split(";")[0].strip().lower()
    # A page without HTML markup may still be text (text/plain, no header); anything else is not a page.
    if kind != "html" and "html" not in media and (kind in ("feed", "json") or media not in ("", "text/plain")):
        return f"not an HTML page ({media or kind})"
    origin = item.origin if item else canonical_link(page.url)
    return Document(
        origin=origin,
        data=page.body,
        content_type=ctype if "html" in ctype.lower() else "text/html",
        source=run.source.name,
        url=page.final_url,
        encoding=run.source.encoding,
        title_hint=item.title if item else None,
        published_hint=item.published if item else None,
    )


def _parse_run(run: _Run, out: Collected) -> None:
    """Parse a fetched feed body into run.items, or record why not."""
    fetched = run.fetched
    assert fetched is not None
    try:
        feed = parse(fetched.body, run.source.url or "", fetched.content_type, run.source.encoding)
    except FeedError as exc:
        out.rejected.append(run.health.fail(str(exc)))
        return
    run.health.bozo = feed.bozo
    run.health.seen = len(feed.items)
    run.items = feed.items


def _fresh_items(runs: list[_Run], engine: Engine) -> None:
    """Drop items seen in earlier runs, or earlier in this run (one query for all sources)."""
    known = fetchstate.known_keys(engine, (k for r in runs for i in r.items for k in i.keys))
    for run in runs:
        fresh = []
        for item in run.items:
            if not known.intersection(item.keys):
                fresh.append(item)
                known.update(item.keys)
        run.items = fresh
        run.health.new = len(fresh)


def _settle_page(run: _Run, item: Item, page: Fetched, out: Collected) -> None:
    if page.error:
        run.keep_validators = run.keep_validators and not page.transient
        if page.transient:  # not marked seen: the feed is fetched in full again next time
            out.rejected.append(run.health.reject(item.origin, f"article page: {page.error} (will retry)"))
            return
        out.rejected.append(run.health.reject(item.origin, f"article page: {page.error}"))
    else:
        doc = _page_document(run, item, page)
        if isinstance(doc, str):
            out.rejected.append(run.health.reject(item.origin, f"article page: {doc}"))
        else:
            out.documents.append(doc)
    run.seen_keys.update(dict.fromkeys(item.keys, run.source.name))


def _items_to_documents(runs: list[_Run], fetcher: Fetcher, out: Collected) -> None:
    """Text items become Documents; summary-only items of full_text sources get their page fetched."""
    pages: list[tuple[_Run, Item]] = []
    for run in runs:
        for item in run.items:
            if run.source.full_text and not item.full and item.link:
                pages.append((run, item))
                continue
            run.seen_keys.update(dict.fromkeys(item.keys, run.source.name))
            if item.text.strip():
                out.documents.append(_document(run, item))
            else:
                out.rejected.append(run.health.reject(item.origin, "feed item has no text (title only)"))
    fetched = fetcher.get_many(Request(item.link or "", accept=PAGE_ACCEPT) for _, item in pages)
    for (run, item), page in zip(pages, fetched, strict=True):
        _settle_page(run, item, page, out)


def _handle_fetched(run: _Run, out: Collected) -> bool:
    """Classify the source's own fetch; True when its body needs parsing as a feed."""
    fetched, health = run.fetched, run.health
    assert fetched is not None
    if fetched.error:
        out.rejected.append(health.fail(fetched.error))
        run.keep_validators = False
        return False
    if fetched.not_modified:
        health.status = "not_modified"
        return False
    kind = run.source.kind
    if kind == "auto":  # an ad-hoc URL: the content says what it is
        kind = "page" if sniff(fetched.body, fetched.content_type) == "html" else "feed"
        health.kind = kind
    if kind == "feed":
        return True
    doc = _page_document(run, None, fetched)
    health.seen = health.new = 1
    if isinstance(doc, str):
        out.rejected.append(health.reject(run.source.location, doc))
    else:
        out.documents.append(doc)
    return False


def collect_sources(config: Config, sources: list[Source], engine: Engine, fetcher: Fetcher | None = None) -> Collected:
    """Fetch feed and page sources (kind ``auto`` is sniffed) and record their state and health."""
    out = Collected()
    runs = [_Run(s, Health(s.name, s.kind, s.location)) for s in sources]
    for run in runs:
        if not run.source.url:
            out.rejected.append(run.health.fail("no url configured"))
    own = fetcher is None
    fetcher = fetcher or Fetcher(FetchSettings.from_mapping(config.sections.get("fetch")))
    try:
        _collect([r for r in runs if r.source.url], engine, fetcher, out)
    finally:
        if own:
            fetcher.close()
    out.health = [r.health for r in runs]
    _save_state(runs, engine, out)
    return out


def _collect(runs: list[_Run], engine: Engine, fetcher: Fetcher, out: Collected) -> None:
    validators = fetchstate.get_validators(engine, (r.source.url or "" for r in runs))
    requests = [
        Request(
            r.source.url or "",
            validators.get(r.source.url or "") or Validators(),
            PAGE_ACCEPT if r.source.kind == "page" else FEED_ACCEPT,
        )
        for r in runs
    ]
    for run, fetched in zip(runs, fetcher.get_many(requests), strict=True):
        run.fetched = fetched
        if _handle_fetched(run, out):
            _parse_run(run, out)
    feeds = [r for r in runs if r.items]
    _fresh_items(feeds, engine)
    _items_to_documents(feeds, fetcher, out)


def _save_state(runs: list[_Run], engine: Engine, out: Collected) -> None:
    at = store.now()
    # A source that failed keeps no validators, so the next run fetches it in full and reports again.
    fetchstate.save_validators(
        engine,
        {
            r.source.url or "": r.fetched.validators
            for r in runs
            if r.fetched and not r.fetched.not_modified and r.keep_validators and r.health.status != "error"
        },
        at,
    )
    seen: dict[str, str] = {}
    for r in runs:
        seen.update(r.seen_keys)
    fetchstate.mark_seen(engine, seen, at)
    fetchstate.record_health(engine, out.health, at)


def collect_urls(config: Config, urls: list[str], engine: Engine, fetcher: Fetcher | None = None) -> Collected:
    """Ad-hoc URLs (``newsdigest ingest URL``): feed or page is sniffed; summary items get their page."""
    sources = [Source(kind="auto", name=u, url=u, full_text=True) for u in urls]
    return collect_sources(config, sources, engine, fetcher)


def health_report(config: Config, engine: Engine) -> list[dict[str, Any]]:
    """Health of every configured feed and page source (never run ones too), then of ad-hoc URLs."""
    stored = {h["name"]: h for h in fetchstate.load_health(engine)}
    out = []
    for s in config.sources:
        if s.kind == "folder":
            continue
        row = stored.pop(s.name, None) or {
            "name": s.name,
            "kind": s.kind,
            "location": s.location,
            "last_run": None,
            "last_success": None,
            "last_status": "never run",
            "last_error": None,
            "bozo": None,
            "items_seen": 0,
            "items_new": 0,
            "items_rejected": 0,
            "total_new": 0,
            "rejects": [],
        }
        out.append({**row, "enabled": s.enabled})
    return out + [{**row, "enabled": None} for row in stored.values()]
