"""Collecting network sources: fetch feeds and pages, skip what was seen, make Documents.

A source is fetched by ``fetch`` (conditional request; 304 means nothing more to do) and
parsed by ``feeds``. Items already seen (by guid, then canonical link, then content
hash) are skipped before any page is fetched. An item whose feed carries only a summary
gets its article page fetched when the source says ``full_text = true``; that page
travels as HTML for the pipeline's extractor. Every failure is a one-line reason on the
source's health record; the other sources and items go on. The fetch state (validators,
seen items, health) is read and written through ``store.fetchstate``, on the engine the
caller passes in.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy import Engine

from newsdigest import store
from newsdigest.feeds import FeedError, Item, canonical_link, parse, sniff
from newsdigest.fetch import FEED_ACCEPT, PAGE_ACCEPT, Fetched, Fetcher, FetchSettings, Request, Validators, borrowed
from newsdigest.models import Document, Rejected, Source
from newsdigest.store import fetchstate
from newsdigest.store.fetchstate import Health


@dataclass
class Collected:
    """Documents for the pipeline, inputs that failed before it, and each source's health."""

    documents: list[Document] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    health: list[Health] = field(default_factory=list)
    left: int = 0  # fetches not made (or cut) before the run's deadline: the next run makes them


def note_left(health: Health, left: int, out: Collected) -> None:
    """What the run's deadline left of one source: one line on its health record, counted in
    ``out.left`` (not a rejected input: nothing is wrong with it, and the next run takes it)."""
    if left:
        health.reject(health.location, f"{left} fetches left for the next run ([run] deadline)")
        out.left += left


@dataclass
class _Run:
    """One source within one collection run."""

    source: Source
    health: Health
    fetched: Fetched | None = None
    items: list[Item] = field(default_factory=list)
    keep_validators: bool = True  # False when an item failed transiently: fetch the feed again next run
    seen_keys: dict[str, str] = field(default_factory=dict)
    last_doc: int | None = None  # index of its last document in Collected.documents
    left: int = 0  # fetches the run's deadline left for the next run


def _document(run: _Run, item: Item) -> Document:
    return Document(
        origin=item.origin,
        data=item.text.encode("utf-8"),
        content_type="text/plain; charset=utf-8",
        source=run.source.name,
        url=item.link,
        title_hint=item.title,
        published_hint=item.published,
        seen=item.keys,
    )


def _page_document(run: _Run, item: Item | None, page: Fetched) -> Document | str:
    """A fetched page as an HTML Document, or why it cannot be one."""
    ctype = page.content_type or ""
    kind, media = sniff(page.body, ctype), ctype.split(";")[0].strip().lower()
    # A page without HTML markup may still be text (text/plain, no header); anything else is not a page.
    if kind != "html" and "html" not in media and (kind in ("feed", "json") or media not in ("", "text/plain")):
        return f"not an HTML page ({media or kind})"
    if page.spooled is not None:
        return "page too large (over the in-memory limit, [fetch] max_bytes)"
    origin = item.origin if item else canonical_link(page.url)
    return Document(
        origin=origin,
        data=page.body,
        content_type=ctype if "html" in ctype.lower() else "text/html",
        source=run.source.name,
        url=page.final_url,
        encoding=run.source.encoding,
        title_hint=item.title if item else None,
        published_hint=item.published if item else None,
        seen=item.keys if item else (),
    )


def _parse_run(run: _Run, out: Collected, max_items: int) -> None:
    """Parse a fetched feed body into run.items, or record why not."""
    fetched = run.fetched
    assert fetched is not None
    try:
        body = fetched.spooled or fetched.body
        feed = parse(body, run.source.url or "", fetched.content_type, run.source.encoding, max_items)
    except FeedError as exc:
        out.rejected.append(run.health.fail(str(exc)))
        return
    if feed.left:  # not marked seen: a later run reads them once the newer ones are known
        run.keep_validators = False
        note = f"{feed.left} older items left for later runs (max_items {max_items})"
        out.rejected.append(run.health.reject(run.source.location, note))
    run.health.bozo = feed.bozo
    run.health.seen = len(feed.items)
    run.items = feed.items


def _fresh_items(runs: list[_Run], engine: Engine) -> None:
    """Drop items seen in earlier runs, or earlier in this run (one query for all sources)."""
    known = fetchstate.known_keys(engine, (k for r in runs for i in r.items for k in i.keys))
    for run in runs:
        fresh = []
        for item in run.items:
            if not known.intersection(item.keys):
                fresh.append(item)
                known.update(item.keys)
        run.items = fresh
        run.health.new = len(fresh)


def _settle_page(run: _Run, item: Item, page: Fetched, out: Collected) -> None:
    if page.left:  # not marked seen, validators not kept: the next run fetches the item's page
        run.keep_validators, run.left = False, run.left + 1
        return
    if page.error:
        run.keep_validators = run.keep_validators and not page.transient
        if page.transient:  # not marked seen: the feed is fetched in full again next time
            out.rejected.append(run.health.reject(item.origin, f"article page: {page.error} (will retry)"))
            return
        out.rejected.append(run.health.reject(item.origin, f"article page: {page.error}"))
    else:
        doc = _page_document(run, item, page)
        if not isinstance(doc, str):
            _hand_over(run, doc, out)
            return
        out.rejected.append(run.health.reject(item.origin, f"article page: {doc}"))
    run.seen_keys.update(dict.fromkeys(item.keys, run.source.name))


def _hand_over(run: _Run, doc: Document, out: Collected) -> None:
    """A document for the pipeline: its item is marked seen when the document is stored (the
    keys travel with it); the feed's validators travel with its last document (``_save_state``)."""
    out.documents.append(doc)
    run.last_doc = len(out.documents) - 1


def _items_to_documents(runs: list[_Run], fetcher: Fetcher, out: Collected) -> None:
    """Text items become Documents; summary-only items of full_text sources get their page fetched."""
    pages: list[tuple[_Run, Item]] = []
    for run in runs:
        for item in run.items:
            if run.source.full_text and not item.full and item.link:
                pages.append((run, item))
                continue
            if item.text.strip():
                _hand_over(run, _document(run, item), out)
            else:
                run.seen_keys.update(dict.fromkeys(item.keys, run.source.name))
                out.rejected.append(run.health.reject(item.origin, "feed item has no text (title only)"))
    fetched = fetcher.get_many(Request(item.link or "", accept=PAGE_ACCEPT) for _, item in pages)
    for (run, item), page in zip(pages, fetched, strict=True):
        _settle_page(run, item, page, out)


def _handle_fetched(run: _Run, out: Collected) -> bool:
    """Classify the source's own fetch; True when its body needs parsing as a feed."""
    fetched, health = run.fetched, run.health
    assert fetched is not None
    if fetched.left:
        health.status, run.keep_validators, run.left = "left", False, 1
        return False
    if fetched.error:
        out.rejected.append(health.fail(fetched.error))
        run.keep_validators = False
        return False
    if fetched.not_modified:
        health.status = "not_modified"
        return False
    kind = run.source.kind
    if kind == "auto":  # an ad-hoc URL: the content says what it is
        kind = "page" if sniff(fetched.body, fetched.content_type) == "html" else "feed"
        health.kind = kind
    if kind == "feed":
        return True
    doc = _page_document(run, None, fetched)
    health.seen = health.new = 1
    if isinstance(doc, str):
        out.rejected.append(health.reject(run.source.location, doc))
    else:  # its validators travel with it: kept only once it is stored
        _hand_over(run, doc, out)
    return False


def collect(
    settings: FetchSettings,
    sources: list[Source],
    engine: Engine,
    fetcher: Fetcher | None = None,
    deadline: float | None = None,
) -> Collected:
    """Fetch feed and page sources (kind ``auto`` is sniffed) and record their state and health.
    ``deadline`` (the run's, for a fetcher of our own) stops new fetches; what it left is counted."""
    out = Collected()
    runs = [_Run(s, Health(s.name, s.kind, s.location)) for s in sources]
    for run in runs:
        if not run.source.url:
            out.rejected.append(run.health.fail("no url configured"))
    with borrowed(settings, fetcher, deadline) as using:
        _collect([r for r in runs if r.source.url], engine, using, out)
    for run in runs:
        note_left(run.health, run.left, out)
    out.health = [r.health for r in runs]
    _save_state(runs, engine, out)
    return out


def _collect(runs: list[_Run], engine: Engine, fetcher: Fetcher, out: Collected) -> None:
    validators = fetchstate.get_validators(engine, (r.source.url or "" for r in runs))
    requests = [
        Request(
            r.source.url or "",
            validators.get(r.source.url or "") or Validators(),
            PAGE_ACCEPT if r.source.kind == "page" else FEED_ACCEPT,
            spool=r.source.kind != "page",  # a large feed is read in bounded memory (feedbounds)
        )
        for r in runs
    ]
    for run, fetched in zip(runs, fetcher.get_many(requests), strict=True):
        run.fetched = fetched
        if _handle_fetched(run, out):
            _parse_run(run, out, fetcher.settings.max_items)
    feeds = [r for r in runs if r.items]
    _fresh_items(feeds, engine)
    _items_to_documents(feeds, fetcher, out)


def _save_state(runs: list[_Run], engine: Engine, out: Collected) -> None:
    at = store.now()
    # A source that failed keeps no validators, so the next run fetches it in full and reports again.
    keep = {
        r.source.url or "": r.fetched.validators
        for r in runs
        if r.fetched and not r.fetched.not_modified and r.keep_validators and r.health.status != "error"
    }
    for r in runs:  # stored with the feed's last document (batches are saved in order), not before
        if r.last_doc is not None and (url := r.source.url or "") in keep:
            v = keep.pop(url)
            out.documents[r.last_doc] = replace(out.documents[r.last_doc], completes=((url, v.etag, v.last_modified),))
    fetchstate.save_validators(engine, keep, at)
    seen: dict[str, str] = {}
    for r in runs:
        seen.update(r.seen_keys)
    fetchstate.mark_seen(engine, seen, at)
    fetchstate.record_health(engine, out.health, at)


def collect_urls(
    settings: FetchSettings,
    urls: list[str],
    engine: Engine,
    fetcher: Fetcher | None = None,
    deadline: float | None = None,
) -> Collected:
    """Ad-hoc URLs (``newsdigest ingest URL``): feed or page is sniffed; summary items get their page."""
    sources = [Source(kind="auto", name=u, url=u, full_text=True) for u in urls]
    return collect(settings, sources, engine, fetcher, deadline)
