"""Text cleaning: strip link-farm spam, site chrome, captions, metadata lines, repeats;
repair paragraphs broken by print layout.

Every line is classified once by shape (never by listing known spam strings), the
metadata lines feed ``Cleaned.meta``, broken lines are joined again, and repeated
sentences are dropped through a shingle index (linear in the text, not quadratic
over paragraphs).  The whole pass runs to a fixpoint so cleaning is idempotent.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace

from newsdigest import meta as m
from newsdigest.models import Cleaned, Meta, Removed
from newsdigest.models import RemovedKind as K

TEXT, BYLINE = "", K.BYLINE  # block kinds that stay in the text (a byline only on print pages)
_SENT_END = "。！？!?…”」』）)】"
_CLAUSE_PUNCT = re.compile(r"[,，、;；:：]")
_SENT_PUNCT = re.compile(r"[。！？!?]")
# A section subhead: two short phrases split by one comma or space (``资源整合,打破…边界``).
_SUBHEAD = re.compile(r"^[^,，、;；:：。！？\s]{2,8}[,， ][^,，、;；:：。！？\s]{2,16}$")
_WS = re.compile(r"[ \t\u00a0\u2002\u2003\u3000\ufeff\u200b]+")


def _any(*tokens: str) -> str:
    """One regex alternation of tokens (regex fragments, each listed once)."""
    return "|".join(tokens)


# --- spam: short query-like cells separated by bars, glued to domains, or headed lists ---
_CELL_SEP = re.compile(r"\s*[|｜丨¦]\s*|\s+[/-]\s+|\s{2,}|\u3000+")
_QUESTION_WORDS = ("什么", "怎么", "为什么", "为啥", "咋办", "吗$", "意思", "原因", "哪里", "哪个", "哪些")
_QUESTION_WORDS += ("多少钱", "是谁", "好不好", "能不能")  # search-query cells of content farms
_FORTUNE = ("属相", "生肖", "星座")
_GAMBLING = ("彩票", "时时彩", "开奖结果", "六合彩", "娱乐城", "博彩", "赌场", "棋牌")
_ADULT = ("成人", "无码", "毛片", "黄片", "[Aa][Vv](?:在线|片)", "一区", "二区", "在线观看")
_DOWNLOADS = ("官方版", "下载安装", "免费下载", "资料下载")
_DOMAIN = r"[a-z0-9][a-z0-9-]*\.(?:com|cn|net|org|cc|top|xyz|info|vip|me|tv|site|shop|club|wang)\b|https?://"
_SPAMMY = re.compile(_any(*_QUESTION_WORDS, *_FORTUNE, *_GAMBLING, "开奖", *_ADULT, *_DOWNLOADS, _DOMAIN), re.I)
_NUMERIC = re.compile(r"^[\d.,%％+\-~～:/年月日万亿元个人次]+$")
# A gambling or download term glued before the real line (``时时彩开奖 正文…``).
_INJECTED = re.compile(rf"^\S{{0,12}}(?:{_any(*_GAMBLING, *_DOWNLOADS[:2])})\S{{0,12}}\s+(?=\S)")
# Headings of lists that are site furniture (related links, rankings) and of search-tag lists.
_CHROME_LIST_HEADS = ("相关阅读", "相关新闻", "相关报道", "相关链接", "相关文章", "推荐阅读", "延伸阅读")
_CHROME_LIST_HEADS += ("精彩推荐", "热点推荐", "热门文章", "点击排行", "阅读排行")
_SPAM_LIST_HEADS = ("相关搜索", "热门搜索", "热搜", "热门推荐", "相关推荐", "猜你喜欢", "热门标签", "相关标签", "标签")
_SPAM_LIST_HEADS += ("友情链接",)
_LIST_HEAD = re.compile(rf"^[【\[]?({_any(*_SPAM_LIST_HEADS, *_CHROME_LIST_HEADS)})[】\]]?\s*[:：]?")
_LIST_CHROME = frozenset(_CHROME_LIST_HEADS)
_LIST_LEN = 30  # lines under a list heading taken as its items
_ITEM_LEN, _BULLET_ITEM_LEN = 40, 80  # longest list item; a bulleted one (``·…``) may be longer

# --- chrome: breadcrumbs, share bars, print/close, prev/next, copyright, counters, font bars ---
_HERE = ("当前位置", "您的位置", "你的位置", "您现在的位置", "现在的位置", "所在位置", "當前位置", "您當前的位置")
_CRUMB_ARROW = r"(?:>>|>|»|›|＞|→|/)"
_CRUMB = re.compile(rf"^(?:{_any(*_HERE)})\s*[:：]?|^首[页頁]\s*{_CRUMB_ARROW}")
_CRUMB_SEP = re.compile(rf"\s*{_CRUMB_ARROW}\s*")
_PAGING = ("上一篇", "下一篇", "上一条", "下一条", "上一页", "下一页", "返回列表", "返回首页", "返回顶部")
_SHARE = (r"(?:分享到|分享至|分享)\s*[:：]", "扫一扫", "扫描二维码", "用手机扫描", "手机扫码")
_PAGE_TOOLS = ("打印本页", "打印此文", "打印文章", "关闭窗口", "关闭本页", "收藏本页", "加入收藏", "我要纠错", "纠错")
_SITE_FOOTER = ("主办单位", "承办单位", "技术支持", "网站地图", "联系我们", "关于我们", "免责声明")
_COPYRIGHT = ("Copyright", "版权所有", "©", "ⓒ")
_CHROME = re.compile(
    rf"^(?:{_any(*_PAGING)}|{_any(*_SHARE)}|【?\s*(?:{_any(*_PAGE_TOOLS)})|【?\s*字体\s*[:：]?|字号\s*[:：]|"
    rf"{_any(*_COPYRIGHT, *_SITE_FOOTER)}|[(（]?完[)）]$|[·•]\S{{1,8}}[·•]$)",
    re.I,
)
# Anywhere in a short line: registration numbers, tool links, counters.
_REGISTRATION = ("ICP备", "ICP证", "公网安备")
_TOOL_LINKS = ("【打印", "【关闭", "【纠错】", "在手机打开", r"\s大\s+中\s+小\b", "关注新华网")
_CHROME_ANY = re.compile(
    _any(*_REGISTRATION, "版权所有", r"Copyright\s*©", *_TOOL_LINKS, r"(?:浏览|阅读|点击|被阅)(?:次数|量|数)\s*[:：]")
)
_COUNTER_ONLY = re.compile(rf"^(?:(?:{_any(*m.COUNTER_LABELS)})[:：]\s*\S*\s*)+$")

# --- sidebars: rankings, teaser and gallery lists; contact footers and disclaimers ---
_RANKINGS = ("排行", "排行榜", "排名", "点击榜", "人气榜", "热榜")
_LIST_WORDS = ("新闻", "文章", "阅读", "推荐", "图片", "视频", "专题", "报道", "链接", "资讯", "博文", "评论")
_LIST_STARTS = ("更多", "相关", "热门", "热点", "推荐", "精彩", "最新", "最热", "今日", "本周", "图片", "视频")
# A sidebar's heading: ``48小时点击排行``, ``十大人气排行``, ``更多关于 … 的新闻``, ``最新文章``.
SIDEBAR_HEAD = re.compile(
    rf"^\S{{1,10}}(?:{_any(*_RANKINGS)})$|^更多关于.{{1,40}}的(?:{_any(*_LIST_WORDS)})$|^(?:网站)?导航$|统计$|"
    rf"^(?:{_any(*_LIST_STARTS)})\S{{0,8}}(?:{_any(*_LIST_WORDS, *_RANKINGS)})$"
)
_SIDEBAR_HEAD_LEN = 50  # a heading is short (``更多关于…的新闻`` names a topic)
# An item ending in a date (and time): ``05-17``, ``(2024-05-17)``, ``05-17 10:30``, ``5月17日``;
# a time alone is an agenda's, not a list's.
_STAMPED_ITEM = re.compile(
    r"(?:(?:19|20)\d\d[-/.年])?(?:\d{1,2}[-/.]\d{1,2}|\d{1,2}月\d{1,2}日?)(?:\s*\d{1,2}[:：]\d{2})?[)）\]】]?$"
)
_CONTACTS = ("电话", "联系电话", "热线", "传真", "邮编", "地址", "邮箱", "E-?mail", "QQ", "微信")
_CONTACT = re.compile(rf"(?:{_any(*_CONTACTS)})\s*[:：]", re.I)  # two in a short line: a footer
_DISCLAIMER = re.compile(
    r"^(?:免责声明|特别声明|版权声明|声明)\s*[:：]|不代表本(?:网|站|平台)(?:的)?(?:观点|立场)|"
    r"版权归原作者|如有侵权|转载请注明|未经(?:本网|本站)?(?:书面)?(?:授权|许可)(?:不得|禁止)"
)
_FOOTER_LINE = 150  # a footer or disclaimer line; longer ones are prose
_TEASERS = 3  # short lines after the last sentence from which they are a teaser list
_MOST_TEASERS = 10  # a longer run of short lines is a data table or an appendix, kept
_DATA_ROW = re.compile(r"[:：]\s*[\d\w]")  # ``最大功率：51Kw``: a table row, not a headline
_CLAUSE_OR_SENTENCE = re.compile(r"[，,。；;！？!?]")

# --- line lengths (characters) that separate furniture from prose ---
_TITLE_LEN = 60  # longest title (and captioned photo credit line) seen on real pages
_META_LINE = 150  # longest metadata or caption line; longer ones are prose quoting a label
_CHROME_LINE = 100  # a breadcrumb or tool line is short; prose starting with 首页> is not chrome
_CHROME_ANY_LINE = 80  # a footer line holding ICP/copyright text anywhere
_CELL_LEN = 40  # a link-farm cell is a search query, never a paragraph
_KEYWORD_CELLS = 8  # cells in a line for a keyword list (fewer: a short enumeration)
_MENU_CELLS, _MENU_ITEM = 6, 6  # a navigation bar: six or more items of at most six characters
_CHANNEL_NAME = 12  # a channel name repeated from the breadcrumb
_CAPTION_FRAGMENT = 30  # a broken caption's leftover sentence
_HEADER_LINES = 3  # title and up to two subtitles above the first metadata line
_CUT_LINE = 30  # a line this long without closing punctuation was cut by print layout
_HEADING_LEN = 25  # a short unpunctuated line is a heading, not a continuation

# --- captions ---
_CAPTION = re.compile(
    r"^(?:[▲△▼■◆]|图为|图片为|上图|下图|左图|右图|图\d+[:：\s]|[(（]?(?:图片来源|图片由|供图|摄影[:：]))"
)
_CAPTION_TAIL = re.compile(r"[(（](?:\S{0,12}\s)?\S{2,8}\s?摄[)）]$")

# --- duplicates ---
_SENTENCE = re.compile(r"[^。！？!?；;]+[。！？!?；;]*[”’」』)）]?")
_NORM = re.compile(r"[\W_]+")
_FILLER = re.compile(r"^(?:据了解|据悉|据介绍|此外|同时|另外|其中|为了|为)")
_SHINGLE = 4  # characters per shingle: short enough to see a sentence reworded in places
_SHORTEST_REPEAT = 12  # normalised characters below which a sentence is too generic to call a repeat
_REPEAT_SHARE = 0.7  # share of a sentence's shingles seen in one earlier sentence: a repeat
_SHORTEST_CLAUSE = 8  # a clause repeated back to back is a scraper's stutter from this length on


@dataclass
class _Block:
    text: str
    kind: str = TEXT  # TEXT, or a RemovedKind
    removed: list[Removed] = field(default_factory=list)  # taken out of a kept block (spam cells, credits)


def clean(text: str) -> Cleaned:
    """Clean one document's text into paragraphs, recording every removed block."""
    result = _clean_once(text)
    for _ in range(3):  # joins and removals can expose new ones once; stop at the fixpoint
        again = _clean_once("\n".join(result.paragraphs))
        if again.paragraphs == result.paragraphs:
            break
        result = Cleaned(again.paragraphs, result.removed + again.removed, m.merge(result.meta, again.meta))
    return result


def _clean_once(text: str) -> Cleaned:
    lines = [line for line in (_WS.sub(" ", raw).strip() for raw in text.splitlines()) if line]
    blocks = [_Block(line) for line in lines]
    found = Meta()
    found = _classify(blocks, found)
    _channel_names(blocks)
    _stamped_lists(blocks)
    _caption_fragments(blocks)
    multi = _print_page(blocks)
    found = _bylines(blocks, found, multi)
    found = _credits(blocks, found)
    _trailing_teasers(blocks)
    header = [] if multi else _header(blocks)
    if header:
        found = replace(found, title=header[0].text)
        for sub in header[1:]:
            sub.kind = K.SUBTITLE
    paragraphs = _join(blocks, {id(b) for b in header})
    removed = [Removed(b.kind, b.text) for b in blocks if b.kind not in (TEXT, BYLINE)]
    removed += [r for b in blocks for r in b.removed]
    paragraphs, dups = _dedupe(paragraphs)
    return Cleaned(tuple(paragraphs), tuple(removed + dups), found)


def _note(block: _Block, kind: K, text: str) -> None:
    block.removed.append(Removed(kind, text))


# --- classification --------------------------------------------------------------------


def _classify(blocks: list[_Block], found: Meta) -> Meta:
    list_kind, list_left = "", 0
    for block in blocks:
        line = block.text
        if (
            list_left
            and len(line) <= (_BULLET_ITEM_LEN if line.startswith(("·", "•")) else _ITEM_LEN)
            and not line.endswith(tuple("。！？!?"))
        ):
            block.kind, list_left = list_kind, list_left - 1
            continue
        list_left = 0
        if head := _LIST_HEAD.match(line):
            list_kind = K.CHROME if head.group(1) in _LIST_CHROME else K.SPAM
            block.kind, list_left = list_kind, _LIST_LEN
            continue
        if len(line) <= _SIDEBAR_HEAD_LEN and SIDEBAR_HEAD.search(line):
            list_kind = block.kind = K.SIDEBAR
            list_left = _LIST_LEN
            continue
        kind, fields = _line_kind(line)
        if fields is not None:
            found = m.merge(found, fields)
        if kind:
            block.kind = kind
        else:
            _strip_spam(block)
    return found


def _stamped_lists(blocks: list[_Block]) -> None:
    """Two or more short lines in a row that end in a date or a time (a sidebar's gallery or
    latest-news list: ``女子街头救人 05-17 10:30``) are a sidebar, not the article."""
    run: list[_Block] = []
    for block in [*blocks, _Block("")]:
        if block.kind == TEXT and len(block.text) <= _ITEM_LEN and _STAMPED_ITEM.search(block.text):
            run.append(block)
            continue
        for item in run if len(run) >= 2 else ():
            item.kind = K.SIDEBAR
        run = []


def _trailing_teasers(blocks: list[_Block]) -> None:
    """Three or more short headline-like lines after the article's last sentence (teasers,
    a hospital's ad headlines, channel tabs) are a sidebar the extractor kept."""
    kept = [b for b in blocks if b.kind == TEXT]
    last = max((i for i, b in enumerate(kept) if _SENT_PUNCT.search(b.text[-1:])), default=None)
    tail = kept[last + 1 :] if last is not None else []
    if _TEASERS <= len(tail) <= _MOST_TEASERS and all(
        len(b.text) <= _ITEM_LEN and not _CLAUSE_OR_SENTENCE.search(b.text) and not _DATA_ROW.search(b.text)
        for b in tail
    ):
        for block in tail:
            block.kind = K.SIDEBAR


def _line_kind(line: str) -> tuple[str, Meta | None]:
    """The removal kind of one whole line ('' keeps it) and metadata it carries."""
    if (_CAPTION.match(line) and len(line) <= _META_LINE) or (len(line) <= _TITLE_LEN and _CAPTION_TAIL.search(line)):
        return K.CAPTION, None
    if m.is_date_line(line):
        return K.METADATA, Meta(published=m.parse_date(line))
    fields = _metadata_fields(line)
    if fields is not None:
        return (K.CHROME if _COUNTER_ONLY.match(line) else K.METADATA), fields
    if _is_chrome(line):
        return K.CHROME, None
    return "", None


def _metadata_fields(line: str) -> Meta | None:
    bare = line.strip("【】[] ")
    if len(bare) > _META_LINE or bare.endswith(("。", "！", "？")):
        return None
    fields = m.parse_fields(bare)
    if fields is None:
        return None
    parts = m.LABEL.split(bare)
    if (len(parts[0]) > 20 and not m.parse_date(parts[0])) or any(len(v.strip()) > 50 for v in parts[2::2]):
        return None  # a label inside prose, not a metadata line
    return fields


def _is_chrome(line: str) -> bool:
    if len(line) <= _CHROME_LINE and (_CRUMB.match(line) or _CHROME.match(line)):
        return True
    if len(line) <= _FOOTER_LINE and (len(_CONTACT.findall(line)) >= 2 or _DISCLAIMER.search(line)):
        return True
    return len(line) <= _CHROME_ANY_LINE and not _SENT_PUNCT.search(line[-1:]) and bool(_CHROME_ANY.search(line))


# SEO keyword runs inside a line: eight or more space-separated Chinese phrases in a row,
# none with punctuation (``仿木地板砖价格表资料免费下载 仿木地板砖贴图资料免费下载 …``).
_PHRASE = r"(?=[^\s,，。！？!?;；:：、]*[\u4e00-\u9fff])[^\s,，。！？!?;；:：、]{2,20}"
_KEYWORD_RUN = re.compile(rf"(?:(?<=\s)|^){_PHRASE}(?:\s+{_PHRASE}){{7,}}(?=\s|$)")
_RUN_MEAN = 4  # mean phrase length: shorter ones are a navigation bar (``首页 新闻 体育``)
# Casual prose written with spaces for punctuation (forums): pronouns and sentence particles.
_SPOKEN = re.compile(r"[我你]|[了吗呢吧啊哩哦嘛呀啦哈么]$")
# Scraper-defeating noise: a run of one repeated symbol and the symbol after it (``♀♀♀♀★``).
_NOISE = re.compile(r"([\u2600-\u26ff])\1{2,}[^\w\s]?")


def _strip_spam(block: _Block) -> None:
    """Mark a link-farm line as spam, or cut link-farm cells, keyword runs and symbol noise
    out of a line that has prose too."""
    _strip_farm(block)
    if block.kind == TEXT:
        _strip_runs(block)


def _strip_farm(block: _Block) -> None:
    line = block.text
    if inj := _INJECTED.match(line):
        _note(block, K.SPAM, inj.group(0).strip())
        line = block.text = line[inj.end() :]
    cells = [c.strip() for c in _CELL_SEP.split(line) if c.strip()]
    spaced = len(cells) < 3 and not _SENT_PUNCT.search(line)
    if spaced:
        cells = line.split(" ")
    if len(cells) < 3:
        return
    short = [c for c in cells if len(c) <= _CELL_LEN]
    spammy = sum(1 for c in short if _SPAMMY.search(c))
    numeric = any(_NUMERIC.match(c) for c in cells)
    long_cells = [c for c in cells if len(c) > _CELL_LEN]
    farm = len(short) >= 3 and spammy >= max(2, len(short) / 2)
    # Words separated only by spaces are keywords unless they read like a forum post.
    keywords = _keywords(" ".join(cells)) if spaced else sum(map(len, cells)) / len(cells) >= _RUN_MEAN
    farm = farm or (len(cells) >= _KEYWORD_CELLS and not numeric and not long_cells and keywords)
    if farm and long_cells:
        _note(block, K.SPAM, " | ".join(short))
        block.text = "\n".join(long_cells)
    elif farm:
        block.kind = K.SPAM
    elif len(cells) >= _MENU_CELLS and not numeric and not long_cells and max(map(len, cells)) <= _MENU_ITEM:
        block.kind = K.CHROME  # a navigation bar


def _strip_runs(block: _Block) -> None:
    """Cut keyword runs and symbol noise out of a line, keeping the prose around them."""
    block.text = _NOISE.sub(lambda hit: _cut(block, hit.group(0), ""), block.text)
    block.text = _KEYWORD_RUN.sub(
        lambda hit: _cut(block, hit.group(0), "\n") if _keywords(hit.group(0)) else hit.group(0), block.text
    ).strip()


def _cut(block: _Block, text: str, gap: str) -> str:
    _note(block, K.SPAM, text)
    return gap


def _keywords(run: str) -> bool:
    """Phrases long enough for keywords (not a menu), hardly any spoken like a forum post."""
    words = run.split()
    spoken = sum(1 for w in words if _SPOKEN.search(w))
    return sum(map(len, words)) / len(words) >= _RUN_MEAN and spoken <= len(words) // 10


def _channel_names(blocks: list[_Block]) -> None:
    """Short lines naming a section that the breadcrumb also names (``媒体大医``) are chrome."""
    crumbs = {
        seg.strip(" :：")
        for b in blocks
        if b.kind == K.CHROME and _CRUMB.match(b.text)
        for seg in _CRUMB_SEP.split(_CRUMB.sub("", b.text))[:-1]
    }
    for block in blocks:
        if block.kind == TEXT and len(block.text) <= _CHANNEL_NAME and block.text in crumbs:
            block.kind = K.CHROME


def _caption_fragments(blocks: list[_Block]) -> None:
    """Print captions broken around an unfinished ``▲…`` line: short neighbours ending in 。."""
    for i, block in enumerate(blocks):
        if block.kind != K.CAPTION or block.text.endswith(tuple(_SENT_END)):
            continue
        for j in (i - 1, i + 1):
            if (
                0 <= j < len(blocks)
                and blocks[j].kind == TEXT
                and len(blocks[j].text) <= _CAPTION_FRAGMENT
                and blocks[j].text.endswith("。")
                and not _CLAUSE_PUNCT.search(blocks[j].text)
            ):
                blocks[j].kind = K.CAPTION


# --- bylines, credits, header ----------------------------------------------------------


def _is_titleish(text: str) -> bool:
    return len(text) <= _TITLE_LEN and not text.endswith(tuple("。！？!?；;"))


def _print_page(blocks: list[_Block]) -> bool:
    """Several ``title / bare-name byline / prose`` runs: a print page of many articles."""
    kept = [b.text for b in blocks if b.kind == TEXT]
    runs = sum(1 for a, b, c in zip(kept, kept[1:], kept[2:], strict=False) if m.print_article_start(a, b, c))
    return runs >= 2


def _bylines(blocks: list[_Block], found: Meta, multi: bool) -> Meta:
    for block in blocks:
        if block.kind != TEXT or not (names := (m.print_byline if multi else m.parse_byline)(block.text)):
            continue
        block.kind = BYLINE if multi else K.METADATA
        if not multi:
            found = m.merge(found, Meta(authors=names))
    return found


def _credits(blocks: list[_Block], found: Meta) -> Meta:
    kept = [b for b in blocks if b.kind == TEXT]
    for block in kept[:3]:
        if lead := m.parse_lead_credit(block.text):
            _note(block, K.METADATA, lead[0].strip())
            block.text = block.text[len(lead[0]) :]
            found = m.merge(found, lead[1])
    if kept and (credit := m.parse_credit(kept[-1].text)):
        _note(kept[-1], K.METADATA, credit[0].strip())
        kept[-1].text = kept[-1].text[: -len(credit[0])].rstrip()
        found = m.merge(found, credit[1])
    return found


def _header(blocks: list[_Block]) -> list[_Block]:
    """Title (and subtitles) at the head: short lines before the first metadata line or byline."""
    head: list[_Block] = []
    for block in blocks:
        if block.kind == TEXT:
            if not _is_titleish(block.text) or len(head) == _HEADER_LINES:
                return []
            head.append(block)
        elif block.kind == K.METADATA and head:
            return head
    return []


# --- joining lines broken by print layout ----------------------------------------------


def _join(blocks: list[_Block], header: set[int]) -> list[str]:
    out: list[str] = []
    kept = [b for b in blocks if b.kind in (TEXT, BYLINE) and b.text]
    adjacent = _adjacency(blocks)
    open_ = False  # may the last paragraph be continued by the next kept line?
    for i, block in enumerate(kept):
        if open_ and id(block) in adjacent and block.kind == TEXT and _continues(block.text, kept[i + 1 : i + 2]):
            out[-1] += block.text
        else:
            out.append(block.text)
        open_ = block.kind == TEXT and id(block) not in header and (len(out) > 1 or i > 0) and _unfinished(out[-1])
    return out


def _adjacency(blocks: list[_Block]) -> set[int]:
    """Kept blocks with nothing but blank lines, spam or captions since the previous kept one."""
    out: set[int] = set()
    clear = False
    for block in blocks:
        if block.kind in (TEXT, BYLINE) and block.text:
            if clear:
                out.add(id(block))
            clear = True
        elif block.kind not in (K.SPAM, K.CAPTION):
            clear = False
    return out


def _unfinished(text: str) -> bool:
    """A line cut mid-sentence: no closing punctuation, and long or mid-clause."""
    if text.endswith(tuple(_SENT_END)) or _SUBHEAD.match(text):
        return False
    return len(text) >= _CUT_LINE or bool(_CLAUSE_PUNCT.search(text) or _SENT_PUNCT.search(text))


def _continues(text: str, after: list[_Block]) -> bool:
    """``text`` continues the previous line unless it is a subhead or the next article's title."""
    if after and after[0].kind == BYLINE:
        return False
    if text.startswith(("——", "一是", "二是", "三是", "（", "(")) or re.match(r"^\d+[、.．]", text):
        return False
    if _SUBHEAD.match(text):
        return False
    return not (len(text) <= _HEADING_LEN and not _SENT_PUNCT.search(text) and not _CLAUSE_PUNCT.search(text))


# --- repeated sentences and clauses ----------------------------------------------------


def _dedupe(paragraphs: list[str]) -> tuple[list[str], list[Removed]]:
    """Drop sentences that (nearly) repeat an earlier one, and clauses repeated back to back."""
    index: dict[str, int] = {}
    removed: list[Removed] = []
    out: list[str] = []
    sid = 0
    for para in paragraphs:
        kept: list[str] = []
        for sentence in _SENTENCE.findall(para) or [para]:
            sentence = _repeated_clause(sentence, removed)
            shingles = _shingles(sentence)
            if shingles and _seen(shingles, index):
                removed.append(Removed(K.DUPLICATE, sentence))
                continue
            sid += 1
            for s in shingles:
                index.setdefault(s, sid)
            kept.append(sentence)
        if kept:
            out.append("".join(kept))
    return out, removed


def _shingles(sentence: str) -> set[str]:
    norm = _FILLER.sub("", _NORM.sub("", sentence))
    if len(norm) < _SHORTEST_REPEAT:
        return set()
    return {norm[i : i + _SHINGLE] for i in range(len(norm) - _SHINGLE + 1)}


def _seen(shingles: set[str], index: dict[str, int]) -> bool:
    need = _REPEAT_SHARE * len(shingles)
    common = shingles & index.keys()  # in C: most sentences share too little to be a repeat
    if len(common) < need:
        return False
    hits = Counter(index[s] for s in common)
    return max(hits.values()) >= need


_CLAUSES = re.compile(r"[^,，]*[,，]|[^,，]+")  # every character in some clause: ",,," stays


def _repeated_clause(sentence: str, removed: list[Removed]) -> str:
    clauses = _CLAUSES.findall(sentence)
    if len(clauses) < 2:
        return sentence
    kept = [clauses[0]]
    for clause in clauses[1:]:
        if len(clause) >= _SHORTEST_CLAUSE and clause.rstrip(",，") == kept[-1].rstrip(",，"):
            removed.append(Removed(K.DUPLICATE, clause))
        else:
            kept.append(clause)
    return "".join(kept)
