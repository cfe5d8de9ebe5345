"""Tags: regions from the gazetteer, topics from the taxonomy, keywords by TF-IDF.

The text is tokenised once with jieba (the costliest step of the whole pipeline);
regions, keywords and the summary all reuse those tokens. Place names are added to
jieba's dictionary so that they come out as single tokens and can be counted with
a dict lookup instead of scanning the text thousands of times.
"""

from __future__ import annotations

import csv
import logging
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from math import log
from pathlib import Path

from newsdigest import lexicon, relevance
from newsdigest.models import Topic

_ETHNIC = (
    "蒙古|回|藏|维吾尔|苗|彝|壮|布依|朝鲜|满|侗|瑶|白|土家|哈尼|哈萨克|傣|黎|傈僳|佤|畲|高山|拉祜|水|东乡|纳西|"
    "景颇|柯尔克孜|土|达斡尔|仫佬|羌|布朗|撒拉|毛南|仡佬|锡伯|阿昌|普米|塔吉克|怒|乌孜别克|俄罗斯|鄂温克|德昂|"
    "保安|裕固|京|塔塔尔|独龙|鄂伦春|赫哲|门巴|珞巴|基诺|各"
)
_SUFFIX = re.compile(f"(?:(?:{_ETHNIC})族)*(?:自治区|自治州|自治县|自治旗|特别行政区|地区|林区|省|市|盟|州|县|旗)$")
# Short forms that are ordinary words far more often than places.
_NOT_PLACES = frozenset(
    {
        "开发",
        "高新",
        "经济",
        "城关",
        "中心",
        "工业",
        "和平",
        "长安",
        "新华",
        "人民",
        "解放",
        "城区",
        "郊区",
        "矿区",
        "新区",
        "东区",
        "西区",
        "南区",
        "北区",
        "市中",
        "永安",
        "通道",
        "江南",
        "江北",
        "河东",
        "河西",
        "城中",
        "宝山",
        "东方",
        "平安",
        "长寿",
        "清河",
        "白云",
        "安全",
        "新城",
        "大同",
        "明光",
        "太和",
        "青山",
        "和田",
        "阿里",
        "东至",
        "来安",
        "同心",
    }
)
_MUNICIPAL = {"市辖区", "县"}
_WORD = re.compile(r"[\u4e00-\u9fff]{2,}|[A-Za-z][A-Za-z0-9+-]{2,}")


@dataclass(frozen=True)
class Place:
    province: str
    city: str | None  # None for a province itself
    level: str  # province | city | county


def short_name(name: str) -> str:
    """浙江省 → 浙江, 阿坝藏族羌族自治州 → 阿坝, 平湖市 → 平湖."""
    return _SUFFIX.sub("", name)


def _read_csv(name: str) -> list[dict[str, str]]:
    path = resources.files("newsdigest") / "data" / "gazetteer" / name
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _common_word(word: str, tags: dict[str, str]) -> bool:
    """A word jieba's dictionary knows as something other than a place name (合作, 资源)."""
    found = tags.get(word)
    return word in _NOT_PLACES or (found is not None and not found.startswith("ns"))


def _add(index: dict[str, list[Place]], form: str, place: Place) -> None:
    if len(form) >= 2 and place not in index.setdefault(form, []):
        index[form].append(place)


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, list[Place]]:
    """Surface form → places it may name (full names, and short forms where safe)."""
    rows = _read_csv("provinces.csv")
    provinces = {r["code"]: short_name(r["name"]) for r in rows}
    index: dict[str, list[Place]] = {}
    for row in rows:
        prov = provinces[row["code"]]
        for form in (row["name"], prov):
            _add(index, form, Place(prov, None, "province"))
    cities: dict[str, str] = {}
    for row in _read_csv("cities.csv"):
        prov = provinces[row["provinceCode"]]
        city = prov if row["name"] in _MUNICIPAL else short_name(row["name"])
        cities[row["code"]] = city
        if row["name"] not in _MUNICIPAL:
            for form in (row["name"], city):
                _add(index, form, Place(prov, city, "city"))
    tags = lexicon.load().tags
    for row in _read_csv("areas.csv"):
        place = Place(provinces[row["provinceCode"]], cities[row["cityCode"]], "county")
        _add(index, row["name"], place)
        short = short_name(row["name"])
        # Districts (区) keep only their full name: their short forms are common words.
        if not row["name"].endswith("区") and not _common_word(short, tags) and short != row["name"]:
            _add(index, short, place)
    return index


@dataclass(frozen=True)
class TagResult:
    regions: tuple[str, ...]
    topics: tuple[str, ...]
    keywords: tuple[str, ...]
    weights: dict[str, float]  # keyword → weight, reused by the summary
    tokens: tuple[str, ...] = ()  # tokenize(title + "\n" + text), reused for entities


# A place name followed by these names a street or a company, not the city (北海街道, 金川集团).
_NOT_AFTER = frozenset(
    {"街道", "镇", "乡", "村", "路", "街", "社区", "大道", "集团", "集团公司", "公司", "股份", "有限公司"}
)


def _mentions(tokens: list[str]) -> list[list[Place]]:
    index = gazetteer()
    found = []
    for i, tok in enumerate(tokens):
        places = index.get(tok)
        if places and (i + 1 == len(tokens) or tokens[i + 1] not in _NOT_AFTER):
            found.append(places)
    return found


def _place_scores(title_tokens: list[str], body_tokens: list[str]) -> tuple[Counter, Counter]:
    prov: Counter = Counter()
    city: Counter = Counter()
    for tokens, weight in ((title_tokens, 3.0), (body_tokens, 1.0)):
        for places in _mentions(tokens):
            if any(p.level == "province" for p in places):  # 吉林, 海南: the province wins
                prov[places[0].province] += weight
                continue
            share = weight / len(places)
            for p in places:
                prov[p.province] += share
                city[(p.province, p.city)] += share
    return prov, city


def regions(title_tokens: list[str], body_tokens: list[str]) -> tuple[str, ...]:
    """Province and city of the places the article is about, most prominent first."""
    prov, city = _place_scores(title_tokens, body_tokens)
    if not city:
        return tuple(p for p, s in prov.most_common(1) if s >= 2)
    top = city.most_common(1)[0][1]
    out: list[str] = []
    for (p, c), score in city.most_common():
        if score >= max(2.0, top / 2):
            out += [p, c]
    return tuple(dict.fromkeys(out))


def topics(text: str, title: str, taxonomy: tuple[Topic, ...]) -> tuple[str, ...]:
    """Topics whose keywords score as a watch profile of their own (``relevance.topics``):
    a title mention, or several body mentions; one stray word in a long text is not enough."""
    return relevance.topics(title, text, ((t.name, t.keywords) for t in taxonomy))


def _one_line_cache_error(record: logging.LogRecord) -> bool:
    """jieba logs a traceback when it cannot write its dictionary cache (read-only or full
    temporary folder); a one-line warning says all there is to say."""
    if record.exc_info and record.getMessage().startswith("Dump cache file failed"):
        exc = record.exc_info[1]
        record.msg = f"jieba cannot write its dictionary cache ({exc}); it builds the dictionary in each run (~1 s)"
        record.args, record.exc_info, record.exc_text = (), None, None
    return True


@lru_cache(maxsize=1)
def _jieba() -> tuple[object, dict[str, float], float, frozenset[str]]:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.default_logger.addFilter(_one_line_cache_error)
    lex = lexicon.load()  # jieba's tables, compact; never jieba.initialize, posseg or analyse
    jieba.load_userdict(str(Path(str(resources.files("newsdigest") / "data" / "userdict.txt"))))
    for form in gazetteer():
        jieba.add_word(form, freq=2000, tag="ns")
    return jieba, lex.idf, lex.median_idf, lexicon.STOP_WORDS | _STOPWORDS


# Words every article of this beat uses: as keywords they tell a reader nothing.
_STOPWORDS = frozenset(
    "我们 他们 以及 一个 通过 进行 目前 同时 近年来 今年 去年 已经 不断 实现 推动 开展 持续 进一步 提升 加强 积极 "
    "相关 表示 介绍 记者 其中 以上 方面 工作 发展 建设 打造 一批 全面 产业 企业 培养 培训 技能 职业 教育 学校 学生 "
    "人才 专业 服务 经济 街道 项目 能力 平台 质量 体系 区域 深化 合作 推进 领域 需求 我市 全市 全省 该校 学院 "
    "负责人 有限公司 工作人员 高质量 新质 赋能 构建 助力 提供 形成".split()
)


# ---- tokenizer: jieba's accurate mode (HMM on), the same tokens at about half the cost ----
# jieba.lcut builds a dict DAG, then a list of (score, end) tuples through a max() over a
# generator, and yields every word through three generators. _route finds the same best
# path in one backward pass over plain lists; the arithmetic and the tie rule (the longer
# word wins an equal score) are jieba's, so the tokens are identical (tests/test_tag.py
# compares them with jieba.lcut; jieba is pinned to 0.42.1, whose internals this reads).
_HAN = re.compile("([\u4e00-\u9fd5a-zA-Z0-9+#&\\._%\\-]+)")  # jieba's re_han_default
_SKIP = re.compile(r"(\r\n|\s)")  # jieba's re_skip_default


# A character that is a token of its own whatever follows (not \r: \r\n is one token).
_BREAK = re.compile("[^\u4e00-\u9fd5a-zA-Z0-9+#&\\._%\\-\r]")
_LONG = 50_000  # characters from which tokens are shared (see tokenize)


def tokenize(text: str) -> list[str]:
    """``jieba.lcut(text)``, computed faster."""
    if len(text) <= _LONG:
        return _tokenize(text, _words())
    # Every token is a new string (~80 bytes) and a long text repeats few words: an 8 MB
    # page gave 1.4 M tokens, 4.5 k distinct, 129 MB. Shared, they take 12 MB. Short texts
    # skip this (it costs ~15 % of tokenising, and their tokens are freed right away).
    words, same, out = _words(), {}, []
    for piece in _pieces(text):
        part = _tokenize(piece, words)
        out += map(same.setdefault, part, part)
    return out


def _pieces(text: str) -> Iterator[str]:
    """The text in pieces of about ``_LONG`` characters, cut where a token ends anyway."""
    start = 0
    while start < len(text):
        hit = _BREAK.search(text, start + _LONG)
        end = hit.end() if hit else len(text)
        yield text[start:end]
        start = end


def _tokenize(text: str, words: _Words) -> list[str]:
    out: list[str] = []
    for i, block in enumerate(_HAN.split(text)):
        if i % 2:  # split() with a group: odd pieces are the matches (Chinese/alphanumeric runs)
            _cut_block(block, words, out)
        elif block:
            for piece in _SKIP.split(block):
                if _SKIP.match(piece):
                    out.append(piece)
                else:
                    out.extend(piece)  # punctuation: one token per character
    return out


_UNSEEN = object()


@dataclass
class _Words:
    """jieba's dictionary as log-probabilities, kept for the fragments looked up so far:
    None for a fragment that starts no word, 0.0 for a prefix that is no word itself
    (a real word's log-probability is never 0: that would take all of the total)."""

    freq: dict[str, int]
    total: int
    logtotal: float
    logp: dict[str, float | None]

    def learn(self, frag: str) -> float | None:
        f = self.freq.get(frag)
        value = None if f is None else (log(f) - self.logtotal if f else 0.0)  # jieba's own sum, in its order
        self.logp[frag] = value
        return value


_WORDS: list[_Words] = []


def _words() -> _Words:
    jieba, *_ = _jieba()
    freq, total = jieba.dt.FREQ, jieba.dt.total  # type: ignore[attr-defined]
    # jieba.add_word changes the total: start over then. Also past 2^18 fragments (~37 MB;
    # the 447 files of the shared corpus look up 390k): relearning costs less than memory.
    if not _WORDS or _WORDS[0].freq is not freq or _WORDS[0].total != total or len(_WORDS[0].logp) > 1 << 18:
        _WORDS[:] = [_Words(freq, total, log(total), {})]
    return _WORDS[0]


def _route(block: str, words: _Words) -> list[int]:
    """End index of the best word starting at each position (jieba's get_DAG + calc)."""
    n, logp = len(block), words.logp
    score = [0.0] * (n + 1)
    end = list(range(n + 1))
    for k in range(n - 1, -1, -1):
        best, at, found = -words.logtotal + score[k + 1], k, False  # an unknown single character
        i, frag = k, block[k]
        while True:
            if (value := logp.get(frag, _UNSEEN)) is _UNSEEN:
                value = words.learn(frag)
            if value is None:
                break
            if value and ((s := value + score[i + 1]) >= best or not found):
                best, at, found = s, i, True
            i += 1
            if i == n:
                break
            frag = block[k : i + 1]
        score[k], end[k] = best, at
    return end


def _cut_block(block: str, words: _Words, out: list[str]) -> None:
    """Words of one run along the best route; runs of single characters not in the
    dictionary go to jieba's HMM (finalseg), as jieba's __cut_DAG does."""
    end = _route(block, words)
    x, buf = 0, ""
    while x < len(block):
        y = end[x] + 1
        if y - x == 1:
            buf += block[x]
        else:
            if buf:
                _flush(buf, words.freq, out)
                buf = ""
            out.append(block[x:y])
        x = y
    if buf:
        _flush(buf, words.freq, out)


def _flush(buf: str, freq: dict[str, int], out: list[str]) -> None:
    if len(buf) == 1:
        out.append(buf)
    elif not freq.get(buf):
        out.extend(_hmm(buf))
    else:
        out.extend(buf)


@lru_cache(maxsize=1 << 15)
def _hmm(buf: str) -> tuple[str, ...]:
    """jieba's HMM over a run of unknown characters (names, rare words). Such runs repeat:
    ~90 % of them are repeats, in the shared real corpus as in the synthetic one."""
    from jieba import finalseg

    return tuple(finalseg.cut(buf))


def keywords(tokens: list[str], count: int) -> dict[str, float]:
    """TF-IDF over the article's own tokens with jieba's IDF table (what extract_tags does,
    without cutting the text a second time)."""
    _, idf, median, stop = _jieba()
    places = gazetteer()  # places are shown as regions already
    # Count first, then test each distinct token once (about half as many tests).
    tf = {
        t: n
        for t, n in Counter(tokens).items()
        if _WORD.fullmatch(t) and t not in stop and t not in places and not t.isdigit()
    }
    total = sum(tf.values()) or 1
    weights = {w: n / total * idf.get(w, median) for w, n in tf.items()}
    top = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:count]
    return dict(top)


def tag(title: str, text: str, taxonomy: tuple[Topic, ...], count: int = 8) -> TagResult:
    title_tokens = tokenize(title)
    body_tokens = tokenize(text)
    weights = keywords(title_tokens + body_tokens, count * 3)
    return TagResult(
        regions=regions(title_tokens, body_tokens),
        topics=topics(text, title, taxonomy),
        keywords=tuple(list(weights)[:count]),
        weights=weights,
        tokens=(*title_tokens, "\n", *body_tokens),
    )
