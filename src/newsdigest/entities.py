"""Who is in the news: organisations and people named in an article.

Organisations come from jieba's part-of-speech tags plus suffix rules: a name ends in
学院/大学/集团/公司/局/厅/委员会/… and starts with a proper noun (a place, an organisation
or a name: 金华市 + 技师 + 学院, 金川 + 集团) or is one token jieba tags ``nt``
(大连理工大学). People are name-like tokens (a common surname, 2–4 characters, tagged
``nr`` or unknown to the dictionary) that stand next to a role or a verb of speech
(校长刘云斌, 俞科军表示): jieba tags many ordinary words ``nr`` (师生, 高水平), so a bare
``nr`` is not enough.

Short forms are merged into the full name when the text says so: ``杭州第一技师学院（以下简称
“杭州一技”）`` or a parenthesised short form right after the name.

Why not ``jieba.posseg``: it costs ~8.7× tokenising (measured by scripts/bench_relevance.py on
the labelled set; ~21k characters/s), which on a week where most articles are relevant (the
bench's synthetic corpus) took the pipeline from 1.3× to 5.5× ``jieba.lcut``. The tokens are the
ones tagging computed already (``tag.tokenize`` = ``jieba.lcut``), tagged with jieba's own
dictionary tags (the table posseg starts from) and looked up only around suffixes and
name-like tokens; the entity precision on the hand-checked sample is reported by ``make eval``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from newsdigest import lexicon, tag

# jieba.posseg reads ~20k characters/s here: names are counted in the first 20,000 characters
# only, so a huge relevant document costs ~1 s, not minutes (news articles are far shorter).
MAX_CHARS = 20_000
ORG = "org"
PERSON = "person"

# Tokens that close an organisation's name (jieba gives them as one token).
SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团公司",
    "公司",
    "集团",
    "技师学院",
    "学院",
    "大学",
    "技工学校",
    "职业学校",
    "学校",
    "中学",
    "小学",
    "研究院",
    "研究所",
    "医院",
    "委员会",
    "办公厅",
    "办公室",
    "政府",
    "协会",
    "学会",
    "联合会",
    "联盟",
    "银行",
    "局",
    "厅",
)
# Words that end like an organisation but are not one (布局, 餐厅, 格局 …).
_NOT_SUFFIXES = frozenset(
    "布局 格局 新格局 大局 当局 结局 开局 全局 骗局 饭局 空间布局 餐厅 客厅 大厅 展厅 门厅 歌厅 舞厅".split()
)
# Names too generic to say who: 产业学院, 人民政府, 分公司.
_GENERIC = frozenset(
    "人民政府 市政府 区政府 县政府 省政府 政府 学校 学院 大学 集团 公司 有限公司 中学 小学 医院 联盟 "
    "产业学院 产业联盟 分公司 子公司 母公司 办公室 委员会 居委会 村委会 技师学院 技工学校 职业学校".split()
)
# Tags that may start an organisation's name, and tags that may continue it.
_HEAD_TAGS = frozenset({"ns", "nt", "nz", "nr", "nrt", "nrfg", "j"})
_BODY_TAGS = _HEAD_TAGS | frozenset({"n", "m", "vn", "an", "b", "nw", "eng", "f"})
_MAX_PARTS = 6
# Words between two names, or before one (链主企业正泰集团): a name never reaches across them.
_LINKS = frozenset({"旗下", "下属", "所属", "直属", "联合", "携手", "牵头", "企业", "单位", "部门", "机构", "院校"})
_HAN = re.compile(r"[\u4e00-\u9fff]+")
_ORDINAL = re.compile(r"^第[一二三四五六七八九十0-9]+$")
# Fields of study: 工商学院 alone is part of a longer name (宁波工商学院), not a name.
_DISCIPLINES = frozenset(
    "工商 理工 海洋 财经 师范 医科 农业 科技 交通 电子 工业 职业 技术 经济 艺术 体育 外国语 政法 传媒 建筑 "
    "航空 石油 林业 中医药 工程 电力 化工 城市 信息 机电 旅游 商业 工匠 技师 商贸 轻工".split()
)
_MAX_CHARS = 24

# Common surnames (the ~100 most frequent cover ~85 % of the population).
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施"
    "文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷"
    "盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷"
    "晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
# A person is named next to a role (校长刘云斌) or a verb of speech (俞科军表示).
_ROLES = (
    "书记",
    "校长",
    "院长",
    "主任",
    "经理",
    "董事长",
    "局长",
    "厅长",
    "市长",
    "县长",
    "区长",
    "省长",
    "记者",
    "通讯员",
    "教师",
    "老师",
    "学生",
    "专家",
    "教授",
    "负责人",
    "主席",
    "部长",
    "处长",
    "科长",
    "师傅",
    "工匠",
    "技师",
    "代表",
    "委员",
    "总裁",
    "创始人",
    "总监",
    "工程师",
    "班长",
    "队长",
    "摄",
)
_SAYS = frozenset("表示 说 介绍 指出 认为 强调 坦言 笑道 告诉 透露 提出 谈到 回忆 称".split())
_FORMS = ("股份有限公司", "有限责任公司", "有限公司", "公司")
_FORMS_RE = re.compile("(?:股份有限公司|有限责任公司|有限公司|公司)$")
_ALIAS = re.compile(
    r"[（(]\s*(?:以下)?(?:简称|下称)?[：:]?\s*[“\"「『]?([\u4e00-\u9fffA-Za-z0-9]{2,10})[”\"」』]?\s*[）)]"
)


@dataclass(frozen=True)
class Entity:
    name: str
    kind: str  # org | person
    mentions: int
    aliases: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "mentions": self.mentions, "aliases": list(self.aliases)}

    @classmethod
    def from_dict(cls, raw: dict) -> Entity:
        return cls(raw["name"], raw["kind"], int(raw.get("mentions", 1)), tuple(raw.get("aliases", ())))


@lru_cache(maxsize=1)
def _dictionary_tags() -> dict[str, str]:
    """jieba's part-of-speech tags of its dictionary words (the table jieba.posseg starts from)."""
    return lexicon.load().tags


@lru_cache(maxsize=1 << 16)
def _pos(word: str) -> str:
    """A token's tag: a gazetteer place is ``ns`` (jieba tags 大连 as an adverb), a dictionary
    word has jieba's tag, and a Chinese word the dictionary lacks (found by jieba's HMM: 莱弗特,
    刘云斌) is taken for a proper name, ``nz``."""
    if word in tag.gazetteer():
        return "ns"
    if found := _dictionary_tags().get(word):
        return found
    return "nz" if len(word) >= 2 and _HAN.fullmatch(word) else "x"


def _part(word: str) -> bool:
    """May this token be inside a name? Ordinals yes (第一), other numbers no (首批, 34家)."""
    flag = _pos(word)
    if flag == "m":
        return bool(_ORDINAL.match(word))
    return word not in _LINKS and flag in _BODY_TAGS


def _org_at(words: list[str], end: int) -> str | None:
    """The organisation whose name ends with token ``end`` (a suffix token), if any."""
    start = end
    while start > 0 and end - start < _MAX_PARTS and _part(words[start - 1]):
        start -= 1
    # The name starts at its first proper noun: 学校/n 与/p 金川/ns 集团 → 金川集团.
    while start < end and (_pos(words[start]) not in _HEAD_TAGS or len(words[start]) < 2):
        start += 1
    name = "".join(words[start : end + 1])
    if start == end:  # one token: only a full name jieba knows (大连理工大学, not 工商学院)
        word = words[end]
        generic = word[: -2 if len(word) > 3 else len(word)] in _DISCIPLINES
        return word if _pos(word) == "nt" and len(word) >= 4 and not generic and word not in _GENERIC else None
    if len(name) > _MAX_CHARS or name in _GENERIC or name.startswith(SUFFIXES):
        return None
    if name.endswith(("政府", "局", "厅")) and _pos(words[start]) != "ns":  # a government body is a place's
        return None
    return name


def _person_at(words: list[str], i: int) -> str | None:
    word = words[i]
    if not 2 <= len(word) <= 4 or word[0] not in _SURNAMES:
        return None
    if not _pos(word).startswith(("nr", "nz")):  # a name, or a word the dictionary lacks
        return None
    before = words[i - 1] if i else ""
    after = words[i + 1] if i + 1 < len(words) else ""
    if before.endswith(_ROLES) or after in _SAYS or after in _ROLES:
        return word
    return None


def _aliases(text: str, names: set[str]) -> dict[str, str]:
    """Short form → full name, where the text gives the short form right after the name."""
    out: dict[str, str] = {}
    for m in _ALIAS.finditer(text):
        before = text[max(0, m.start() - _MAX_CHARS) : m.start()]
        full = max((n for n in names if before.endswith(n)), key=len, default=None)
        short = m.group(1)
        if full and short != full and short not in names:
            out[short] = full
    return out


def extract(title: str, body: str, tokens: list[str] | None = None) -> tuple[Entity, ...]:
    """Organisations and people named in the article, most mentioned first. ``tokens`` are
    ``tag.tokenize(title + "\n" + body)`` when the caller has them already (tagging does)."""
    text = f"{title}\n{body}"[:MAX_CHARS]
    words = tag.tokenize(text) if tokens is None else _within(tokens, len(text))
    orgs: Counter = Counter()
    people: Counter = Counter()
    for i, word in enumerate(words):  # the cheap tests inline: this loop sees every token
        if word.endswith(SUFFIXES) and word not in _NOT_SUFFIXES and (name := _org_at(words, i)):
            orgs[name] += 1
        elif word[:1] in _SURNAMES and (name := _person_at(words, i)):
            people[name] += 1
    counts = Counter(w for w in words if w in people)
    people_all = Counter({n: counts[n] for n in people})  # every mention, once the name is known
    aliases = _aliases(text, set(orgs))
    merged: dict[str, list[str]] = {}
    for short, full in aliases.items():
        orgs[full] += text.count(short) - 1  # the definition itself is not a mention
        orgs.pop(short, None)
        merged.setdefault(full, []).append(short)
    for name in [n for n in orgs if n.endswith(_FORMS)]:
        base = _FORMS_RE.sub("", name)
        if base != name and base in orgs:  # 金川集团公司 is 金川集团
            orgs[base] += orgs.pop(name)
            merged.setdefault(base, []).append(name)
    found = [Entity(n, ORG, c, tuple(sorted(merged.get(n, [])))) for n, c in orgs.items() if c > 0]
    found += [Entity(n, PERSON, c) for n, c in people_all.items() if n not in orgs]
    return tuple(sorted(found, key=lambda e: (-e.mentions, e.kind, e.name)))


def _within(tokens: list[str], chars: int) -> list[str]:
    """The tokens that cover the first ``chars`` characters."""
    out, seen = [], 0
    for t in tokens:
        if seen >= chars:
            break
        out.append(t)
        seen += len(t)
    return out


def named(article: Any) -> tuple[Entity, ...]:
    """The entities stored with an article, or extracted now when they never were."""
    stored = getattr(article, "entities", None)
    return stored if stored is not None else extract(article.title, article.text)
