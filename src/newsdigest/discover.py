"""Discover a site's sources: feeds, sitemaps and list pages, as ready-to-paste ``[[sources]]``.

From the home page: the feeds it announces (``<link rel="alternate">``, found by
trafilatura.feeds), else a few common feed paths; the sitemaps robots.txt names, else
``/sitemap.xml``; and list pages linked from the home page (its "更多" links and its
menu), each kept when ``listpage`` finds a list of article links there. Each suggestion
says how many articles a first run would take now. Every request goes through the
polite fetcher (robots.txt honoured); nothing is stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin, urlsplit

import courlan
import lxml.html
from trafilatura.feeds import FeedParameters, determine_feed

from newsdigest import decode, feeds, listpage, sitemaps
from newsdigest.fetch import FEED_ACCEPT, PAGE_ACCEPT, Fetcher, Request

FEED_PATHS = ("/feed", "/rss", "/rss.xml", "/feed.xml", "/atom.xml", "/index.xml")
SITEMAP_PATHS = ("/sitemap.xml", "/sitemap_index.xml")
MAX_LIST_CANDIDATES = 12
MAX_CHILDREN_COUNTED = 10
MAX_SITEMAPS = 5  # a news portal's robots.txt may name dozens
MIN_LIST_LINKS = 5
_MORE = re.compile(r"更多|more|>>|»", re.I)
_TITLE_SPLIT = re.compile(r"\s*[_|\-–—｜]+\s*")


class DiscoverError(Exception):
    """The site cannot be looked at; the message is one line."""


@dataclass(frozen=True)
class Suggestion:
    kind: str  # feed | sitemap | site
    name: str
    url: str
    count: int  # articles a first run would take now
    note: str = ""
    max_pages: int | None = None

    def toml(self) -> str:
        lines = [f"# {self.note}" if self.note else f"# {self.count} articles now"]
        lines += ["[[sources]]", f'kind = "{self.kind}"', f"name = {_quote(self.name)}", f"url = {_quote(self.url)}"]
        if self.kind == "feed":
            lines.append("full_text = true")
        if self.max_pages:
            lines.append(f"max_pages = {self.max_pages}")
        return "\n".join(lines)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _title(html: str) -> str:
    try:
        root = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return ""
    return " ".join((root.findtext(".//title") or "").split())


def _site_name(title: str, host: str) -> str:
    parts = [p for p in _TITLE_SPLIT.split(title) if p]
    return (parts[-1] if parts else "").removesuffix("门户网站").removesuffix("官方网站") or host


def discover(url: str, fetcher: Fetcher, max_pages: int = 3, max_age_days: int = 7) -> list[Suggestion]:
    """What a site offers to follow; raises DiscoverError when its home page cannot be read."""
    home = fetcher.get(Request(url, accept=PAGE_ACCEPT))
    if home.error:
        raise DiscoverError(f"{url}: {home.error}")
    try:
        html = decode.decode(home.body, home.content_type)
    except decode.DecodeError as exc:
        raise DiscoverError(f"{url}: not decodable: {exc}") from None
    base = home.final_url
    site = _site_name(_title(html), urlsplit(base).netloc)
    out = find_feeds(html, base, site, fetcher)
    out += find_sitemaps(base, site, fetcher, max_age_days)
    out += find_list_pages(html, base, site, fetcher, max_pages)
    return _unique_names(out)


def _unique_names(found: list[Suggestion]) -> list[Suggestion]:
    """Source names key their health records: a feed and a list page of one column need two."""
    names: set[str] = set()
    out = []
    for s in found:
        name = s.name if s.name not in names else f"{s.name} ({s.kind})"
        names.add(name)
        out.append(Suggestion(s.kind, name, s.url, s.count, s.note, s.max_pages))
    return out


# --- feeds --------------------------------------------------------------------------


def _feed(url: str, site: str, fetcher: Fetcher) -> Suggestion | None:
    got = fetcher.get(Request(url, accept=FEED_ACCEPT))
    if got.error or not got.body:
        return None
    try:
        parsed = feeds.parse(got.body, got.final_url, got.content_type)
    except feeds.FeedError:
        return None
    name = parsed.title or f"{site} feed"
    return Suggestion("feed", name, got.final_url, len(parsed.items), f"feed: {len(parsed.items)} articles now")


def find_feeds(html: str, base: str, site: str, fetcher: Fetcher) -> list[Suggestion]:
    """Feeds the home page announces, else the first common feed path that serves one."""
    params = FeedParameters(base, courlan.extract_domain(base) or urlsplit(base).netloc, base)
    announced = determine_feed(html, params)
    found = [s for s in (_feed(u, site, fetcher) for u in announced[:5]) if s]
    if found:
        return found
    for path in FEED_PATHS:
        if hit := _feed(urljoin(base, path), site, fetcher):
            return [hit]
    return []


# --- sitemaps -----------------------------------------------------------------------


def _count_sitemap(url: str, fetcher: Fetcher, since: datetime) -> tuple[int, bool] | None:
    """URLs dated since ``since`` (a first run's take) and whether every child was counted."""
    got = fetcher.get(Request(url, accept="application/xml, */*;q=0.5"))
    if got.error:
        return None
    try:
        found = sitemaps.parse(got.body, got.final_url)
    except sitemaps.SitemapError:
        return None
    if found.kind == "urlset":
        return len(sitemaps.recent(found.entries, since)[0]), True
    children = [c for c in found.entries if c.when is None or c.when >= since]
    total, complete = 0, len(children) <= MAX_CHILDREN_COUNTED
    for child in children[:MAX_CHILDREN_COUNTED]:
        counted = _count_sitemap(child.loc, fetcher, since) if child.loc != url else None
        if counted:
            total += counted[0]
            complete = complete and counted[1]
    return total, complete


def find_sitemaps(base: str, site: str, fetcher: Fetcher, max_age_days: int = 7) -> list[Suggestion]:
    """Sitemaps named in robots.txt, else the usual paths."""
    named = fetcher.robots.rules(base).sitemaps if fetcher.robots else []
    since = datetime.now(UTC) - timedelta(days=max_age_days)
    out = []
    for url in list(dict.fromkeys(named))[:MAX_SITEMAPS] or [urljoin(base, p) for p in SITEMAP_PATHS]:
        counted = _count_sitemap(url, fetcher, since)
        if counted is None:
            continue
        count, complete = counted
        more = "" if complete else " or more"
        note = f"sitemap: {count}{more} articles from the last {max_age_days} days"
        name = f"{site} {urlsplit(url).path.rsplit('/', 1)[-1] or 'sitemap'}"
        out.append(Suggestion("sitemap", name, url, count, note))
        if not named:
            break
    return out


# --- list pages ---------------------------------------------------------------------


def list_candidates(html: str, base: str, page: listpage.ListPage) -> list[tuple[str, str]]:
    """(url, anchor text) of same-site links that may be list pages: 更多 links first, then menus."""
    host = urlsplit(base).netloc
    root = lxml.html.document_fromstring(html)
    more, menu = [], []
    for a in root.iter("a"):
        url = urljoin(base, (a.get("href") or "").strip()).split("#", 1)[0]
        text = " ".join(a.text_content().split())
        if urlsplit(url).netloc != host or urlsplit(url).scheme not in ("http", "https"):
            continue
        if listpage.is_article_url(url) or url.rstrip("/") == base.rstrip("/"):
            continue
        (more if _MORE.search(text) else menu).append((url, text))
    article_links = {link.url for link in page.links}
    seen: dict[str, str] = {}
    for url, text in more + menu:
        if url not in article_links:
            seen.setdefault(url, text)
    return list(seen.items())[:MAX_LIST_CANDIDATES]


def _column_name(title: str, anchor: str, site: str) -> str:
    parts = [p for p in _TITLE_SPLIT.split(title) if p and p != site]
    column = parts[0] if parts and not _MORE.search(parts[0]) else ""
    if not column and anchor and not _MORE.search(anchor):
        column = anchor
    return f"{site} {column}".strip()


def _yield(first: listpage.ListPage, fetcher: Fetcher, max_pages: int) -> tuple[int, int]:
    """Articles a first run would take (pages up to max_pages) and pages read."""
    urls = {link.url for link in first.links}
    pages = 1
    for url in first.pages[: max_pages - 1]:
        got = fetcher.get(Request(url, accept=PAGE_ACCEPT))
        if got.error:
            break
        try:
            more = listpage.parse(decode.decode(got.body, got.content_type), got.final_url)
        except decode.DecodeError:
            break
        urls.update(link.url for link in more.links)
        pages += 1
    return len(urls), pages


def find_list_pages(html: str, base: str, site: str, fetcher: Fetcher, max_pages: int = 3) -> list[Suggestion]:
    home = listpage.parse(html, base)
    out, known = [], [{link.url for link in home.links}]  # the home page itself is no column
    for url, anchor in list_candidates(html, base, home):
        got = fetcher.get(Request(url, accept=PAGE_ACCEPT))
        if got.error:
            continue
        try:
            text = decode.decode(got.body, got.content_type)
        except decode.DecodeError:
            continue
        page = listpage.parse(text, got.final_url)
        links = {link.url for link in page.links}
        if len(links) < MIN_LIST_LINKS or any(links == k for k in known):
            continue  # not a list, or the same list under another URL (/xwzx/ and /xwzx/index.html)
        known.append(links)
        count, pages = _yield(page, fetcher, max_pages)
        note = f"list page: {count} articles on {pages} page{'s' if pages > 1 else ''} now"
        out.append(Suggestion("site", _column_name(page.title, anchor, site), got.final_url, count, note, max_pages))
    return out
