"""HTML documents: main text and metadata through trafilatura.

The pipeline decodes bytes first (``newsdigest.decode`` knows the charset quirks of
Chinese sites), so this module only ever sees ``str``.  trafilatura gives the main
text (one paragraph a line) and htmldate's publication date; it finds no Chinese
author names, and leaves ``▲`` captions and link farms written inside ``<p>``, so
the same ``clean`` runs over its text afterwards.  Metadata lines of the page that
trafilatura dropped (``作者:… 来源:… 发布时间:…`` above the article) are parsed here
with the parsers of ``meta``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import date

import lxml.html
from lxml import etree

from newsdigest import meta as m
from newsdigest import title as t
from newsdigest.models import Meta

log = logging.getLogger("newsdigest.extract")

_TABLE_CELL = re.compile(r"^\|\s*([^|]*?)\s*\|$")
_BLOCK_TAGS = re.compile(r"(?i)<(?:br|/p|/div|/tr|/td|/li|/h\d|/table|p|div|tr|li|h\d)\b[^>]*>")
_TAG = re.compile(r"(?s)<!--.*?-->|<script\b.*?</script>|<style\b.*?</style>|<[^>]+>")
_ENTITY = re.compile(r"&(nbsp|ensp|emsp|amp|lt|gt|quot|#\d+);")
_ENTITIES = {"nbsp": " ", "ensp": " ", "emsp": " ", "amp": "&", "lt": "<", "gt": ">", "quot": '"'}
_SCAN_LINES = 400
_STAMP = re.compile(r"(?:19|20)\d\d\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?\s*\d{1,2}[:：]\d{2}")
# ASP pages in the en-US locale: ``9/17/2004 5:54:13 AM`` is month/day/year (the AM/PM says so).
_US_STAMP = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/((?:19|20)\d\d) \d{1,2}:\d{2}(?::\d{2})? ?[AP]M\b")
_ABOVE_BODY = 4  # lines above the article's first paragraph searched for its date
_SHOWN_ABOVE = 12  # lines above the first paragraph where the page shows the headline
_FIRST_LINES = 2  # lines of the extracted text that may be its headline
_SIGNED_END = 200  # characters at the end of the text where a commentary is signed
_LIST_GAP = 3  # stamps this close together, three or more, are a list of links (chapters, sidebar)
_ISSUE = re.compile(r"(?:^|》)\s*((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月(?:号|份)?$")
_FORUM = re.compile(
    r"^([^\s\[\]【】()（）]{2,20}) 发表于 ?(?:19|20)\d\d|本贴由(\S{2,20}?)于(?:19|20)\d\d|由(\S{2,20}?)张贴 ?@"
)
# ``… 发布时间 2005/05/17 22:11:42 by 眉间尺``: a poster after a date, never "Journals by Subject"
_BY = re.compile(
    r"(?:19|20)\d\d\D{1,3}\d{1,2}\D{1,3}\d{1,2}.{0,20}?\bby ([A-Za-z][\w.-]{2,19}|[\u4e00-\u9fff]{2,8})(?![\w.])"
)
_SPACED_NAME = re.compile(r"^[\u4e00-\u9fff](?:\s+[\u4e00-\u9fff]){1,2}$")  # ``赵  培``


# ---- bounded input: what reaches the parsers ----
# trafilatura takes ~27 bytes of memory per character of HTML (an 8 MB page: +77 MB, kept by
# the allocator afterwards). Script and style bodies and comments are none of the article:
# they are dropped first, in one linear pass; a page still longer is cut at the limit.
MAX_PAGE_CHARS = 1_000_000
_HEAVY = re.compile(r"<(script|style)\b|<!--", re.I)
_CLOSE = {"script": re.compile(r"</script\s*>", re.I), "style": re.compile(r"</style\s*>", re.I)}
_KEPT_SCRIPT = re.compile(r"ld\+json", re.I)  # structured data: titles, dates, authors


def without_heavy(html: str) -> str:
    """The page without script and style bodies and comments; JSON-LD scripts stay. Linear:
    each piece is searched for once, and an unclosed one takes the rest of the page (as
    browsers read it)."""
    parts, pos = [], 0
    while (hit := _HEAVY.search(html, pos)) is not None:
        parts.append(html[pos : hit.start()])
        if hit[1] is None:  # a comment
            end = html.find("-->", hit.end())
            pos = len(html) if end < 0 else end + 3
            continue
        opened = html.find(">", hit.end())
        close = _CLOSE[hit[1].lower()].search(html, opened) if opened >= 0 else None
        if close is None:
            return "".join(parts)
        if _KEPT_SCRIPT.search(html, hit.end(), opened):
            parts.append(html[hit.start() : close.end()])
        pos = close.end()
    parts.append(html[pos:])
    return "".join(parts)


def bounded_html(html: str, origin: str, limit: int | None = None) -> str:
    """The page as the parsers get it: without heavy parts when long, cut at ``limit``
    (``MAX_PAGE_CHARS``) characters, at a tag, when still too long, with one warning line."""
    limit = limit or MAX_PAGE_CHARS
    if len(html) <= limit:
        return html
    light = without_heavy(html)
    if len(light) <= limit:
        return light
    cut = light.rfind("<", 0, limit)
    kept = light[: cut if cut > limit // 2 else limit]
    log.warning(
        "%s: page cut to its first %s characters (%s without scripts, styles and comments; limit %s)",
        origin,
        f"{len(kept):,}",
        f"{len(light):,}",
        f"{limit:,}",
    )
    return kept


def html_to_text(html: str, url: str | None = None) -> tuple[str, Meta]:
    """Main text of a page (paragraphs separated by newlines) and the metadata found."""
    import trafilatura  # slow import; only HTML inputs pay for it
    from trafilatura.settings import set_date_params

    # htmldate without its extensive search: markup, meta tags and URL only, no guessing from
    # free text (copyright years, script comments, sidebar lists); the guess comes last below.
    doc = trafilatura.bare_extraction(
        html, url=url, include_comments=False, with_metadata=True, date_extraction_params=set_date_params(False)
    )
    text = doc.text or "" if doc else ""
    if _suspicious(text):  # nothing, or a layout table's every cell: take the densest block instead
        text = densest_text(html) or text
    text = _unwrap_tables(text)
    found = Meta(
        published=_iso(doc.date if doc else None, html),
        authors=_meta_authors(doc.author if doc else None),
    )
    # A labelled line on the page (发布时间:…) beats htmldate.
    lines = visible_lines(html)[:_SCAN_LINES]
    start = _body_start(lines, text)
    places = t.page_titles(html)
    headline, shown = _shown_above(lines, start, places.title)
    title = t.reconcile(places, [headline, *shown] if headline else shown, text.splitlines()[:_FIRST_LINES], headline)
    page, stamped, listed = _scan(lines, start)
    published = (
        page.published
        or _date_above(lines, start)
        or stamped
        or _unlisted(found.published, listed)
        or _issue_month(lines)
        or _unlisted(_guessed_date(html, lines), listed)
    )
    return text, Meta(
        title=title,
        published=published,
        source=page.source,
        authors=page.authors or _name_under_heading(text) or found.authors or m.signature(text[-_SIGNED_END:]),
        editor=page.editor,
    )


def _shown_above(lines: list[str], start: int | None, head_title: str) -> tuple[str | None, list[str]]:
    """The line right above the metadata lines nearest the article's first paragraph (where
    pages put the headline), and the lines above the paragraph without metadata lines,
    nearest first.  The page's own <title> (the head's text) is not shown."""
    top = max(0, (start or 0) - _SHOWN_ABOVE)
    if head_title in lines[: start or 0]:
        top = max(top, lines.index(head_title) + 1)
    above = list(reversed(lines[top : start or 0]))
    labelled = [i for i, line in enumerate(above) if m.LABEL.search(line) or _line_date(line)]
    headline = above[labelled[0] + 1] if labelled and labelled[0] + 1 < len(above) else None
    return headline, [line for line in above if not m.LABEL.search(line) and not _line_date(line)]


def _unlisted(day: date | None, listed: set[date | None]) -> date | None:
    """htmldate reads dates out of the text too: one that only a link list shows is not the article's."""
    return None if day in listed else day


def _suspicious(text: str) -> bool:
    """trafilatura found nothing, or mostly ``| cell |`` rows: an old table-layout page."""
    lines = text.splitlines()
    return not lines or 2 * sum(line.startswith("|") for line in lines) >= len(lines)


_BLOCKS = frozenset(
    "p div td th li article section blockquote body main dd pre center table tr tbody ul ol form".split()
)
_SKIP = ("script", "style", "noscript", "select", "textarea", "iframe", "button", "option", "head", "title")
_COMMENTS = re.compile(r"(?i)comment|reply|respond")
_PUNCT = re.compile(r"[，。！？；、,.!?;：:“”]")
_SENTENCE_MARK = re.compile(r"[，。；]")


def densest_text(html: str) -> str:
    """The text of the block holding the most sentence text (readability-style scoring).

    Every text run of 20+ characters with a comma or full stop, outside links, scores its
    punctuation and length to its block and half to the block above.  Blog and forum
    pages repeat one container per post: the first such post wins over a longer later one.
    """
    try:
        root = lxml.html.fromstring(html)
    except (etree.ParserError, ValueError):
        return ""
    etree.strip_elements(root, *_SKIP, etree.Comment, with_tail=False)
    for el in [e for e in root.iter() if isinstance(e.tag, str) and e.tag not in ("html", "body")]:
        if _COMMENTS.search(f"{el.get('class') or ''} {el.get('id') or ''}"):
            el.drop_tree()
    scores = _block_scores(root)
    if not scores:
        return ""
    best = _first_post(root, scores)
    lines = visible_lines(lxml.html.tostring(best, encoding="unicode"))
    if lines and _ANNOUNCES.search(lines[-1]) and (after := _next_block(best)) is not None:
        lines += visible_lines(lxml.html.tostring(after, encoding="unicode", with_tail=False))
    return "\n".join(lines)


# The article ends announcing what follows (``附：招生专业及考试科目``): a table of data with no
# sentences to score, in the block right after it.
_ANNOUNCES = re.compile(r"^附[件表录]?\s*[:：]|[:：]$")


def _next_block(el: etree._Element) -> etree._Element | None:
    """The block element right after ``el`` or after one of its closest ancestors."""
    for _ in range(_POST_DEPTH):
        after = el.getnext()
        if after is not None and after.tag in _BLOCKS and after.text_content().strip():
            return after
        el = el.getparent()
        if el is None or el.tag in ("html", "body"):
            break
    return None


def _block_scores(root: etree._Element) -> dict[etree._Element, float]:
    scores: dict[etree._Element, float] = {}
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for run, owner in ((el.text, el), (el.tail, el.getparent())):
            run = "".join((run or "").split())
            if owner is None or len(run) < 20 or not _SENTENCE_MARK.search(run) or _in_link(owner):
                continue
            score = 1 + len(_PUNCT.findall(run)) + min(len(run) / 100, 3)
            for rank, block in enumerate(_block_parents(owner)):
                scores[block] = scores.get(block, 0) + score / (1 + rank)
    return scores


def _block_parents(el: etree._Element) -> list[etree._Element]:
    found: list[etree._Element] = []
    while el is not None and len(found) < 2:
        if el.tag in _BLOCKS:
            found.append(el)
        el = el.getparent()
    return found


def _in_link(el: etree._Element) -> bool:
    return any(a.tag == "a" for a in el.iterancestors()) or el.tag == "a"


def _first_post(root: etree._Element, scores: dict[etree._Element, float]) -> etree._Element:
    """The best block, or the first of the same repeated post container (tag and class):
    the best block's own class, or a classed container around it repeated for other posts."""
    best = max(scores, key=scores.__getitem__)
    for rank, el in enumerate((best, *best.iterancestors())):
        if rank > _POST_DEPTH or el.tag in ("html", "body"):
            break
        same = _same_class(root, el, scores) if el.get("class") else []
        if len(same) >= 2:
            return same[0]
    return best


_POST_DEPTH = 4  # how far above the best block a repeated post container is looked for


def _same_class(root: etree._Element, el: etree._Element, scores: dict[etree._Element, float]) -> list[etree._Element]:
    return [e for e in root.iter(el.tag) if e.get("class") == el.get("class") and scores.get(e, 0) >= 5]


def _scan(lines: list[str], start: int | None = None) -> tuple[Meta, date | None, set[date | None]]:
    """Labelled metadata lines, the first short line with a date and a time (a post's stamp),
    and the dates of stamped link lists.

    Stamps after the article's first line (``start``) that belong to a list of stamped lines
    are link lists (chapters, a sidebar's recent posts), never the article's own stamp.
    """
    found = Meta()
    stamps = [i for i, line in enumerate(lines) if len(line) <= 80 and _stamp_date(line)]
    listed = {i for i in _listed(stamps) if start is not None and i > start}
    stamped = next((_stamp_date(lines[i]) for i in stamps if i not in listed), None)
    listed_dates = {_stamp_date(lines[i]) for i in listed}
    for line in lines:
        if len(line) > 150:
            continue
        fields = m.parse_fields(line.strip("【】[]| "))
        if fields is not None and not line.endswith("。"):
            found = m.merge(found, replace_authors(found, fields))
        names = m.parse_byline(line) if fields is None else ()
        names = names or _forum_author(line)
        if names and not found.authors:
            found = replace(found, authors=names)
    return found, stamped, listed_dates


def _stamp_date(line: str) -> date | None:
    if hit := _STAMP.search(line):
        return m.parse_date(hit.group(0))
    if hit := _US_STAMP.search(line):
        return _day(int(hit.group(3)), int(hit.group(1)), int(hit.group(2)))
    return None


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _listed(stamps: list[int]) -> set[int]:
    """Stamped line numbers in chains of three or more, each within ``_LIST_GAP`` of the next."""
    out: set[int] = set()
    chain: list[int] = []
    for i in stamps:
        if chain and i - chain[-1] > _LIST_GAP:
            out.update(chain if len(chain) >= 3 else ())
            chain = []
        chain.append(i)
    out.update(chain if len(chain) >= 3 else ())
    return out


def _body_start(lines: list[str], text: str) -> int | None:
    """The page line where the article's first paragraph (20+ characters, a comma or stop:
    never the title) begins."""
    first = next((p for p in text.splitlines() if len(p) >= 20 and _SENTENCE_MARK.search(p)), "")
    key = "".join(first.split())[:12]
    if not key:
        return None
    return next((i for i, line in enumerate(lines) if key in "".join(line.split())), None)


def _date_above(lines: list[str], start: int | None) -> date | None:
    """The nearest date line just above the article's first paragraph: the date it was
    published, where dates further away belong to the site header or a sidebar."""
    for line in reversed(lines[max(0, (start or 0) - _ABOVE_BODY) : start or 0]):
        if day := _line_date(line):
            return day
    return None


def _line_date(line: str) -> date | None:
    """The date of a line that is mostly a date: ``2003年5月``, ``2006年12月27日（京港台时间）``, a stamp."""
    if len(line) <= 80 and (day := _stamp_date(line)):
        return day
    hit = m.DATE.search(line) if len(line) <= 40 else None
    if hit and len(line) - len(hit.group(0)) <= 16:
        return m.parse_date(hit.group(0))
    if len(line) <= 40 and (month := _ISSUE.search(line)) and 1 <= int(month.group(2)) <= 12:
        return date(int(month.group(1)), int(month.group(2)), 1)
    return None


def _name_under_heading(text: str) -> tuple[str, ...]:
    """``犬儒病(上) / 胡平 / ——当代中国的精神危机``: a name (or names: ``赵延东、风笑天``) right
    under the article's heading."""
    lines = [line.strip() for line in text.splitlines()[:2]]
    heading_like = len(lines) == 2 and 2 <= len(lines[0]) <= 40 and not lines[0].endswith(("。", "！", "？"))
    words = _NAME_LIST.split(lines[1]) if heading_like else []
    return tuple(words) if words and len(words) <= _MOST_UNDER and all(m.is_name(w) for w in words) else ()


_NAME_LIST = re.compile(r"\s*[、，,]\s*|\s+")
_MOST_UNDER = 4  # names in a credit line under a heading


def _meta_authors(value: str | None) -> tuple[str, ...]:
    """``<meta name=author>`` as trafilatura reads it: real names only, never the site or software."""
    first = (value or "").split(";")[0].strip()
    if _SPACED_NAME.match(first):
        first = "".join(first.split())
    return m.names_in(first, strict=True)


def _issue_month(lines: list[str]) -> date | None:
    """A magazine issue (``——《北京之春》1998年3月号``) or a bare ``1998年3月`` line: its month."""
    for line in lines:
        if len(line) <= 40 and (hit := _ISSUE.search(line)) and 1 <= int(hit.group(2)) <= 12:
            return date(int(hit.group(1)), int(hit.group(2)), 1)
    return None


def _guessed_date(html: str, lines: list[str]) -> date | None:
    """htmldate's extensive guess, kept only when the page shows that day in its text."""
    import htmldate

    day = m.parse_date(htmldate.find_date(html, extensive_search=True, original_date=True) or "")
    shown = day and any(day.strftime(f) in line for line in lines for f in ("%Y-%m-%d", "%Y年%m月%d日", "%Y/%m/%d"))
    return day if shown else None


def _forum_author(line: str) -> tuple[str, ...]:
    """Forum and blog posts: ``ggjjzhzz 发表于 2005-9-15``, ``本贴由大卫于2005年…发表``, ``by duscha``."""
    hit = _FORUM.search(line) or _BY.search(line)
    return (next(g for g in hit.groups() if g),) if hit else ()


def replace_authors(found: Meta, fields: Meta) -> Meta:
    """Keep the first metadata line's authors: later ones are comments or related articles."""
    return Meta(
        published=fields.published,
        source=fields.source,
        editor=fields.editor,
        authors=() if found.authors else fields.authors,
    )


def visible_lines(html: str) -> list[str]:
    """The page's text, one line per block element, tags and scripts dropped."""
    body = _TAG.sub("", _BLOCK_TAGS.sub("\n", html))
    body = _ENTITY.sub(lambda e: _ENTITIES.get(e.group(1)) or chr(int(e.group(1)[1:])), body)
    return [" ".join(line.split()) for line in body.splitlines() if line.strip()]


def _unwrap_tables(text: str) -> str:
    """Layout tables come out as ``| cell |`` lines: a one-cell row is just a paragraph."""
    return "\n".join(mt.group(1) if (mt := _TABLE_CELL.match(line)) else line for line in text.splitlines())


def _iso(value: str | None, html: str) -> date | None:
    """htmldate's date; its 1 January is a bare year (a copyright line), unless the page says so."""
    day = m.parse_date(value) if value else None
    if (
        day
        and (day.month, day.day) == (1, 1)
        and not re.search(rf"{day.year}\s*[-/.年]\s*0?1\s*[-/.月]\s*0?1(?!\d)", html)
    ):
        return None
    return day
