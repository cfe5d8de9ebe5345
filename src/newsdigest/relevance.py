"""Relevance: how well an article fits the watch profile, with the reasons.

A profile is a set of weighted terms (words or phrases), terms that exclude, an optional
region scope and a threshold. An article's score adds, for every term it contains:

- ``TITLE_POINTS × weight`` when the term is in the title (a headline mention qualifies);
- ``weight × (1 + ½ + ¼ + …)`` for its body mentions: repeated mentions saturate at twice
  the weight, so one word said twenty times does not make an article relevant;

and the body part is scaled by ``√(REF_CHARS / length)``, at most ``MAX_BOOST``: a passing
mention in a long text on another subject counts for less than in a typical news item, and a
mention in a brief of a few sentences for more (it is a larger share of what the brief says).
The article is relevant when the score reaches the threshold, no exclude term occurs, and,
with ``only``, one of its regions is in the scope. Everything is deterministic and each
matched term says where it matched, so a reader can redo the sum.

Topics (sections of the digest) are scored the same way, one small profile per topic.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from math import sqrt
from typing import Any

TITLE_POINTS = 3.0  # a title mention counts as much as three body mentions would without saturation
REF_CHARS = 1500  # a typical news item; longer bodies have their body points scaled down
MAX_BOOST = 2.0  # shorter ones up, to at most twice (reached at 375 characters)
SATURATION = 0.5  # each further body mention of a term counts half the previous one
MAX_MENTIONS = 8  # beyond this the series adds nothing visible
DEFAULT_THRESHOLD = 3.0

# The default watch vocabulary: 产教融合 and what goes with it (vocational education, skilled
# work, school–enterprise co-operation) and the regional industrial economy it serves.
# Core terms weigh 2, others 1–1.5; with the threshold of 3, any term in a headline qualifies,
# and so does one core term in a news item of typical length (up to ~2,700 characters), while
# one passing mention in a longer text on another subject does not.
DEFAULT_TERMS: dict[str, float] = {
    "产教融合": 2.0,
    "产教联合体": 2.0,
    "校企合作": 2.0,
    "产业学院": 2.0,
    "现代学徒制": 2.0,
    "新型学徒制": 2.0,
    "学徒": 1.0,
    "工学交替": 2.0,
    "校中厂": 2.0,
    "厂中校": 2.0,
    "校企": 1.5,
    "工学一体化": 2.0,
    "订单班": 2.0,
    "职业教育": 2.0,
    "职教": 1.5,
    "职业院校": 2.0,
    "技工院校": 2.0,
    "技工学校": 2.0,
    "技师学院": 2.0,
    "职业技术学院": 2.0,
    "职业学院": 1.5,
    "职业学校": 2.0,
    "职校": 1.5,
    "职业本科": 2.0,
    "中职": 1.5,
    "高职": 1.5,
    "技能人才": 2.0,
    "高技能人才": 2.0,
    "职业技能": 1.5,
    "技能培训": 1.5,
    "技能大赛": 1.5,
    "技能等级": 1.5,
    "技能大师": 1.5,
    "技能型社会": 2.0,
    "工匠": 1.0,
    "技师": 1.0,
    "实训": 1.0,
    "双师": 1.0,
    "产业工人": 1.0,
    "技术工人": 1.5,
    "职工培训": 1.5,
    "岗前培训": 1.5,
    "技能提升": 1.5,
    "区域经济": 1.5,
    "产业集群": 1.5,
    "产业链": 1.0,
    "规上工业": 1.5,
    "规上企业": 1.0,
    "招商引资": 1.0,
    "营商环境": 1.0,
    "数字经济": 1.0,
    "产城": 1.5,
    "产业体系": 1.0,
    "新兴产业": 1.0,
    "产业园": 1.0,
    "转型升级": 1.0,
    "先进制造业": 1.0,
}


@dataclass(frozen=True)
class Profile:
    """What the reader watches. Built from ``[profile]`` in newsdigest.toml (see ``from_dict``)."""

    terms: tuple[tuple[str, float], ...]
    exclude: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()  # short gazetteer names: 浙江, 杭州, 余杭区 → 余杭
    only: bool = False  # with regions: only in-scope articles qualify (else they rank first)
    threshold: float = DEFAULT_THRESHOLD

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> Profile:
        """``{"terms": {"产教融合": 2, …}, "exclude": […], "regions": […], "only": bool,
        "threshold": float}``; missing keys take the defaults (the 产教融合 vocabulary)."""
        raw = raw or {}
        terms = raw.get("terms") or DEFAULT_TERMS
        if not isinstance(terms, Mapping):  # a plain list: every term weighs 1
            terms = {str(t): 1.0 for t in terms}
        return cls(
            terms=tuple((str(t), float(w)) for t, w in terms.items() if str(t).strip() and float(w) > 0),
            exclude=tuple(str(t) for t in raw.get("exclude", ()) if str(t).strip()),
            regions=tuple(_place(str(r)) for r in raw.get("regions", ()) if str(r).strip()),
            only=bool(raw.get("only", False)),
            threshold=float(raw.get("threshold", DEFAULT_THRESHOLD)),
        )

    @property
    def key(self) -> str:
        """A short fingerprint: a stored relevance scored under another profile is stale."""
        return hashlib.sha1(repr(self).encode()).hexdigest()[:12]

    @classmethod
    def of_keywords(cls, keywords: Iterable[str], threshold: float = DEFAULT_THRESHOLD) -> Profile:
        """A topic's profile: its keywords, each weighing 2 (one title mention makes the topic)."""
        return cls(terms=tuple((k, 2.0) for k in keywords if k), threshold=threshold)


@dataclass(frozen=True)
class Match:
    """One profile term found in the article: mentions in the title and the body, and
    the points they gave (title points + scaled body points)."""

    term: str
    title: int
    body: int
    points: float

    @property
    def where(self) -> str:
        return "title+body" if self.title and self.body else "title" if self.title else "body"

    def as_dict(self) -> dict[str, Any]:
        return {"term": self.term, "where": self.where, "title": self.title, "body": self.body, "points": self.points}


@dataclass(frozen=True)
class Relevance:
    score: float
    relevant: bool
    matched: tuple[Match, ...] = ()
    excluded: tuple[str, ...] = ()  # exclude terms found (any one makes the article off-profile)
    in_scope: bool | None = None  # None: the profile has no region scope
    profile: str = ""  # the key of the profile that gave it

    @property
    def reason(self) -> str:
        """Why the article is in or out, in a few words."""
        if self.excluded:
            return "excluded: " + "、".join(self.excluded)
        if self.in_scope is False and not self.relevant and self.matched:
            return "outside the region scope"
        return f"score {self.score:g}" + ("" if self.relevant else " (below the threshold)")

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "relevant": self.relevant,
            "matched": [m.as_dict() for m in self.matched],
            "excluded": list(self.excluded),
            "in_scope": self.in_scope,
            "profile": self.profile,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> Relevance:
        if not raw:
            return cls(0.0, False)
        return cls(
            score=float(raw.get("score", 0.0)),
            relevant=bool(raw.get("relevant", False)),
            matched=tuple(
                Match(m["term"], int(m.get("title", 0)), int(m.get("body", 0)), float(m.get("points", 0)))
                for m in raw.get("matched", ())
            ),
            excluded=tuple(raw.get("excluded", ())),
            in_scope=raw.get("in_scope"),
            profile=str(raw.get("profile", "")),
        )


_PLACE_SUFFIX = re.compile(r"(?:自治区|自治州|自治县|特别行政区|省|市|县|区|旗|盟)$")


def _place(name: str) -> str:
    """浙江省 → 浙江, 杭州市 → 杭州: regions are stored by their short names."""
    name = name.strip()
    short = _PLACE_SUFFIX.sub("", name)
    return short if len(short) >= 2 else name


@lru_cache(maxsize=64)
def _pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    """One alternation, longest terms first: 高技能人才 is counted once, not also as 技能人才."""
    if not terms:
        return None
    ordered = sorted(set(terms), key=lambda t: (-len(t), t))
    return re.compile("|".join(re.escape(t) for t in ordered), re.I)


def _counts(pattern: re.Pattern[str] | None, text: str) -> dict[str, int]:
    found: dict[str, int] = {}
    if pattern is not None:
        for m in pattern.finditer(text):
            key = m.group(0)
            found[key] = found.get(key, 0) + 1
    return found


def _fold(counts: dict[str, int], terms: tuple[str, ...]) -> dict[str, int]:
    """Case-insensitive hits back onto the profile's own spelling of each term."""
    canon = {t.lower(): t for t in terms}
    out: dict[str, int] = {}
    for hit, n in counts.items():
        term = canon.get(hit.lower(), hit)
        out[term] = out.get(term, 0) + n
    return out


def saturate(mentions: int) -> float:
    """1, 1.5, 1.75, … : repeated mentions add less and less, never more than 2."""
    n = min(mentions, MAX_MENTIONS)
    return (1 - SATURATION**n) / (1 - SATURATION)


def length_factor(chars: int) -> float:
    """Body points are scaled by √(REF_CHARS/length), at most MAX_BOOST."""
    return min(MAX_BOOST, sqrt(REF_CHARS / max(chars, 1)))


def _matches(profile: Profile, title: str, body: str) -> tuple[Match, ...]:
    words = tuple(t for t, _ in profile.terms)
    pattern = _pattern(words)
    in_title = _fold(_counts(pattern, title), words)
    in_body = _fold(_counts(pattern, body), words)
    factor = length_factor(len(body))
    out = []
    for term, weight in profile.terms:
        t, b = in_title.get(term, 0), in_body.get(term, 0)
        if t or b:
            points = weight * (TITLE_POINTS * (t > 0) + factor * (saturate(b) if b else 0.0))
            out.append(Match(term, t, b, round(points, 2)))
    return tuple(sorted(out, key=lambda m: (-m.points, m.term)))


def in_scope(profile: Profile, regions: Iterable[str], title: str, body: str) -> bool | None:
    """None without a scope; else whether the article's regions (province and city from
    ``tag``) name a scoped place, or a scoped county is in the title or twice in the body."""
    if not profile.regions:
        return None
    tagged = set(regions)
    return any(r in tagged or r in title or body.count(r) >= 2 for r in profile.regions)


def score(profile: Profile, title: str, body: str, regions: Iterable[str] = ()) -> Relevance:
    """The article's relevance to the profile (see the module docstring for the sum)."""
    matched = _matches(profile, title, body)
    total = round(sum(m.points for m in matched), 2)
    excluded = tuple(t for t in profile.exclude if t.lower() in title.lower() or t.lower() in body.lower())
    scope = in_scope(profile, regions, title, body)
    relevant = total >= profile.threshold and not excluded and not (profile.only and scope is False)
    return Relevance(total, relevant, matched, excluded, scope, profile.key)


Judge = Callable[[Any], "Relevance"]


def judge(profile: Profile) -> Judge:
    """An article's relevance under ``profile``: the stored one when that profile gave it,
    else scored now (articles stored before m0005, or after the profile changed). The
    article is anything with ``title``, ``text``, ``regions`` and ``relevance``."""
    key = profile.key

    def of(article: Any) -> Relevance:
        stored = getattr(article, "relevance", None)
        if stored is not None and stored.profile == key:
            return stored
        return score(profile, article.title, article.text, article.regions)

    return of


def topics(title: str, body: str, named: Iterable[tuple[str, tuple[str, ...]]]) -> tuple[str, ...]:
    """Names of the topics whose keywords score past the threshold, best first."""
    scored = []
    for name, keywords in named:
        result = score(Profile.of_keywords(keywords), title, body)
        if result.relevant:
            scored.append((-result.score, name))
    return tuple(name for _, name in sorted(scored))


def rank_key(rel: Relevance) -> tuple[int, float]:
    """Sort key: in-scope articles first, then by score (higher first)."""
    return (0 if rel.in_scope is not False else 1, -rel.score)
