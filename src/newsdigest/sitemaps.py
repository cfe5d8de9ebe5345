"""Sitemaps: urlsets, sitemap indexes (gzip too) and Google News sitemaps, from fetched bytes.

trafilatura.sitemaps finds ``<loc>`` URLs with a regular expression and drops
``<lastmod>``, ``news:publication_date`` and ``news:title``, which are what a monitor
needs (only URLs newer than the last run are wanted), so sitemaps are read here with
lxml's recovering XML parser. A gzip body (``.xml.gz`` served without
``Content-Encoding``) is unpacked up to a size cap, so a gzip bomb stops there.
Pure functions; the caller fetches.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urljoin

from lxml import etree

MAX_UNPACKED = 50_000_000  # the sitemap protocol's own limit for one file
_DATE = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?"
)


class SitemapError(Exception):
    """The body is not a sitemap; the message is one line."""


@dataclass(frozen=True)
class Entry:
    """One URL of a urlset (or one child of an index)."""

    loc: str
    lastmod: datetime | None = None
    news_date: datetime | None = None  # news:publication_date
    title: str | None = None  # news:title

    @property
    def when(self) -> datetime | None:
        """The date the URL is new as of: its publication date, else its last modification."""
        return self.news_date or self.lastmod

    @property
    def published(self) -> date | None:
        return self.news_date.date() if self.news_date else None


@dataclass
class Sitemap:
    kind: str  # "urlset" or "index"
    entries: list[Entry] = field(default_factory=list)  # URLs (urlset) or child sitemaps (index)


def parse_date(text: str | None) -> datetime | None:
    """W3C datetime (2025-11-20, 2025-11-20T09:00:00+08:00, …) as an aware UTC datetime."""
    m = _DATE.match(text or "")
    if not m:
        return None
    y, mo, d, hh, mm, ss, tz = m.groups()
    try:
        when = datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0))
    except ValueError:
        return None
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        when -= sign * timedelta(hours=int(tz[1:3]), minutes=int(tz[-2:]))
    return when.replace(tzinfo=UTC)


def unpack(body: bytes, cap: int = MAX_UNPACKED) -> bytes:
    """The body, gunzipped when it is gzip, at most ``cap`` bytes once unpacked."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, cap + 1)
    except zlib.error as exc:
        raise SitemapError(f"bad gzip data: {exc}") from None
    if len(out) > cap:
        raise SitemapError(f"sitemap over {cap:,} bytes once unpacked")
    return out


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _child_text(el: etree._Element, *names: str) -> str | None:
    for child in el.iter():
        if _local(child.tag) in names and child.text and child.text.strip():
            return child.text.strip()
    return None


def parse(body: bytes, url: str) -> Sitemap:
    """A fetched sitemap body; raises SitemapError with a one-line reason when unusable."""
    data = unpack(body).lstrip()
    if not data:
        raise SitemapError("empty sitemap")
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise SitemapError(f"not XML: {exc}") from None
    if root is None:
        raise SitemapError("not XML")
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise SitemapError(f"not a sitemap (root element <{kind or '?'}>)")
    item = "url" if kind == "urlset" else "sitemap"
    entries = []
    for el in root:
        if _local(el.tag) != item:
            continue
        loc = _child_text(el, "loc")
        if not loc:
            continue
        entries.append(
            Entry(
                urljoin(url, loc),
                parse_date(_child_text(el, "lastmod")),
                parse_date(_child_text(el, "publication_date")),
                _child_text(el, "title"),
            )
        )
    return Sitemap("urlset" if kind == "urlset" else "index", entries)


def recent(entries: list[Entry], since: datetime) -> tuple[list[Entry], list[Entry]]:
    """(entries dated at or after ``since``, newest first; undated entries)."""
    dated = sorted((e for e in entries if e.when and e.when >= since), key=lambda e: e.when, reverse=True)  # type: ignore[arg-type,return-value]
    return dated, [e for e in entries if e.when is None]
