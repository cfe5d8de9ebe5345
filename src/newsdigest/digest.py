"""The weekly digest: stored articles → a view model → HTML email, plain text, archive.

A week holds the articles FIRST SEEN in it (monitoring semantics: what reached us
this week), grouped into stories and sectioned by topic. Rendering is
deterministic: the same stored data gives byte-identical files (no clock reads,
every ordering has a total tie-break), so a rerun rewrites the same digest.

The HTML is built for mail clients: table layout, CSS inlined at render time (many
clients drop ``<style>``), no scripts, SVG, external images or fonts, and a fluid
width capped at 640 px so that it reads on a 375 px phone without media queries.
"""

from __future__ import annotations

import html as htmllib
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import css_inline
import jinja2

from newsdigest import entities, relevance, selection
from newsdigest.models import RemovedKind, StoredArticle, StoredWeek, Topic
from newsdigest.stories import Story, group_stories, outlet


def _templates_folder() -> Path:
    """The wheel ships the templates inside the package (pyproject's force-include); a checkout
    or an editable install keeps them in the top-level `templates/` the project card asks for."""
    packaged = Path(__file__).resolve().parent / "templates"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "templates"


TEMPLATES = _templates_folder()
DEFAULT_TZ = "Asia/Shanghai"
DEFAULT_SUBJECT = "{title} {week} · {count} 条新闻"
DEFAULT_TITLE = "产教融合周报"
OTHER_TOPIC = "其他"
TOP_KEYWORDS = 10
# Gmail clips a message whose HTML passes ~102 KB; keep a margin below it.
EMAIL_BUDGET = 100 * 1024
EMAIL_DROPPED = 20  # dropped inputs listed per source in an email over budget (the archive lists all)
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.I)
_CLASS_ATTR = re.compile(r' class="[^"]*"')
_TITLE = re.compile(r"<title>(.*?)</title>", re.S)
# Chinese labels of the cleaner's removal kinds; unknown kinds show as they are.
KIND_LABELS = {
    RemovedKind.SPAM: "垃圾链接",
    RemovedKind.CHROME: "页面杂项",
    RemovedKind.SIDEBAR: "侧栏列表",
    RemovedKind.CAPTION: "图片说明",
    RemovedKind.METADATA: "元数据行",
    RemovedKind.DUPLICATE: "重复段落",
    RemovedKind.BANNER: "横幅",
    RemovedKind.TITLE: "标题",
    RemovedKind.SUBTITLE: "副标题",
    RemovedKind.BYLINE: "署名行",
    RemovedKind.BOILERPLATE: "模板文字",
}


@dataclass(frozen=True)
class DigestSettings:
    """What the digest takes from the configuration ([digest], the topics, the watch profile)."""

    archive: Path  # the archive folder: STATE/digests
    title: str = DEFAULT_TITLE
    subject: str = DEFAULT_SUBJECT  # a format string of {title}, {week} and {count}
    timezone: str | None = None  # the week's days and dates; None: DEFAULT_TZ
    templates: Path = TEMPLATES
    topics: tuple[Topic, ...] = ()  # the sections, in this order
    profile: relevance.Profile = field(default_factory=lambda: relevance.Profile.from_dict(None))


@dataclass(frozen=True)
class DigestResult:
    """One rendered week: its texts, where they were written, and its counts.

    ``html`` is the email's HTML: the archived file, unless the week is too big for a
    mail client, when the email keeps each section's top stories only.
    """

    week: str
    subject: str
    html: str
    text: str
    html_path: Path
    text_path: Path
    index_path: Path
    stories: int
    articles: int

    @property
    def paths(self) -> tuple[Path, Path, Path]:
        return (self.html_path, self.text_path, self.index_path)


@dataclass(frozen=True)
class StoryView:
    id: str
    title: str
    url: str | None
    source: str
    also: str  # "新华网, 澎湃新闻 (2)" or "": dedupe's "also carried by"
    date: str  # "发布 2025-06-03" or "收录 2025-06-05"
    regions: tuple[str, ...]
    summary: str
    count: int
    continuing: bool  # the story began in an earlier week


@dataclass(frozen=True)
class Section:
    name: str
    stories: tuple[StoryView, ...]
    hidden: int = 0  # stories left out of the email to stay under Gmail's clipping size


@dataclass(frozen=True)
class Bar:
    keyword: str
    now: int
    before: int
    now_pct: int
    before_pct: int


@dataclass(frozen=True)
class Coverage:
    source: str
    fetched: int
    articles: int
    new: int
    dropped: tuple[str, ...]
    off_profile: int = 0  # articles not relevant to the watch profile (stored, not in the email)


@dataclass(frozen=True)
class Week(StoredWeek):
    """One ISO week (``iso_week``) and what the store holds for it (``week_of``)."""

    label: str
    start: datetime
    end: datetime


# ---------------------------------------------------------------- weeks


def _zone(tz: str | None) -> ZoneInfo:
    return ZoneInfo(tz or DEFAULT_TZ)


def iso_week(value: str | None, today: date | None = None, tz: str | None = None) -> tuple[str, datetime, datetime]:
    """The ISO week "YYYY-Www" and its [start, end) as naive UTC (how first_seen is stored).

    The week runs Monday 00:00 to Monday 00:00 in ``tz`` (the configured timezone);
    ``value`` None means the week of ``today`` (default: today in ``tz``).
    """
    zone = _zone(tz)
    if value is None:
        year, week, _ = (today or datetime.now(zone).date()).isocalendar()
    else:
        match = _WEEK.match(value.strip())
        if not match:
            raise ValueError(f"week must look like 2025-W23, not {value!r}")
        year, week = int(match[1]), int(match[2])
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ValueError(f"{year} has no ISO week {week}") from None
    start = datetime.combine(monday, datetime.min.time(), zone).astimezone(UTC).replace(tzinfo=None)
    end = datetime.combine(monday + timedelta(days=7), datetime.min.time(), zone).astimezone(UTC).replace(tzinfo=None)
    return f"{year}-W{week:02d}", start, end


def _local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.replace(tzinfo=UTC).astimezone(zone).date()


# ---------------------------------------------------------------- stories


def safe_url(url: str | None) -> str | None:
    """Only absolute http(s) links reach the digest: never javascript:, data: or file paths."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc or any(c in url for c in " \n\r\t\"'<>"):
        return None
    return url


def _link(a: StoredArticle) -> str | None:
    return safe_url(a.url) or safe_url(a.origin)


def _story_day(a: StoredArticle, zone: ZoneInfo) -> date:
    return a.published or _local_date(a.first_seen, zone)


def _relevance(story: Story, topic: str, keywords: dict[str, tuple[str, ...]]) -> int:
    text = story.origin.title + story.origin.summary + " ".join(story.origin.keywords)
    return sum(text.count(k) for k in keywords.get(topic, ())) + (topic in story.origin.title)


def _primary_topic(story: Story, order: list[str], keywords: dict[str, tuple[str, ...]]) -> str:
    topics = [t for t in story.origin.topics if t] or [OTHER_TOPIC]
    rank = {t: i for i, t in enumerate(order)}
    return min(topics, key=lambda t: (-_relevance(story, t, keywords), rank.get(t, len(rank)), t))


def _view(story: Story, zone: ZoneInfo, continuing: bool) -> StoryView:
    a = story.origin
    when = f"发布 {a.published.isoformat()}" if a.published else f"收录 {_local_date(a.first_seen, zone).isoformat()}"
    return StoryView(
        id=story.id,
        title=a.title,
        url=_link(a),
        source=outlet(a),
        also=story.carried_by,
        date=when,
        regions=a.regions,
        summary=a.summary,
        count=len(story.members),
        continuing=continuing,
    )


def sections(stories: list[Story], topics: tuple[Topic, ...], zone: ZoneInfo, earlier: set[str]) -> list[Section]:
    """Stories by primary topic, taxonomy order; within a section in the order given
    (``selection.rank``: relevance, coverage, recency)."""
    keywords = {t.name: t.keywords for t in topics}
    order = [t.name for t in topics]
    buckets: dict[str, list[Story]] = defaultdict(list)
    for s in stories:
        buckets[_primary_topic(s, order, keywords)].append(s)
    names = [n for n in order if n in buckets] + sorted(n for n in buckets if n not in order and n != OTHER_TOPIC)
    names += [OTHER_TOPIC] if OTHER_TOPIC in buckets else []
    return [Section(n, tuple(_view(s, zone, s.id in earlier) for s in buckets[n])) for n in names]


@dataclass(frozen=True)
class OffProfile:
    """An off-profile story, listed collapsed in the archive page only."""

    title: str
    url: str | None
    source: str
    why: str  # "score 1.5 (below the threshold)", "excluded: …"


def _off_view(story: Story, judge: relevance.Judge) -> OffProfile:
    a = story.origin
    return OffProfile(a.title, _link(a), outlet(a), selection.story_relevance(story, judge).reason)


def _story_days(zone: ZoneInfo) -> Callable[[Story], date]:
    return lambda s: max(_story_day(a, zone) for a in s.members)


# ---------------------------------------------------------------- keywords and coverage


def keyword_bars(now: list[StoredArticle], before: list[StoredArticle], top: int = TOP_KEYWORDS) -> list[Bar]:
    """The week's top keywords (articles mentioning them) next to the previous week's counts."""
    this = Counter(k for a in now for k in set(a.keywords))
    last = Counter(k for a in before for k in set(a.keywords))
    chosen = sorted(this, key=lambda k: (-this[k], k))[:top]
    peak = max([this[k] for k in chosen] + [last[k] for k in chosen] + [1])
    return [Bar(k, this[k], last[k], round(100 * this[k] / peak), round(100 * last[k] / peak)) for k in chosen]


def _input_source(origin: str, by_origin: dict[str, str | None]) -> str:
    """Where a rejected input came from: its document's configured source, else host or folder."""
    if by_origin.get(origin):
        return str(by_origin[origin])
    parts = urlsplit(origin)
    if parts.scheme in {"http", "https"} and parts.hostname:
        return parts.hostname
    return Path(origin).parent.name or "输入"


def _short(title: str, limit: int = 24) -> str:
    return title if len(title) <= limit else title[:limit] + "…"


def _removed_line(items: list[StoredArticle]) -> str | None:
    total: Counter = Counter()
    for a in items:
        total.update(a.removed_counts)
    if not total:
        return None
    parts = [f"{KIND_LABELS.get(k, k)} {n} 块" for k, n in sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))]
    return "清除 " + "、".join(parts)


def coverage(week: Week, stories: list[Story], off: set[str] = frozenset()) -> list[Coverage]:
    """Per configured source: inputs fetched, articles, new stories, and what was dropped and why."""
    by_origin = {d.origin: d.source for d in week.documents}
    source_of = {a.id: week.doc_source.get(a.id) or outlet(a) for a in week.articles}
    origin_of = {s.id: s.origin for s in stories}
    fetched: Counter = Counter(d.source or _input_source(d.origin, {}) for d in week.documents)
    dropped: dict[str, list[str]] = defaultdict(list)
    for r in week.rejects:
        src = _input_source(r["origin"], by_origin)
        fetched[src] += r["origin"] not in by_origin  # a fetch error never became a document
        dropped[src].append(f"{Path(r['origin']).name or r['origin']}: {r['reason']}")
    per_source: dict[str, list[StoredArticle]] = defaultdict(list)
    for a in week.articles:
        per_source[source_of[a.id]].append(a)
        first = origin_of[a.story]
        if first.id != a.id and a.story not in off:  # off-profile reprints are only counted
            dropped[source_of[a.id]].append(f"重复：《{_short(a.title)}》并入 {outlet(first)} 的同题报道")
    out = []
    for src in sorted(set(fetched) | set(per_source) | set(dropped)):
        items = per_source.get(src, [])
        removed = _removed_line(items)
        new = sum(origin_of[a.story].id == a.id and a.story not in week.earlier_stories for a in items)
        out.append(
            Coverage(
                src,
                fetched.get(src, 0) or len({a.origin for a in items}),
                len(items),
                new,
                tuple(dropped.get(src, [])) + ((removed,) if removed else ()),
                sum(a.story in off for a in items),
            )
        )
    return out


def week_of(label: str, start: datetime, end: datetime, got: StoredWeek) -> Week:
    """The week ``iso_week`` named, with what the store read for it (``store.load_week``)."""
    return Week(**vars(got), label=label, start=start, end=end)


# ---------------------------------------------------------------- rendering


def _env(templates: Path = TEMPLATES) -> jinja2.Environment:
    return _env_for(str(templates))


@lru_cache(maxsize=4)
def _env_for(folder: str) -> jinja2.Environment:
    """One environment per templates folder and process, so each template is compiled once:
    a digest renders two to four times (archive, email, a trimmed email) and then the index.
    The loader still notices a template edited on disk (jinja checks its mtime)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def inline_css(html: str) -> str:
    """Move the ``<style>`` rules onto the elements, then drop the now useless class names."""
    inlined = css_inline.inline(html, keep_style_tags=False, load_remote_stylesheets=False)
    return _CLASS_ATTR.sub("", inlined)


def subject_of(settings: DigestSettings, label: str, count: int) -> str:
    try:
        return settings.subject.format(title=settings.title, week=label, count=count)
    except (KeyError, IndexError, ValueError):
        return DEFAULT_SUBJECT.format(title=settings.title, week=label, count=count)


def _days(start: datetime, zone: ZoneInfo) -> str:
    first = _local_date(start, zone)
    return f"{first.isoformat()} – {(first + timedelta(days=6)).isoformat()}"


def model(settings: DigestSettings, week: Week) -> dict[str, Any]:
    """The view model both templates render: plain values only. The stories are the week's
    relevant ones (the watch profile); off-profile ones are counted, and listed in the archive."""
    zone = _zone(settings.timezone)
    judge = _cached(relevance.judge(settings.profile))
    stories = group_stories(week.articles)
    kept, off = selection.split(stories, judge)
    ranked = selection.rank(kept, judge, _story_days(zone))
    removed: Counter = Counter()
    for a in week.articles:
        removed.update(a.removed_counts)
    new_stories = [s for s in kept if s.id not in week.earlier_stories]
    counts = {
        "stories": len(kept),
        "new_stories": len(new_stories),
        "articles": len(week.articles),
        "outlets": len({outlet(a) for a in week.articles}),
        "duplicates": len(week.articles) - len(stories),
        "off_profile": sum(len(s.members) for s in off),
        "spam": removed.get(RemovedKind.SPAM, 0),
        "chrome": removed.get(RemovedKind.CHROME, 0),
        "removed": sum(removed.values()),
    }
    return {
        "title": settings.title,
        "week": week.label,
        "days": _days(week.start, zone),
        "counts": counts,
        "subject": subject_of(settings, week.label, len(kept)),
        "sections": sections(ranked, settings.topics, zone, week.earlier_stories),
        "who": selection.who(ranked, entities.named),
        "off_stories": [_off_view(s, judge) for s in selection.rank(off, judge, _story_days(zone))],
        "archive": True,  # the archive page lists the off-profile stories; the email does not
        "bars": keyword_bars([a for s in kept for a in s.members], week.previous),
        "coverage": coverage(week, stories, {s.id for s in off}),
    }


def _cached(judge: relevance.Judge) -> relevance.Judge:
    """One judgement per article and build (an article is judged by several steps)."""
    seen: dict[str, relevance.Relevance] = {}
    return lambda a: seen[a.id] if a.id in seen else seen.setdefault(a.id, judge(a))


def render(settings: DigestSettings, view: dict[str, Any]) -> tuple[str, str]:
    """HTML (CSS inlined) and plain text of one week's view model."""
    env = _env(settings.templates)
    html = inline_css(env.get_template("digest.html.j2").render(**view))
    return html, env.get_template("digest.txt.j2").render(**view)


def _trim(view: dict[str, Any], keep: int) -> dict[str, Any]:
    cut = [Section(s.name, s.stories[:keep], len(s.stories) - len(s.stories[:keep])) for s in view["sections"]]
    return {**view, "sections": cut}


def _fits(html: str, text: str, budget: int) -> bool:
    return len(html.encode("utf-8")) <= budget and len(text.encode("utf-8")) <= budget


def _cut_coverage(items: list[Coverage], keep: int, sources: int | None = None) -> list[Coverage]:
    """Each source's dropped inputs cut to ``keep`` lines (and the sources to ``sources``)."""
    out = []
    for c in items[:sources]:
        extra = len(c.dropped) - keep
        more = (f"……另有 {extra} 项，见存档页",) if extra > 0 else ()
        out.append(Coverage(c.source, c.fetched, c.articles, c.new, c.dropped[:keep] + more, c.off_profile))
    if sources is not None and len(items) > sources:
        out.append(Coverage(f"……另有 {len(items) - sources} 个来源，见存档页", 0, 0, 0, ()))
    return out


def _smaller_views(view: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Ever shorter emails: the appendix's lists cut first, then the stories, then the sources."""
    short = {**view, "coverage": _cut_coverage(view["coverage"], EMAIL_DROPPED)}
    yield short
    keep = max((len(s.stories) for s in view["sections"]), default=0)
    while keep > 1:
        keep = keep * 3 // 4
        yield _trim(short, keep)
    sources = len(view["coverage"])
    while sources > 0:
        sources //= 2
        yield {**_trim(short, 1), "coverage": _cut_coverage(view["coverage"], EMAIL_DROPPED, sources)}


def fit_email(
    settings: DigestSettings, view: dict[str, Any], html: str, text: str, budget: int = EMAIL_BUDGET
) -> tuple[str, str]:
    """HTML and text as they are when small enough, else shorter: the appendix lists its first
    dropped inputs per source, then only each section's top stories are kept.

    The archive keeps everything; the email says how many it left out and where they are.
    """
    for smaller in _smaller_views(view):
        if _fits(html, text, budget):
            break
        html, text = render(settings, smaller)
    return html, text


def render_index(settings: DigestSettings, folder: Path) -> str:
    """The archive page: every week in the folder, newest first, titled as its digest is."""
    weeks = []
    for path in sorted(folder.glob("*-W*.html"), reverse=True):
        found = _TITLE.search(path.read_text(encoding="utf-8"))
        weeks.append(
            {
                "week": path.stem,
                "html": path.name,
                "text": path.with_suffix(".txt").name,
                "title": htmllib.unescape(found[1]) if found else path.stem,
            }
        )
    page = _env(settings.templates).get_template("index.html.j2").render(title=settings.title, weeks=weeks)
    return inline_css(page)


def _write(path: Path, content: str) -> None:
    """Write through a temporary file so a reader never sees half a digest."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(content, encoding="utf-8", newline="\n")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)  # a full disk leaves no half-written .tmp behind


def build(settings: DigestSettings, week: Week) -> DigestResult:
    """Render one week into the archive folder and refresh the index (``publish.build``
    reads the week from the store)."""
    label = week.label
    view = model(settings, week)
    html, text = render(settings, view)
    folder = settings.archive
    folder.mkdir(parents=True, exist_ok=True)
    html_path, text_path, index_path = folder / f"{label}.html", folder / f"{label}.txt", folder / "index.html"
    _write(html_path, html)
    _write(text_path, text)
    _write(index_path, render_index(settings, folder))
    mail = {**view, "archive": False}  # the email leaves the off-profile list to the archive
    mail_html, mail_text = fit_email(settings, mail, *render(settings, mail))
    return DigestResult(
        week=label,
        subject=view["subject"],
        html=mail_html,
        text=mail_text,
        html_path=html_path,
        text_path=text_path,
        index_path=index_path,
        stories=view["counts"]["stories"],
        articles=view["counts"]["articles"],
    )
