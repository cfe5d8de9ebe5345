"""An HTML article's title, reconciled from what the page says in several places.

A page names its article in ``<title>`` (mostly with the site and channel after it:
``…_央广网``, ``… - 要闻云南 - 云南日报网``), in ``og:title`` and other meta tags (sometimes cut
at a quote mark), in ``<h1>`` (sometimes the site's logo, or a sidebar's heading) and in the
lines shown right above the article's first paragraph.  No single place is right on every
site; where two places agree, the title is what they agree on:

1. a candidate (an ``<h1>``, a meta title, the line above the date/source line, the text's
   first lines, the other lines shown above the body) that ``<title>`` contains, or that
   extends a ``<title>`` cut short, is supported; the longest supported candidate wins (or
   ``<title>``'s headline when that place cut it short by a few characters);
2. otherwise ``<title>`` without its site and channel segments, when a segment came off or
   it is long enough for a headline;
3. otherwise the first plausible candidate in that order of trust;
4. a page naming nothing (no ``<title>``, ``<h1>`` or meta title): the line above its date
   or source line, or right above the body; else the text's own header decides.

Prompts (login, mail), sidebar and list headings (rankings, "more news"), list items
(``一、…``), bylines, metadata lines, subtitles (``——…``), menus and breadcrumbs, an
organisation credited under the title, and the site's or a channel's name are never titles.
Measured on the 113 gold pages with a headline (``make eval``): 62 right before, 108 after.
"""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass

from newsdigest.clean import SIDEBAR_HEAD
from newsdigest.meta import LABEL, is_name, parse_byline

_HEAD = 30_000  # characters of the page where <title> and meta tags are looked for
_TAG = re.compile(r"(?s)<[^>]+>")
_TITLE_TAG = re.compile(r"(?is)<title[^>]*>(.*?)</title>")
_H1 = re.compile(r"(?is)<h1\b[^>]*>(.*?)</h1>")
_META = re.compile(r"(?is)<meta\b[^>]*>")
_ATTR = re.compile(r"""(?is)\b(name|property|itemprop|content)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_META_NAMES = frozenset(["og:title", "twitter:title", "title", "headline", "articletitle", "contenttitle"])

# Separators between the headline and the site or channel in <title>: ``_``, ``|``, `` - ``,
# ``--``, ``»``, ``::``; an ASCII hyphen only between non-alphanumerics (``1-10月`` stays).
_SEPARATOR = re.compile(r"\s*(?:_+|[|｜│]|--+|[»>＞]|::|(?<![0-9A-Za-z])-(?![0-9A-Za-z])|\s-\s|\s[–—－]\s|－)\s*")
_SITE_WORDS = ("网", "网站", "官网", "门户", "频道", "报", "新闻", "在线", "社区", "论坛", "博客", "百科", "客户端")
_SITE_WORDS += ("中心", "资讯", "头条", "周刊", "杂志", "电视台", "电台", "政府", "平台")
_SITE = re.compile(
    rf"(?:{'|'.join(_SITE_WORDS)})$|(?:{'|'.join(_SITE_WORDS)})[(（][^)）]*[)）]$|"
    r"\b[\w-]+\.(?:com|cn|net|org|gov|edu|tw|hk)\b|(?i:blog|news|online|powered)"
)
_GLUED_SITE = re.compile(r"-([\w.]+\.(?:com|cn|net|org)|[A-Za-z\s]{2,20})$", re.I)  # ``…ZoomEye-CSDN.NET``
_CHANNEL_LEN = 12  # a segment after the headline this short is a channel name (``商贸``, ``要闻云南``)
_SHORTEST = 4  # characters of the shortest title taken from a text line
_HEADLINE = 8  # a <title> with no site segment this long is a headline, even when not shown as text
_LONGEST = 80  # a longer line is a paragraph, not a title
_CUT_SHORT = 6  # characters a <title> cut short may miss at its end

# What is never a title: prompts, sidebar and list headings, list items.
_PROMPT = re.compile(
    r"(?:请|您|你)\S{0,8}(?:登录|登陆|注册|输入)|用户名|验证码|免费邮箱|忘记密码|立即注册|立刻注册|"
    r"^(?:谢谢|感谢|欢迎)\S{0,3}(?:访问|光临|来到)"
)
# A channel's name standing for the article's (``新闻动态--学会官网``).
_CHANNEL = re.compile(
    r"^(?:新闻|工作|图片|学术|综合|时政|本地|国内|国际|社会|政务|信息)?(?:动态|要闻|公告|通知|资讯|快讯)$"
)
_MARKUP = re.compile(r"[<>=]|https?://|\{|\}")
_LABELLED = re.compile(r"^(?:主题|标题|题目|原标题)\s*[:：]\s*")
# Text lines that are no headline: list items, subtitles (``——…``), menus and breadcrumbs.
_NOT_LINE = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|\d{1,2}[、．](?!\d)|[(（]\S{1,3}[)）]|[—–]+)|(?:[|｜│].*){2}|(?:[>＞»].*){2}"
)
# An organisation credited under the title (``…儿童心理调研课题组``) is no headline.
_ORGANISATION = re.compile(r"(?:课题组|委员会|办公室|研究院|研究所|研究中心|编辑部|工作组|领导小组)$")
_TEXT_LINE = re.compile(r"[\u4e00-\u9fff]{2}")  # a headline in the text is written in Chinese
_PAGE_NUMBER = re.compile(r"\s*[(（](?:页\s*\d+|第\s*\d+\s*页)[)）]$")  # ``(页 1)``: page 1 of a long article
_PRIVATE_USE = re.compile(r"[\ue000-\uf8ff]+")
_BARS = re.compile(r"^(?:[\s|｜│]|-(?=\s))+|[\s|｜│]+$")
_ELLIPSIS = re.compile(r"(?:\.{2,}|…+)$")
_SQUEEZE = re.compile(r"[\s\W_]+")
_SENTENCE_END = re.compile(r"。|[；;，,、：:]$|[，,].*[，,]")


@dataclass(frozen=True)
class PageTitles:
    """What an HTML page says its title is, place by place."""

    title: str = ""  # <title>
    meta: tuple[str, ...] = ()  # og:title, twitter:title, name=title, …
    h1: tuple[str, ...] = ()


def page_titles(html: str) -> PageTitles:
    """The page's <title>, meta titles and <h1>s (regexes over the markup: no second parse)."""
    head = html[:_HEAD]
    title = _TITLE_TAG.search(head)
    metas = []
    for tag in _META.findall(head):
        attrs = {k.lower(): a or b or c for k, a, b, c in _ATTR.findall(tag)}
        if (attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or "").lower() in _META_NAMES:
            metas.append(_text(attrs.get("content", "")))
    return PageTitles(
        title=_text(title.group(1)) if title else "",
        meta=tuple(t for t in metas if t),
        h1=tuple(t for t in (_text(h) for h in _H1.findall(html)) if t),
    )


def _text(fragment: str) -> str:
    return " ".join(htmllib.unescape(_TAG.sub(" ", fragment)).split())


def squeeze(text: str | None) -> str:
    """A title's letters only: how two places are compared."""
    return _SQUEEZE.sub("", text or "").lower()


def reconcile(page: PageTitles, shown: list[str], first_lines: list[str], headline: str | None = None) -> str | None:
    """The article's title from the page's places, the lines shown above its body (the one
    above the metadata line first, then nearest first; never the <title> itself), its text's
    first lines (rules: module docstring) and ``headline``, the line above the metadata line."""
    if not (page.title or page.h1 or page.meta):
        # The page names nothing: the line above the date or source line, or right above the
        # body; else the text's own header.
        line = _tidy(headline or next(iter(shown), ""))
        return line if _plausible(line, _SHORTEST) and _TEXT_LINE.search(line) and not _NOT_LINE.search(line) else None
    full, stripped = squeeze(page.title), _tidy(strip_site(page.title))
    cut = squeeze(stripped) != full  # a site or channel segment came off <title>
    # A place equal to a site or channel segment of <title>, or to all of it, names the site.
    sites = {squeeze(s) for s in site_segments(page.title)} | ({full} if cut or len(full) < _HEADLINE else set())
    trusted = [_tidy(c) for c in (*page.h1, *page.meta, *map(strip_site, page.meta))]
    trusted = [c for c in trusted if _plausible(c) or squeeze(c) == squeeze(stripped) != full]
    lines = [_tidy(c) for c in (*shown[:1], *first_lines, *shown[1:])]
    lines = [c for c in lines if _plausible(c, _SHORTEST) and _TEXT_LINE.search(c) and not _NOT_LINE.search(c)]
    lines = [c for c in lines if not parse_byline(c) and not LABEL.search(c)]  # bylines, metadata lines
    if len(full) < _HEADLINE:
        lines = [c for c in lines if squeeze(c) != full]
    trusted = [c for c in trusted if squeeze(c) not in sites]
    lines = [c for c in lines if squeeze(c) not in sites - {full}]
    core = squeeze(_ELLIPSIS.sub("", stripped))
    supported = [c for c in (*trusted, *lines) if _supported(squeeze(c), full, core)]
    if supported:
        best = max(supported, key=lambda c: len(squeeze(c)))
        longer = core.startswith(squeeze(best)) and len(core) - len(squeeze(best)) <= _CUT_SHORT
        return stripped if longer and _plausible(stripped) else best  # the place cut the headline short
    if _plausible(stripped, _SHORTEST if cut else _HEADLINE):
        return stripped  # a site segment came off, or <title> is long enough for a headline
    fallback = next(iter((*trusted, *lines)), None)
    return fallback or (stripped if _plausible(stripped, _SHORTEST) else None)


def _tidy(text: str) -> str:
    text = _PRIVATE_USE.sub("", htmllib.unescape(text))  # GBK pages' user-defined characters
    text = _PAGE_NUMBER.sub("", text)
    return _LABELLED.sub("", _BARS.sub("", text)).strip()


def _plausible(text: str, shortest: int = 2) -> bool:
    return (
        len(squeeze(text)) >= shortest
        and len(text) <= _LONGEST
        and not _PROMPT.search(text)
        and not SIDEBAR_HEAD.search(text)
        and not _CHANNEL.match(text)
        and not _MARKUP.search(text)
        and not _site_like(text)
        and not is_sentence(text)
        and not is_name(text)  # a blog's or author's name in <h1> (unless <title> says so: above)
        and not _ORGANISATION.search(text)
    )


def _supported(candidate: str, full: str, core: str) -> bool:
    """``<title>`` holds the candidate, or its headline (``core``) is the candidate cut short."""
    if not candidate or not full:
        return False
    return candidate in full or (
        len(core) >= 2 * _SHORTEST and candidate.startswith(core) and len(candidate) - len(core) <= _CUT_SHORT
    )


def strip_site(title: str) -> str:
    """``<title>`` without the site and channel segments: the longest segment that is no site
    or channel name."""
    kept, _ = _segments(title)
    return max(kept, key=lambda s: len(squeeze(s))).strip() if kept else ""


def site_segments(title: str) -> list[str]:
    """The segments of ``<title>`` that name the site or a channel."""
    return _segments(title)[1]


def _segments(title: str) -> tuple[list[str], list[str]]:
    segments = [s for s in _SEPARATOR.split(title) if s.strip()]
    if len(segments) <= 1:
        return [title.strip()] if title.strip() else [], []
    if glued := _GLUED_SITE.search(segments[-1]):
        segments[-1:] = [segments[-1][: glued.start()], glued.group(1)]
    chinese = any(_TEXT_LINE.search(s) for s in segments)
    kept, dropped = [], []
    for i, segment in enumerate(segments):
        site = _site_like(segment) or _CHANNEL.match(segment.strip()) or (chinese and not _TEXT_LINE.search(segment))
        # A short segment after the first names a channel or a blog (``_商贸``, ``--洞庭一叶``).
        (dropped if site or (i and len(squeeze(segment)) <= _CHANNEL_LEN) else kept).append(segment)
    return kept, dropped


def _site_like(segment: str) -> bool:
    text = segment.strip()
    return len(text) <= 20 and bool(_SITE.search(text))


def is_sentence(text: str) -> bool:
    """A line that reads as prose (ends a sentence, or runs clause after clause): no title."""
    return bool(_SENTENCE_END.search(text))
