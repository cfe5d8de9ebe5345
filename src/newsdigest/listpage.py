"""List pages: find the block of article links, the dates beside them, and the pagination.

A list page (``/xwzx/index.html`` on a Chinese government or news CMS) is mostly chrome:
a nav menu, breadcrumbs, a sidebar, "friendly links" (友情链接), a pager, a footer. The
article list is the block whose links are many, share one URL shape, carry titles rather
than menu words, point to article-like URLs on the same site and often have a date
beside them. Every group of sibling elements that each hold links is a candidate block;
candidates with the same DOM path (a list printed in several ``<ul>`` of five) are one
block; each is scored on those features and the best one is the page's list. No site
needs an XPath. Pure functions over text; the caller fetches and decodes.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

import courlan
import lxml.html
from lxml import etree

MIN_LINKS = 3  # a list of fewer links is not a list
MIN_SCORE = 3.0  # three dated links of one shape score ~6.9, three undated ~3.5
TITLE_CHARS = 24  # anchor text this long reads as a title; menu words are 2–6 characters
_SKIP_TAGS = {"script", "style", "noscript", "template", "head", "select", "option", "iframe"}
_CHROME = re.compile(
    r"nav|menu|foot|copyright|banquan|yqlj|youqing|friend|crumb|bread|position|location|pager|pagination|"
    r"paging|share|toolbar|topbar|top-bar|header|banner|logo|search",
    re.I,
)
_CHROME_TAGS = {"nav", "header", "footer"}
_MORE = re.compile(r"^\W*(?:更多|more|详细|详情|查看更多|进入|点击|>>|»|\+)+\W*$", re.I)
_PAGER_TEXT = re.compile(
    r"^(?:\d{1,4}|首页|尾页|末页|上一?页|下一?页|前一页|后一页|next|prev(?:ious)?|last|first|[<>«»‹›]+)$", re.I
)
_NEXT_TEXT = re.compile(r"^(?:下一?页|后一页|next|›|»|>)$", re.I)
_PAGE_FILE = re.compile(r"^(?P<stem>[a-z]*?)[_-]?(?P<n>\d{1,4})\.(?P<ext>s?html?|jsp|php|aspx?)$", re.I)
_PAGE_PARAMS = {"page", "p", "pn", "pageno", "pagenum", "pageindex", "curpage", "currentpage", "pagenumber", "pg"}
_PAGE_SEGMENT = re.compile(r"/(?:page|p)/(\d{1,4})/?$", re.I)
_TRS_PAGER = re.compile(
    r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*['\"](\w+)['\"]\s*,\s*['\"](\w+)['\"]"
)
_FULL_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_SHORT_DATE = re.compile(r"(?<![\d:/.-])(\d{1,2})\s*[-/.月]\s*(\d{1,2})日?(?![\d:/.-])")
_URL_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})[-/_]?(0[1-9]|1[0-2])[-/_]?(0[1-9]|[12]\d|3[01])(?!\d)")
_ID_DIGITS = re.compile(r"\d{3,}")
_DIGITS = re.compile(r"\d+")
_INDEX_FILE = re.compile(r"^(?:index|default|list|main|home)?\.?(?:s?html?|jsp|php|aspx?)?$", re.I)
_SPACE = re.compile(r"\s+")
_DATASTORE = re.compile(r"<script[^>]*text/xml[^>]*>.*?</script>", re.S | re.I)
_RECORD = re.compile(r"<record[^>]*>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)
_WORD = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class Link:
    """An article link as listed: where, its text, and the date printed beside it."""

    url: str
    text: str
    date: date | None = None


@dataclass(frozen=True)
class Block:
    """A candidate block with the features it was scored on (kept for ``discover`` and tests)."""

    path: str  # DOM path of the container, e.g. body/div.main/ul.list
    links: tuple[Link, ...]
    score: float
    title_len: float  # median anchor text length
    shape_share: float  # share of links with the block's most common URL shape
    dated_share: float  # share of links with a date beside them
    article_share: float  # share of links to article-like URLs (an id or a date in the path)
    offsite_share: float
    chrome: bool  # inside a nav, header, footer, pager, friendly-links … element


@dataclass(frozen=True)
class ListPage:
    url: str
    title: str
    links: tuple[Link, ...]  # the article links, in page order
    pages: tuple[str, ...]  # further pages of the same list, in order
    blocks: tuple[Block, ...]  # every candidate, best first


def parse(
    text: str, url: str, today: date | None = None, include: str | None = None, exclude: str | None = None
) -> ListPage:
    """The article links of a list page (best block), its further pages and every scored block."""
    try:
        root = lxml.html.document_fromstring(unwrap_records(text) or "<html></html>")
    except (etree.ParserError, ValueError):
        return ListPage(url, "", (), (), ())
    base = _base_url(root, url)
    today = today or date.today()
    anchors = _anchors(root, base)
    pages = pagination(root, base, url, anchors)
    blocks = sorted(_blocks(anchors, url, today, set(pages)), key=lambda b: -b.score)
    links = _select(blocks[0].links, include, exclude) if blocks and _is_list(blocks[0]) else ()
    title = _SPACE.sub(" ", root.findtext(".//title") or "").strip()
    return ListPage(url, title, links, tuple(pages), tuple(blocks))


def unwrap_records(text: str) -> str:
    """Hanweb (大汉) CMS pages ship their list as CDATA records in <script type="text/xml"> for a
    script to render; each such datastore becomes the markup it holds, so the list is seen."""
    if "<record" not in text:
        return text

    def records(m: re.Match) -> str:
        items = _RECORD.findall(m.group(0))
        return f'<div class="datastore">{"".join(items)}</div>' if items else m.group(0)

    return _DATASTORE.sub(records, text)


def _is_list(block: Block) -> bool:
    return len(block.links) >= MIN_LINKS and block.score >= MIN_SCORE


def _select(links: tuple[Link, ...], include: str | None, exclude: str | None) -> tuple[Link, ...]:
    inc = re.compile(include) if include else None
    exc = re.compile(exclude) if exclude else None
    return tuple(
        link for link in links if (inc is None or inc.search(link.url)) and (exc is None or not exc.search(link.url))
    )


def _base_url(root: lxml.html.HtmlElement, url: str) -> str:
    base = root.find(".//base[@href]")
    return urljoin(url, base.get("href")) if base is not None else url


def _clean_url(href: str, base: str) -> str | None:
    href = (href or "").strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return None
    url = urljoin(base, href)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))


def _text(el: etree._Element) -> str:
    return _SPACE.sub(" ", el.text_content()).strip()


# --- candidate blocks ---------------------------------------------------------------


def _anchors(root: lxml.html.HtmlElement, base: str) -> list[tuple[etree._Element, str]]:
    out = []
    for a in root.iter("a"):
        if any(anc.tag in _SKIP_TAGS for anc in a.iterancestors()):
            continue
        url = _clean_url(a.get("href", ""), base)
        if url:
            out.append((a, url))
    return out


def _linked_children(el: etree._Element, linked: set[etree._Element], cache: dict) -> int:
    if el not in cache:
        cache[el] = sum(1 for c in el if c in linked)
    return cache[el]


def _container(a: etree._Element, linked: set, cache: dict) -> tuple[etree._Element, etree._Element] | None:
    """The nearest ancestor with several children holding links (the list), and a's item in it."""
    child, parent = a, a.getparent()
    while parent is not None and parent.tag != "html":
        if _linked_children(parent, linked, cache) >= MIN_LINKS:
            return parent, child
        child, parent = parent, parent.getparent()
    return None


def _same_path_container(
    a: etree._Element, paths: set[str], memo: dict
) -> tuple[etree._Element, etree._Element] | None:
    child, parent = a, a.getparent()
    while parent is not None and parent.tag != "html":
        if _dom_path(parent, memo) in paths:
            return parent, child
        child, parent = parent, parent.getparent()
    return None


def _dom_path(el: etree._Element, memo: dict) -> str:
    """body/div.main/ul.list: tags and classes from the body down (memoised per parse)."""
    chain = []
    node = el
    while node is not None and node not in memo and node.tag != "html":
        chain.append(node)
        node = node.getparent()
    prefix = memo.get(node, "") if node is not None else ""
    for node in reversed(chain):  # iterative: a page nested a thousand deep must not recurse
        cls = ".".join(sorted((node.get("class") or "").split()))
        own = f"{node.tag}.{cls}" if cls else str(node.tag)
        prefix = memo[node] = f"{prefix}/{own}" if prefix else own
    return memo.get(el, "")


def _is_chrome(el: etree._Element) -> bool:
    for node in [el, *el.iterancestors()]:
        if node.tag in _CHROME_TAGS:
            return True
        marks = f"{node.get('class') or ''} {node.get('id') or ''}"
        if marks.strip() and _CHROME.search(marks):
            return True
    return False


def _blocks(anchors: list[tuple[etree._Element, str]], page_url: str, today: date, pages: set[str]) -> list[Block]:
    linked: set[etree._Element] = set()
    for a, _ in anchors:
        linked.add(a)
        linked.update(a.iterancestors())
    cache: dict = {}
    nearest = {a: _container(a, linked, cache) for a, _ in anchors}
    # A list printed in several <ul> may end with a short one: same DOM path, same block.
    memo: dict = {}
    paths = {_dom_path(found[0], memo) for found in nearest.values() if found}
    groups: dict[str, list[tuple[etree._Element, etree._Element, etree._Element, str]]] = {}
    for a, url in anchors:
        found = _same_path_container(a, paths, memo) or nearest[a]
        if found:
            container, item = found
            groups.setdefault(_dom_path(container, memo), []).append((container, item, a, url))
    return [_score(path, members, page_url, today, pages) for path, members in groups.items()]


def _score(path: str, members: list, page_url: str, today: date, pages: set[str]) -> Block:
    found: dict[str, Link] = {}
    for _container_el, item, a, url in members:
        text = _text(a) or (a.get("title") or "").strip()
        if url == page_url or url in pages or _PAGER_TEXT.match(text) or _MORE.match(text):
            continue
        # An item often links its picture and its title to one URL: keep the longer text.
        if url not in found or len(text) > len(found[url].text):
            listed = found[url].date if url in found else None
            found[url] = Link(url, text, listed or beside_date(item, a, today) or url_date(url))
    links = _drop_off_shape(list(found.values()))
    n = len(links)
    if not n:
        return Block(path, (), 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, False)
    title_len = median(_word_chars(link.text) for link in links)
    shapes = Counter(url_shape(link.url) for link in links)
    shape_share = shapes.most_common(1)[0][1] / n
    dated = sum(1 for m in members if beside_date(m[1], m[2], today)) / max(1, len(members))
    article = sum(1 for link in links if is_article_url(link.url)) / n
    offsite = sum(1 for link in links if _offsite(link.url, page_url)) / n
    chrome = _is_chrome(members[0][0])
    score = (
        math.log2(1 + n)
        * n**0.5
        * (0.25 + 0.75 * shape_share)
        * (1 + min(dated, 1.0))
        * min(title_len, TITLE_CHARS)
        / TITLE_CHARS
        * (0.15 + 0.85 * article)
        * (1 - 0.9 * offsite)
        * (0.2 if chrome else 1.0)
    )
    return Block(path, tuple(links), round(score, 3), title_len, shape_share, min(dated, 1.0), article, offsite, chrome)


def _word_chars(text: str) -> int:
    """Characters that make a title (CJK, letters): '12/01/2004 - 01' or '»' are no title."""
    return len(_WORD.findall(text))


def _drop_off_shape(links: list[Link]) -> list[Link]:
    """In a list of article links, a short link to a non-article URL is a category tag or a 'more' link."""
    if len(links) < MIN_LINKS:
        return links
    # Among titles, a link of a few letters is a counter or a label (跟贴714, 评论), not an article.
    titled = [link for link in links if _word_chars(link.text) >= 4]
    if len(titled) / len(links) >= 0.8:
        links = titled
    article = [link for link in links if is_article_url(link.url)]
    if len(article) / len(links) < 0.6:
        return links
    return [link for link in links if is_article_url(link.url) or len(link.text) >= 8]


# --- URL features -------------------------------------------------------------------


def url_shape(url: str) -> str:
    """The URL with digit runs folded: t20251120_123.html and t20251118_99.html share a shape."""
    parts = urlsplit(url)
    keys = ",".join(sorted(k for k, _ in parse_qsl(parts.query)))
    return f"{parts.netloc}{_DIGITS.sub('9', parts.path)}?{keys}"


def is_article_url(url: str) -> bool:
    """An id (3+ digits) or a date in the last path segment or the query; not a folder or index page."""
    parts = urlsplit(url)
    last = parts.path.rstrip("/").rsplit("/", 1)[-1] if not parts.path.endswith("/") else ""
    if last and not _INDEX_FILE.match(last) and (_ID_DIGITS.search(last) or len(last) > 24):
        page = _PAGE_FILE.match(last)
        return not (page and page.group("stem")) or len(page.group("n")) > 3
    return any(_ID_DIGITS.fullmatch(v) for k, v in parse_qsl(parts.query) if k.lower() not in _PAGE_PARAMS)


def _offsite(url: str, page_url: str) -> bool:
    return _domain(urlsplit(url).netloc) != _domain(urlsplit(page_url).netloc)


@functools.lru_cache(maxsize=4096)
def _domain(host: str) -> str:
    """The registered domain (jyj.example.gov.cn -> example.gov.cn), by courlan's public-suffix list."""
    return courlan.extract_domain(f"http://{host}/") or host


# --- dates --------------------------------------------------------------------------


def _valid(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def find_date(text: str, today: date) -> date | None:
    """A full date (2025-11-20, 2025年11月20日, 2025/11/20) or a month-day (11-20, [11-20]) in text.

    A month-day takes the year that puts it on or before tomorrow: lists show recent items.
    """
    if m := _FULL_DATE.search(text):
        return _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := _SHORT_DATE.search(text):
        month, day = int(m.group(1)), int(m.group(2))
        found = _valid(today.year, month, day)
        if found and found > today + timedelta(days=1):
            found = _valid(today.year - 1, month, day)
        return found
    return None


def beside_date(item: etree._Element, anchor: etree._Element, today: date) -> date | None:
    """The date printed in a list item outside its link's text (a title may hold a year)."""
    texts = []
    if item is anchor:  # links straight in their container: the date follows the link
        texts.append(anchor.tail or "")
        sib = anchor.getnext()
        if sib is not None and isinstance(sib.tag, str) and sib.tag != "a" and sib.find(".//a") is None:
            texts += [sib.text_content(), sib.tail or ""]
        return find_date(" ".join(texts), today)
    for node in item.iter():
        inside = node is anchor or anchor in node.iterancestors()
        if not inside and node.text and isinstance(node.tag, str):
            texts.append(node.text)
        if node is not item and node.tail and (node is anchor or not inside):
            texts.append(node.tail)
    return find_date(" ".join(texts), today) or _date_in_anchor(anchor, today)


def _date_in_anchor(anchor: etree._Element, today: date) -> date | None:
    """Some templates put the date inside the link, in its own element: <a><span>标题</span><i>11-20</i></a>."""
    for child in anchor.iterdescendants():
        text = child.text_content().strip() if isinstance(child.tag, str) else ""
        if text and len(text) <= 12 and (found := find_date(text, today)):
            return found
    return None


def url_date(url: str) -> date | None:
    """A date written in the URL (t20251120_123.html, /2025-11/20/, /20251120/)."""
    m = _URL_DATE.search(urlsplit(url).path)
    return _valid(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


# --- pagination ---------------------------------------------------------------------


def _page_number(url: str, page_url: str) -> int | None:
    """The page number of a URL that is another page of the list at page_url, else None."""
    a, b = urlsplit(url), urlsplit(page_url)
    if a.netloc != b.netloc:
        return None
    a_dir, a_file = a.path.rsplit("/", 1)
    b_dir, b_file = b.path.rsplit("/", 1)
    if m := _PAGE_SEGMENT.search(a.path):
        return int(m.group(1))
    # index_2.html, list-3.shtml beside index.html, list.shtml or the folder; a bare 800.shtml is an article.
    if a_dir == b_dir and (m := _PAGE_FILE.match(a_file)) and m.group("stem"):
        stem = _PAGE_FILE.match(b_file)
        own = {(stem.group("stem") if stem else b_file.split(".")[0]) or "index"}
        if m.group("stem") in (own if b_file else {"index", "list", "default"}):
            return int(m.group("n"))
    if a.path == b.path:
        for k, v in parse_qsl(a.query):
            if k.lower() in _PAGE_PARAMS and v.isdigit():
                return int(v)
    return None


def pagination(
    root: lxml.html.HtmlElement, base: str, page_url: str, anchors: list[tuple[etree._Element, str]]
) -> list[str]:
    """Further pages of this list, in order: from pager links, 下一页, or a TRS createPageHTML script."""
    numbered: dict[str, int] = {}
    own = _page_number(page_url, page_url) or 0
    for a, url in anchors:
        n = _page_number(url, page_url)
        text = _text(a)
        if n is None and urlsplit(url).netloc == urlsplit(page_url).netloc and not is_article_url(url):
            # A pager whose URLs say nothing: its links read 2, 3, … or 下一页.
            n = own + 1 if _NEXT_TEXT.match(text) else (int(text) - 1 if text.isdigit() and len(text) < 4 else None)
        if n is not None and url != page_url:
            numbered.setdefault(url, n)
    for script in root.iter("script"):
        if m := _TRS_PAGER.search(script.text or ""):
            count, current, name, ext = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
            for k in range(1, count):
                url = urljoin(base, f"{name}_{k}.{ext}")
                if k != current:
                    numbered.setdefault(url, k)
    return [u for u, n in sorted(numbered.items(), key=lambda kv: kv[1]) if n > own]
