"""Site and sitemap sources: from a list page or a sitemap to new article pages.

A ``site`` source is a list page. Its article links are found by ``listpage``; links
seen in earlier runs are skipped before any article is fetched. Page 1 is fetched
with the validators of the last run (an unchanged list costs one ``304``); further
pages are followed while the last link of the page just read is still unseen (a first
run, or more new articles than one page holds), up to ``max_pages``. The date beside a
link travels with the article, used when its page shows none.

A ``sitemap`` source is a sitemap, a sitemap index (children fetched when their
``lastmod`` is recent) or a Google News sitemap. Only URLs dated since the last
successful run (a day of slack for time zones), or within ``max_age_days`` on a first
run, are taken; undated URLs seen on a first run are recorded as a baseline, so only
URLs that appear later are fetched.

Every fetch goes through ``fetch.Fetcher`` (politeness, robots.txt, validators). Every
failure is a one-line reason on the source's health record; the run goes on.

A link is marked seen, and page 1's validators kept, only in the transaction that stores
its document (refused links at once). Articles are fetched and stored oldest first; a link
or a later list page left by the run's deadline or failed for now leaves a gap, and the last
link of each newer page is then not marked seen, so the next run's paging goes down to the gap.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine

from newsdigest import decode, listpage, sitemaps, store
from newsdigest.collection import Collected, note_left
from newsdigest.feeds import canonical_link, item_key, sniff
from newsdigest.fetch import PAGE_ACCEPT, Fetched, Fetcher, FetchSettings, Request, Validators, borrowed
from newsdigest.models import Document, Source
from newsdigest.store import fetchstate
from newsdigest.store.fetchstate import Health

SITEMAP_ACCEPT = "application/xml, text/xml;q=0.9, application/x-gzip;q=0.8, */*;q=0.5"
MAX_CHILD_SITEMAPS = 50  # per index and run: a huge index is read over several runs
SLACK = timedelta(days=1)  # lastmod is often a date only, or in the site's time zone


@dataclass(frozen=True)
class Target:
    """An article URL a list page or a sitemap gave us, with what was printed beside it."""

    url: str
    listed: date | None = None
    title: str | None = None
    last_on_page: bool = False  # the link whose being seen ends a run's paging

    @property
    def origin(self) -> str:
        return canonical_link(self.url)

    @property
    def key(self) -> str:
        return item_key("link", self.origin)


@dataclass
class _Run:
    """One site or sitemap source within one collection run."""

    source: Source
    health: Health
    targets: list[Target] = field(default_factory=list)
    baseline: list[Target] = field(default_factory=list)  # recorded as seen, not fetched
    validators: dict[str, Validators] = field(default_factory=dict)  # to save for next run
    keep_validators: bool = True
    seen_keys: dict[str, str] = field(default_factory=dict)  # marked at collection: baseline, rejected
    ready: Fetched | None = None  # the source URL, fetched with every other source's at once
    last_doc: int | None = None  # index of its last document in Collected.documents
    left: int = 0  # fetches the run's deadline left for the next run
    gap: bool = False  # a link was left or failed for now: newer links must not end the next run's paging


def collect_sources(
    settings: FetchSettings, sources: list[Source], engine: Engine, fetcher: Fetcher | None = None
) -> Collected:
    """Fetch site and sitemap sources and their new articles; record state and health."""
    out = Collected()
    runs = [_Run(s, Health(s.name, s.kind, s.location)) for s in sources]
    with borrowed(settings, fetcher) as using:
        _collect(runs, engine, using, out)
    for run in runs:
        note_left(run.health, run.left, out)
    out.health = [r.health for r in runs]
    _save_state(runs, engine, out)
    return out


def _collect(runs: list[_Run], engine: Engine, fetcher: Fetcher, out: Collected) -> None:
    validators = fetchstate.get_validators(engine, (r.source.url or "" for r in runs))
    last = {h["name"]: h["last_success"] for h in fetchstate.load_health(engine)}
    today = datetime.now(UTC).date()
    # Every source's own URL at once (hosts in parallel, each politely); later pages one by one.
    located = [r for r in runs if r.source.url]
    requests = [
        Request(r.source.url or "", validators.get(r.source.url or "") or Validators(), _accept(r)) for r in located
    ]
    for run, fetched in zip(located, fetcher.get_many(requests), strict=True):
        run.ready = fetched
    for run in runs:
        if not run.source.url:
            out.rejected.append(run.health.fail("no url configured"))
        elif run.source.kind == "site":
            crawl_site(run, fetcher, lambda keys: fetchstate.known_keys(engine, keys), validators, today, out)
        else:
            since = _since(run.source, last.get(run.source.name))
            crawl_sitemap(run, fetcher, validators, since, first=last.get(run.source.name) is None, out=out)
    _fresh_targets(runs, engine)
    _fetch_articles(runs, fetcher, out)


def _since(source: Source, last_success: str | None) -> datetime:
    if last_success:
        return datetime.fromisoformat(last_success).replace(tzinfo=UTC) - SLACK
    return datetime.now(UTC) - timedelta(days=source.max_age_days)


def _matches(source: Source, url: str) -> bool:
    if source.include and not re.search(source.include, url):
        return False
    return not (source.exclude and re.search(source.exclude, url))


# --- list pages ---------------------------------------------------------------------


def _accept(run: _Run) -> str:
    return PAGE_ACCEPT if run.source.kind == "site" else SITEMAP_ACCEPT


def _get(run: _Run, fetcher: Fetcher, url: str, validators: dict[str, Validators], accept: str) -> Fetched:
    if run.ready is not None and url == run.source.url:
        fetched, run.ready = run.ready, None
    else:
        fetched = fetcher.get(Request(url, validators.get(url) or Validators(), accept))
    # A site's later list pages are always read in full (paging stops on a seen link, not a 304),
    # so only its page 1 has validators worth keeping; a sitemap keeps its children's too.
    kept = run.source.kind != "site" or url == run.source.url
    if kept and not fetched.error and not fetched.not_modified:
        run.validators[url] = fetched.validators
    return fetched


def _failed(run: _Run, fetched: Fetched, what: str, first: bool, out: Collected) -> bool:
    """Record a failed or unchanged fetch; True when there is nothing to parse."""
    if fetched.left:  # the run's deadline: read again from the top next run
        run.keep_validators, run.left = False, run.left + 1
        if first:
            run.health.status = "left"
        return True
    if fetched.error:
        if first:
            out.rejected.append(run.health.fail(fetched.error))
            run.keep_validators = False
        else:
            out.rejected.append(run.health.reject(fetched.url, f"{what}: {fetched.error}"))
        return True
    if fetched.not_modified:
        if first:
            run.health.status = "not_modified"
        return True
    return False


def crawl_site(
    run: _Run,
    fetcher: Fetcher,
    known: Callable[[list[str]], set[str]],
    validators: dict[str, Validators],
    today: date,
    out: Collected,
) -> None:
    """Read list pages into run.targets: page 1, then further pages while they may hold unseen links."""
    source, url, first = run.source, run.source.url or "", True
    seen: set[str] = set()
    for _ in range(source.max_pages):
        fetched = _get(run, fetcher, url, validators, PAGE_ACCEPT)
        if _failed(run, fetched, "list page", first, out):
            _later_page_gap(run, fetched, first)
            return
        try:
            text = decode.decode(fetched.body, fetched.content_type, source.encoding)
        except decode.DecodeError as exc:
            reason = f"list page not decodable: {exc}"
            out.rejected.append(run.health.fail(reason) if first else run.health.reject(url, reason))
            return
        page = listpage.parse(text, fetched.final_url, today, source.include, source.exclude)
        if first and not page.links:
            kind = sniff(fetched.body, fetched.content_type)
            hint = ' (it serves a feed: use kind = "feed")' if kind in ("feed", "json") else ""
            out.rejected.append(run.health.fail(f"no list of article links found on the page{hint}"))
            return
        targets = [Target(link.url, link.date) for link in page.links if link.url not in seen]
        if targets:
            targets[-1] = replace(targets[-1], last_on_page=True)
        seen.update(t.url for t in targets)
        run.targets += targets
        run.health.seen += len(targets)
        if not page.pages or not targets or known([targets[-1].key]):
            return  # the boundary between new and seen links is on this page
        url, first = page.pages[0], False


def _later_page_gap(run: _Run, fetched: Fetched, first: bool) -> None:
    """A later list page left by the deadline or failed for now may hold unseen links: page 1
    keeps no validators and the pages' last links are not marked seen, so the next run pages
    down to it again."""
    if not first and (fetched.left or (fetched.error and fetched.transient)):
        run.keep_validators, run.gap = False, True


# --- sitemaps -----------------------------------------------------------------------


def crawl_sitemap(
    run: _Run, fetcher: Fetcher, validators: dict[str, Validators], since: datetime, first: bool, out: Collected
) -> None:
    """Read a sitemap (and an index's recent children) into run.targets."""
    queue, done, entries = [(run.source.url or "", 0)], set(), []
    while queue:
        url, depth = queue.pop(0)
        if url in done:
            continue
        done.add(url)
        fetched = _get(run, fetcher, url, validators, SITEMAP_ACCEPT)
        if _failed(run, fetched, "sitemap", depth == 0, out):
            continue
        try:
            found = sitemaps.parse(fetched.body, fetched.final_url)
        except sitemaps.SitemapError as exc:
            if depth == 0:
                out.rejected.append(run.health.fail(str(exc)))
            else:
                out.rejected.append(run.health.reject(url, f"sitemap: {exc}"))
            continue
        if found.kind == "index":
            children = [c for c in found.entries if c.when is None or c.when >= since]
            queue += [(c.loc, depth + 1) for c in children[:MAX_CHILD_SITEMAPS] if depth < 2]
        else:
            entries += found.entries
    dated, undated = sitemaps.recent(entries, since)
    wanted = [e for e in dated + ([] if first else undated) if _matches(run.source, e.loc)]
    run.targets = [Target(e.loc, e.published, e.title) for e in wanted]
    run.baseline = [Target(e.loc) for e in undated] if first else []
    run.health.seen = len(entries)


# --- articles -----------------------------------------------------------------------


def _fresh_targets(runs: list[_Run], engine: Engine) -> None:
    """Drop targets seen in earlier runs or earlier in this one; at most max_items per source."""
    known = fetchstate.known_keys(engine, (t.key for r in runs for t in r.targets))
    for run in runs:
        fresh = []
        for target in run.targets:
            if target.key not in known and len(fresh) < run.source.max_items:
                fresh.append(target)
                known.add(target.key)
        run.targets = fresh
        run.health.new = len(fresh)
        run.seen_keys.update(dict.fromkeys((t.key for t in run.baseline), run.source.name))


def _document(run: _Run, target: Target, page: Fetched) -> Document | str:
    ctype = page.content_type or ""
    media = ctype.split(";")[0].strip().lower()
    if sniff(page.body, ctype) != "html" and "html" not in media:
        return f"not an HTML page ({media or 'unknown type'})"
    return Document(
        origin=target.origin,
        data=page.body,
        content_type=ctype if "html" in media else "text/html",
        source=run.source.name,
        url=page.final_url,
        encoding=run.source.encoding,
        title_hint=target.title,
        listed_date=target.listed,
        seen=(target.key,),  # marked seen in the transaction that stores it
    )


def _fetch_articles(runs: list[_Run], fetcher: Fetcher, out: Collected) -> None:
    # Oldest first, so stored (and marked seen) oldest first: after a kill, a stored link on
    # page 1 still means every older one was stored, and the next run's paging can stop there.
    pairs = [(run, t) for run in runs for t in reversed(run.targets)]
    pages = fetcher.get_many(Request(t.url, accept=PAGE_ACCEPT) for _, t in pairs)
    for (run, target), page in zip(pairs, pages, strict=True):
        if page.left or (page.error and page.transient):  # not marked seen: the next run takes it
            _gap(run, target, page, out)
            continue
        doc = page.error or _document(run, target, page)
        # A page's last link newer than a gap is not marked seen, so the next run's paging reaches
        # the gap (a seen last link ends it); fetched again, it is known as a stored document.
        marks = not (run.gap and target.last_on_page)
        if isinstance(doc, str):  # refused for good: marked seen now
            out.rejected.append(run.health.reject(target.origin, f"article page: {doc}"))
            run.seen_keys.update({target.key: run.source.name} if marks else {})
        else:  # marked seen when it is stored (issue 11: a kill in between loses nothing)
            out.documents.append(doc if marks else replace(doc, seen=()))
            run.last_doc = len(out.documents) - 1


def _gap(run: _Run, target: Target, page: Fetched, out: Collected) -> None:
    """A link left by the run's deadline or failed for now: the list page is read in full again."""
    run.keep_validators, run.gap = False, True
    if page.left:
        run.left += 1
    else:
        out.rejected.append(run.health.reject(target.origin, f"article page: {page.error} (will retry)"))


def _save_state(runs: list[_Run], engine: Engine, out: Collected) -> None:
    at = store.now()
    keep = {u: v for r in runs if r.keep_validators and r.health.status != "error" for u, v in r.validators.items()}
    for r in runs:  # a source's list pages' (sitemaps') validators are stored with its last document
        if r.last_doc is not None and (mine := {u: keep.pop(u) for u in r.validators if u in keep}):
            travel = tuple((u, v.etag, v.last_modified) for u, v in mine.items())
            out.documents[r.last_doc] = replace(out.documents[r.last_doc], completes=travel)
    fetchstate.save_validators(engine, keep, at)
    seen: dict[str, str] = {}
    for r in runs:
        seen.update(r.seen_keys)
    fetchstate.mark_seen(engine, seen, at)
    fetchstate.record_health(engine, out.health, at)
