"""Feed parsing: what a fetched body is (``sniff``), its items (``parse``), canonical links.

A feed body is decoded by ``decode`` (so GB2312/GBK, overrides and the garbage check
apply to feeds too), then parsed by feedparser from UTF-8 bytes (RSS 0.9x/1.0/2.0, Atom,
RDF), or read as JSON Feed. Item HTML is reduced to text (``fragment_text``), never
passed on as HTML. Each item carries its seen-state keys (guid, canonical link, else
content hash). Pure functions over bytes: fetching, seen state and health are
``collection``'s.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from typing import Any, BinaryIO
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import feedparser

from newsdigest import decode, feedbounds

# An item whose text is shorter than this is taken for a summary of its page.
FULL_TEXT_MIN_CHARS = 400
MAX_ITEMS = 500  # [fetch] max_items: the newest items read per feed and run
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


def fragment_text(fragment: str) -> str:
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
    left: int = 0  # older items over max_items, left for later runs


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
        texts.append(value.strip() if c.get("type") == "text/plain" else fragment_text(value))
    return max(texts, key=len, default="")


def item_key(kind: str, value: str) -> str:
    """A seen-state key: sha256 of ``kind:value`` (kind ``guid``, ``link`` or ``sha``)."""
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def make_item(
    feed_url: str, guid: str | None, link: str | None, title: str | None, published: date | None, text: str
) -> Item:
    """An Item with its seen-keys: guid (scoped to the feed), canonical link, else content hash."""
    canon = canonical_link(link) if link and urlsplit(link).scheme in ("http", "https") else None
    keys = []
    if guid:
        keys.append(item_key("guid", f"{feed_url}|{guid}"))
    if canon:
        keys.append(item_key("link", canon))
    content = hashlib.sha256(f"{title or ''}\n{text}".encode()).hexdigest()
    if not keys:
        keys.append(item_key("sha", content))
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
        body = fragment_text(it["content_html"]) if it.get("content_html") else str(it.get("content_text") or "")
        body = body or str(it.get("summary") or "")
        published = str(it.get("date_published") or "")[:10]
        day = date.fromisoformat(published) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", published) else None
        items.append(make_item(feed_url, str(it.get("id") or "") or None, it.get("url"), it.get("title"), day, body))
    return ParsedFeed(str(data.get("title") or ""), "json", None, items)


def parse(
    body: bytes | BinaryIO,
    feed_url: str,
    content_type: str | None = None,
    override: str | None = None,
    max_items: int = MAX_ITEMS,
) -> ParsedFeed:
    """A fetched feed body (bytes, or a file the fetch spooled a large one to) to items (the
    newest ``max_items``; ``left`` counts the others); raises FeedError with a one-line reason
    when unusable."""
    spooled_left = 0
    if not isinstance(body, bytes):
        body, spooled_left = _spooled(body, content_type, max_items)
    parsed = _parse_bytes(body, feed_url, content_type, override, max_items)
    parsed.left += spooled_left
    return parsed


def _spooled(fh: BinaryIO, content_type: str | None, max_items: int) -> tuple[bytes, int]:
    """A feed too large to hold in memory: its newest items, read in one bounded pass."""
    fh.seek(0)
    head = fh.read(feedbounds.ENTITY_SCAN)
    kind = sniff(head, content_type)
    if kind != "feed":
        raise FeedError(f"{'an HTML page' if kind == 'html' else 'a ' + kind + ' body'} over the in-memory limit")
    if refused := feedbounds.refuse_entities(head):
        raise FeedError(refused)
    try:
        return feedbounds.newest_items_file(fh, max_items)
    except ValueError as exc:
        raise FeedError(str(exc)) from None


def _parse_bytes(
    body: bytes, feed_url: str, content_type: str | None, override: str | None, max_items: int
) -> ParsedFeed:
    if not body.strip():
        raise FeedError("empty response")
    kind = sniff(body, content_type)
    if kind == "html":
        raise FeedError("an HTML page was served where a feed was expected")
    if refused := feedbounds.refuse_entities(body):
        raise FeedError(refused)
    body, left = feedbounds.newest_items(body, max_items) if kind == "feed" else (body, 0)
    parsed = _parse_body(body, feed_url, content_type, override, kind)
    if left or len(parsed.items) > max_items:  # a JSON feed is cut here, after parsing
        parsed.left = left + max(0, len(parsed.items) - max_items)
        parsed.items = parsed.items[:max_items]
    return parsed


def _parse_body(body: bytes, feed_url: str, content_type: str | None, override: str | None, kind: str) -> ParsedFeed:
    try:
        text = decode.decode(body, content_type, override)
    except decode.DecodeError as exc:
        raise FeedError(f"feed not decodable: {exc}") from None
    if kind == "json":
        return parse_json_feed(text, feed_url)
    media = (content_type or "").split(";")[0].strip().lower() or "application/xml"
    return parse_xml(text, feed_url, media)
