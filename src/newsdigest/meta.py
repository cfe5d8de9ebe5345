"""Article metadata: parsing dates, sources, bylines and credits out of text lines, and
resolving one article's final title/date/source/authors.

The parsers here are shared by ``clean`` (metadata lines of a whole document),
``split`` (per-article bylines on print pages) and ``extract`` (HTML pages).
No jieba here: everything is precompiled regexes over single lines.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from newsdigest.models import Cleaned, Meta

# Dates: 2025-06-04, 2025/8/7, 2025.6.4, 2025年6月4日 (time after it is ignored).
_DATE = re.compile(r"((?:19|20)\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)\s*日?")
DATE = _DATE  # for ``extract``: how much of a line a date takes
_DATE_ONLY = re.compile(
    r"^[\[【(（]?\s*((?:19|20)\d\d\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?)"
    r"(?:\s*(?:星期|周)[一二三四五六日天])?(?:\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?\s*[\]】)）]?$"
)
# Labels of metadata fields by what they introduce; each label once.  The regex tries the
# longest first, so 稿件来源 wins over 来源 and 责任编辑 over 编辑.
_DATE_LABELS = ("发布时间", "发布日期", "发表时间", "发表日期", "更新时间", "上传时间", "日期", "时间")
_DATE_LABELS += ("發布時間", "發佈時間", "發表時間", "更新時間", "時間")  # traditional script
_SOURCE_LABELS = ("稿件来源", "信息来源", "新闻来源", "文章来源", "消息来源", "来源", "出处")
_SOURCE_LABELS += ("稿件來源", "新聞來源", "文章來源", "來源", "出處")
_AUTHOR_LABELS = ("作者", "执笔人", "执笔", "撰稿", "撰文", "文字", "文", "记者", "通讯员", "記者", "執筆", "通訊員")
_EDITOR_LABELS = ("责任编辑", "责编", "编辑", "責任編輯", "責編", "編輯")
_OTHER_LABELS = ("最后更新", "摄影", "图片", "审核", "审校", "校对", "攝影", "圖片")  # recognised, not kept
# Page counters and tools that look like labels (``浏览量: 123``): chrome, not metadata.
COUNTER_LABELS = ("本文被阅次数", "浏览量", "浏览次数", "阅读量", "阅读次数", "阅读数", "点击数", "点击量", "点击率")
COUNTER_LABELS += ("访问量", "人气", "字号", "字体", "打印")
_ALL_LABELS = (*_DATE_LABELS, *_SOURCE_LABELS, *_AUTHOR_LABELS, *_EDITOR_LABELS, *_OTHER_LABELS, *COUNTER_LABELS)
# A label glued to the outlet before it: ``来源：证券时报网作者：李在山``.
_GLUED_LABEL = re.compile(rf"(?<=[网报社台])(?=(?:{'|'.join(_AUTHOR_LABELS + _EDITOR_LABELS)})\s*[:：])")
LABEL = re.compile(rf"(?<![\w])({'|'.join(sorted(_ALL_LABELS, key=len, reverse=True))})\s*[:：]\s*")
_BOOK = re.compile(r"《([^》]{2,20})》")
# Roles in a byline: who wrote (their names are authors) and who did something else
# (photographs, translation, compiling: their names are not).
_REPORTERS = ("记者", "通讯员", "实习生", "撰稿人", "記者", "通訊員", "實習生")  # simplified, then traditional
_WRITER_ROLES = ("整合", "文/图", "文／图", "图/文", "文", "撰稿", "作者", "执笔", "采写")
_OTHER_ROLES = ("整理", "编译", "翻译", "摄影", "摄", "图", "供图")
_ROLE = re.compile(rf"^(?:\S{{0,20}}?(?:{'|'.join(_REPORTERS)})|{'|'.join(_WRITER_ROLES + _OTHER_ROLES)})[:：/]?$")
_NOT_WRITER = re.compile(rf"^(?:{'|'.join(_OTHER_ROLES)})[:：/]?$")
# A photo credit (``每经记者 张蕊 摄``, ``蔡雪婧/摄``, ``图片来源：…``) names no author.
_PHOTO_CREDIT = re.compile(r"(?:^|\s|/)摄$|^(?:图片|摄影|供图)")
# Words a byline may carry besides names: where from, and "reporting".
_BYLINE_NOISE = re.compile(r"^(?:\S{0,8}(?:报道|報導)|发自\S{0,8}|發自\S{0,8}|/文|/摄|摄)$")
_BULLET = re.compile(r"^[□■●◆]$")  # a bullet before a byline or a column label
# ``河南商报记者X``, ``记者X发自北京``, ``記者X／台北報導`` (Taiwan and Hong Kong): one word.
_ORG_ROLE = re.compile(
    rf"^([^\s。！？，,；;（(]{{0,20}}?)(?:{'|'.join(_REPORTERS)}|作者)(\S{{2,4}}?)"
    r"(?:[发發]自\S{0,8}|/文\S{0,8}|/摄\S{0,8}|报道|報導|[/／]\S{0,8}(?:报道|報導))?$"
)
# A labelled author that is no Chinese name: a web handle or pen name (``放飞&心情``), alone.
_LEAD_JUNK = re.compile(r"[\s\[\]【】\ue000-\uf8ff]+")  # brackets, and private-use characters of GBK spaces
_PEN_NAME = re.compile(r"^[\w&.·\-]{2,12}$")
_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,4}$")
_ROLE_PREFIX = re.compile(rf"^(?:本报|本台)?(?:{'|'.join(_REPORTERS)})")
# Characters and words never in a personal name: outlets, forums, offices, and page buttons.
_NOT_NAME = re.compile(
    r"[网吧报刊部局委站厅处办室栏频道讯]|未知|佚名|不详|匿名|整理|查看|更多|关注|返回|点击|阅读|分享|收藏|评论"
)
_HANDLE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{2,19}$")
_SPLIT_NAMES = re.compile(r"[\s、,，/／;；]+")
# Common surnames: a bare-name print byline must start with one, or any two short words pass.
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪"
    "范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜"
    "倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房"
    "滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙"
    "荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权"
    "强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印"
    "逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由"
    # the same surnames in traditional script (Taiwan, Hong Kong)
    "陳張劉楊黃趙吳孫馬郭羅鄭謝許韓馮鄧蕭蔣葉蘇呂盧鐘鍾譚陸範賈韋鄒龍陶賀顧龔萬錢嚴湯溫齊喬龐顏莊聶魯歐關蘭寧紀畢單駱藍遊靳鮑饒陽時農繆簡車項連蘆麥婁竇黨費衛應閔鄔邊師欒榮鞏叢鄺"
)
_COMPOUND = (
    "歐陽",
    "諸葛",
    "長孫",
    "尉遲",
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "长孙",
    "宇文",
    "司徒",
    "令狐",
    "夏侯",
)
_CREDIT = re.compile(r"\s*[(（]([^()（）]{2,40})[)）]\s*$")
_BENBAOXUN = re.compile(
    r"^(?:据)?(?:本报|本台|本网|新华社|中新网|央广网)?[^()（）]{0,12}[讯电]\s*[(（]([^()（）]{2,40})[)）]\s*"
)
_OUTLET = re.compile(
    r"(?:日报|晚报|早报|时报|商报|青年报|工人报|报社|报|新闻网|网|电视台|广播电台|新闻社|通讯社|社|客户端|融媒体中心|传媒集团)$"
)
_SENTENCE = re.compile(r"[^。！？!?]+[。！？!?]*")
_CLAUSE = re.compile(r"[,，;；:：]")
_LEAD_IN = re.compile(
    r"^(?:据|根据|记者|近日|日前|目前|今年|去年|本报讯|近年来|\d+月\d+日)|(?:消息|获悉|了解到|报道|后|时|前|中|期间|以来)$"
)


def parse_date(text: str) -> date | None:
    """The first valid calendar date in ``text``, or None."""
    for m in _DATE.finditer(text):
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            continue
    return None


def is_date_line(line: str) -> bool:
    return bool(_DATE_ONLY.match(line.strip()))


def is_name(word: str, strict: bool = True) -> bool:
    """A plausible Chinese personal name; ``strict`` also wants a known surname."""
    if not _NAME.match(word) or (strict and len(word) > 3 and not word.startswith(_COMPOUND)) or _NOT_NAME.search(word):
        return False
    return not strict or word[0] in _SURNAMES or word.startswith(_COMPOUND)


def names_in(value: str, strict: bool = False) -> tuple[str, ...]:
    """Names in a field value like ``张三 李四`` or ``张三、李四``."""
    words = [_ROLE_PREFIX.sub("", w) for w in _SPLIT_NAMES.split(value.strip()) if w]
    if not strict and len(words) == 1 and _HANDLE.match(words[0]):
        return (words[0],)  # a web handle like ``zboygirl``
    return tuple(w for w in words if is_name(w, strict))


def author_names(value: str) -> tuple[str, ...]:
    """Names in a labelled author value; a leading web handle or a lone pen name counts too."""
    words = value.split()
    if words and _HANDLE.match(words[0]):
        return (words[0],)
    names = names_in(value)
    if names or len(words) != 1 or not _PEN_NAME.match(words[0]) or words[0].isdigit() or _NOT_NAME.search(words[0]):
        return names
    return (words[0],)


def parse_byline(line: str) -> tuple[str, ...] | None:
    """Author names when ``line`` is a byline (``记者 X 通讯员 Y``, ``X Y``), else None."""
    words = line.replace("\u3000", " ").strip("【】[]（）() ").split()
    if not words or len(line) > 60 or _PHOTO_CREDIT.search(line):
        return None
    if slashed := _slash_credit(line):
        return slashed
    names: list[str] = []
    has_role = writer = False
    for word in words:
        if _BULLET.match(word):
            continue
        if _ROLE.match(word):
            has_role, writer = True, not _NOT_WRITER.match(word)
        elif has_role and not writer and is_name(word, strict=False):
            continue  # a photographer's or translator's name
        elif _BYLINE_NOISE.match(word) and names:
            continue
        elif not names and not has_role and _OUTLET.search(word.replace("频道", "网")):
            continue  # ``新华网黑龙江频道 记者 伊琳``: the outlet before the role
        elif (m := _ORG_ROLE.match(word)) and is_name(m.group(2), strict=not _is_outlet(m.group(1))):
            has_role = writer = True
            names.append(m.group(2))
        elif is_name(word) or (has_role and is_name(word, strict=False)):
            names.append(word)
        else:
            return None
    # bare names need two of them: one lone name is as likely a heading word
    return tuple(names) if names and (has_role or len(names) >= 2) else None


# ``文/X``, ``执笔/X、Y&Z``, ``【文/观察者网专栏作者 X】``, ``X/中国青年报``: a slash joins role and names.
_SLASHED = re.compile(r"^[【\[]?(?:文|执笔|撰文|撰稿|采写|作者)\s*[/／]\s*(.{2,40}?)[】\]]?$")
_NAME_SLASH_OUTLET = re.compile(r"^([\u4e00-\u9fff·]{2,4}(?:[ 、][\u4e00-\u9fff·]{2,4})*)\s*[/／]\s*(\S{2,12})$")
_PEN_NAMES = re.compile(r"\s*[、&＆,，和]\s*|\s+")
_AFTER_ROLE = re.compile(rf"^.*(?:{'|'.join(_REPORTERS)}|作者)\s*")


def _slash_credit(line: str) -> tuple[str, ...] | None:
    """Names credited with a slash: pen names count after an explicit writer role."""
    if hit := _SLASHED.match(line.strip()):
        words = [w for w in _PEN_NAMES.split(_AFTER_ROLE.sub("", hit.group(1))) if w]
        if 1 <= len(words) <= _MOST_NAMES and all(_PEN_NAME.match(w) and not _NOT_NAME.search(w) for w in words):
            return tuple(words)
    if (hit := _NAME_SLASH_OUTLET.match(line.strip())) and _OUTLET.search(hit.group(2)):
        names = tuple(_PEN_NAMES.split(hit.group(1)))
        return names if all(is_name(n, strict=False) for n in names) else None
    return None


_MOST_NAMES = 6  # a credit naming more people is a list, not a byline


def print_byline(line: str) -> tuple[str, ...] | None:
    """A print page's byline under a title: a byline, or one bare name (``孙立新``) — which
    counts only where titles and bylines alternate (``clean`` and ``split`` check that)."""
    if LABEL.search(line):
        return None
    return parse_byline(line) or ((line.strip(),) if is_name(line.strip()) else None)


_PROSE = re.compile(r"[，,。]")  # clauses: a paragraph of prose, not an item or a table row


def print_article_start(title: str, byline: str, first: str) -> bool:
    """A print page's article starts here: a short title, a byline, then prose."""
    prose = len(first) >= _PROSE_LEN and bool(_PROSE.search(first))
    return len(title) <= _PRINT_TITLE and prose and bool(print_byline(byline))


_PRINT_TITLE = 60  # a print headline is one short line
_PROSE_LEN = 20  # an article's first paragraph is longer than a list item


def _is_outlet(org: str) -> bool:
    """``河南商报``, ``本报``: a role after it vouches for a name with a rare surname."""
    return bool(org) and (bool(_OUTLET.search(org)) or org.endswith(("本报", "本台", "本网")))


def parse_fields(line: str) -> Meta | None:
    """Fields of a labelled metadata line (``发布时间:… 来源:…``), None when it has no label."""
    parts = LABEL.split(_GLUED_LABEL.sub(" ", line))
    if len(parts) < 3:
        return None
    found: dict = {"published": parse_date(parts[0])}
    lead = _LEAD_JUNK.sub(" ", parts[0]).strip()
    if lead and all(is_name(w) for w in lead.split()):  # ``[ 黄宇 ] 来源：[ 国际金融报 ]``
        found["authors"] = tuple(lead.split())
    for label, value in zip(parts[1::2], parts[2::2], strict=True):
        value = value.strip(" |/·　")
        if label in _DATE_LABELS and not found["published"]:
            found["published"] = parse_date(value)
        elif label in _SOURCE_LABELS and value and "source" not in found:
            found["source"] = source_of(value)
            found["published"] = found["published"] or parse_date(value)
            if is_name(value):  # ``来源: 尹娟``: the source is a person, its author
                found["authors"] = (*found.get("authors", ()), value)
        elif label in _AUTHOR_LABELS and value:
            found["authors"] = found.get("authors", ()) + author_names(value)
        elif label in _EDITOR_LABELS and value:
            found["editor"] = (names_in(value) or (None,))[0]
    return Meta(**{k: v for k, v in found.items() if v})


def source_of(value: str) -> str | None:
    """The outlet named in a source value: ``《工人日报》2025年…`` → 工人日报, ``大连日报 …`` → 大连日报."""
    if m := _BOOK.search(value):
        return m.group(1)
    word = re.split(r"[\s|/,，【】\[\]]+", value.strip(" 【】[]"))[0]
    word = _DATE.sub("", word).strip()
    return word[:30] or None


def parse_credit(text: str) -> tuple[str, Meta] | None:
    """A closing credit ``(温州日报 徐成子)`` / ``(合肥晚报记者 吴海涛)``: (its text, what it says)."""
    m = _CREDIT.search(text)
    if not m:
        return None
    found = _credit_meta(m.group(1))
    return (m.group(0), found) if found else None


def parse_lead_credit(text: str) -> tuple[str, Meta] | None:
    """A leading ``本报讯(记者 X)``: (its text, what it says)."""
    m = _BENBAOXUN.match(text)
    if not m:
        return None
    found = _credit_meta(m.group(1))
    return (m.group(0), found) if found else None


# A commentary signed at its end (``（评论员 罗博 萧海川）``): part of the text as printed.
_SIGNATURE = re.compile(r"[(（]\S{0,12}评论员\s*([^()（）]{2,30})[)）]\s*$")


def signature(text: str) -> tuple[str, ...]:
    """The names a commentary is signed with at its end, which stays in the text."""
    hit = _SIGNATURE.search(text)
    return tuple(n for n in _SPLIT_NAMES.split(hit.group(1).strip()) if is_name(n, strict=False)) if hit else ()


def _credit_meta(inner: str) -> Meta | None:
    words = inner.replace("\u3000", " ").split()
    source = None
    if words and (m := re.match(r"^(\S+?)(?:记者|通讯员)$", words[0])) and _OUTLET.search(m.group(1)):
        source, words = m.group(1), words[1:]
    elif words and (m := _ORG_ROLE.match(words[0])) and _OUTLET.search(m.group(1)):
        source, words = m.group(1), [m.group(2), *words[1:]]
    elif len(words) >= 2 and _OUTLET.search(words[0]) and not is_name(words[0]):
        source, words = words[0], words[1:]
    words = [w for w in words if not _BYLINE_NOISE.match(w) or _ORG_ROLE.match(w)]
    if not words:
        return None
    names = parse_byline(" ".join(words)) or (
        tuple(words) if all(is_name(w, strict=not source) for w in words) else None
    )
    if not names:
        return None
    return Meta(source=source, authors=names)


def merge(first: Meta, second: Meta) -> Meta:
    """Fields of ``first``, filled in from ``second`` where missing; authors accumulate."""
    authors = first.authors + tuple(a for a in second.authors if a not in first.authors)
    return Meta(
        title=first.title or second.title,
        published=first.published or second.published,
        source=first.source or second.source,
        authors=authors,
        editor=first.editor or second.editor,
    )


def derive_title(paragraphs: tuple[str, ...]) -> str | None:
    """A short title from the lead sentence when a text has none: its first main clause."""
    if not paragraphs:
        return None
    lead = (_SENTENCE.findall(paragraphs[0]) or [paragraphs[0]])[0].strip("。！？!? ")
    clauses = [c.strip() for c in _CLAUSE.split(lead) if c.strip()]
    for clause in clauses:
        if 8 <= len(clause) <= 30 and not _LEAD_IN.search(clause):
            return clause
    return lead[:30] or None


def finalize(piece: Cleaned, page: Meta, hints: Meta) -> tuple[Meta, tuple[str, ...]]:
    """Resolve one article's metadata and return it with the body paragraphs left.

    ``piece.meta`` (from its own title/byline) wins over ``page`` (metadata lines of the
    whole document), which wins over ``hints`` (feed item title, HTML metadata).
    """
    info = merge(merge(piece.meta, page), hints) if piece.meta.authors else merge(piece.meta, merge(page, hints))
    if piece.meta.authors:  # a piece's own byline names its authors, not the page's
        info = replace(info, authors=piece.meta.authors)
    # A print page's own headings first; then the page's reconciled title (HTML, feed item),
    # which has seen the text's first lines; then the text's own header.
    own = piece.meta.title if piece.meta.title != page.title else None
    title = own or hints.title or page.title
    paragraphs = _without_title(piece.paragraphs, title) if title else piece.paragraphs
    return replace(info, title=title or derive_title(paragraphs)), paragraphs


_TITLE_LOOKAHEAD = 3  # leading paragraphs where the title may stand again (after a kicker or a date)


def _without_title(paragraphs: tuple[str, ...], title: str) -> tuple[str, ...]:
    """The body without the title where it stands again among the first paragraphs; a lead
    glued after it (``标题 - 导语…``) stays."""
    for i, para in enumerate(paragraphs[:_TITLE_LOOKAHEAD]):
        if _same(para, title):
            return paragraphs[:i] + paragraphs[i + 1 :]
        if lead := _lead_after(para, title):
            return (*paragraphs[:i], lead, *paragraphs[i + 1 :])
    return paragraphs


# What glues a headline to its lead (``标题 - 导语``, ``标题｜导语``, ``标题 导语``); never a comma:
# a lead sentence may well start with the headline's words.
_GLUE = re.compile(r"^\s*[\-－–—_|｜]+\s*|^\s+")


def _lead_after(paragraph: str, title: str) -> str | None:
    """The lead of a paragraph that starts with the title (``标题 - 导语…``), if it has one."""
    if not paragraph.startswith(title) or len(paragraph) <= len(title):
        return None
    lead = _GLUE.sub("", paragraph[len(title) :])
    return lead if len(lead) >= _SHORTEST_LEAD and lead != paragraph[len(title) :] else None


_SHORTEST_LEAD = 10  # characters after a glued title that make a lead paragraph


_SQUEEZE = re.compile(r"[\s\W_]+")
_TITLE_SLACK = 8  # characters a title line may carry besides the title (a column tag, ``(图)``)


def _same(paragraph: str, title: str) -> bool:
    """The paragraph is the title again: equal, cut short, or with a few characters more
    (never a sentence that merely contains the title's words)."""
    a, b = _SQUEEZE.sub("", paragraph), _SQUEEZE.sub("", title)
    if not a:
        return False
    if a == b or (a in b and len(a) >= min(len(b), _TITLE_SLACK)):
        return True
    return b in a and len(a) - len(b) <= _TITLE_SLACK and "。" not in paragraph
