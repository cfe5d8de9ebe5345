"""Reading the configured sources into Documents (the input edge of the pipeline).

A source that cannot be read yields a Rejected with a one-line reason; the other
sources are read all the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Engine

from newsdigest import collection
from newsdigest.config import Config, Source
from newsdigest.fetch import Fetcher, FetchSettings
from newsdigest.models import Document, Rejected

# Documents we know how to read; anything else in a drop folder is skipped quietly
# (editor backups, .DS_Store), except that it is reported when named explicitly.
# No empty suffix: a drop folder is not a place for arbitrary files.
TEXT_SUFFIXES = {".txt", ".text", ".md", ".html", ".htm", ".xhtml"}
MAX_FILE_BYTES = 20_000_000


def _read_file(path: Path, source: str | None, encoding: str | None = None) -> Document | Rejected:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return Rejected(str(path), f"file too large ({size:,} bytes)")
        data = path.read_bytes()
    except OSError as exc:
        return Rejected(str(path), f"cannot read: {exc.strerror or exc}")
    kind = "text/html" if path.suffix.lower() in {".html", ".htm", ".xhtml"} else None
    return Document(origin=str(path), data=data, content_type=kind, source=source, encoding=encoding)


def _droppable(path: Path, folder: Path) -> bool:
    """A regular file with a known suffix, inside the folder even after following links
    (a link to a system file must not put it into the archive and the email)."""
    if path.name.startswith(".") or path.suffix.lower() not in TEXT_SUFFIXES:
        return False
    real = path.resolve()
    return real.is_file() and real.is_relative_to(folder)


def read_paths(
    paths: Iterable[Path], source: str | None = None, encoding: str | None = None
) -> tuple[list[Document], list[Rejected]]:
    """Files, and the files directly or deeply inside folders, in a stable order."""
    docs: list[Document] = []
    rejected: list[Rejected] = []
    for path in paths:
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if _droppable(p, path.resolve()))
        elif path.exists():
            files = [path]
        else:
            rejected.append(Rejected(str(path), "no such file or folder"))
            continue
        for file in files:
            item = _read_file(file, source, encoding)
            (rejected if isinstance(item, Rejected) else docs).append(item)
    return docs, rejected


def read_source(source: Source) -> tuple[list[Document], list[Rejected]]:
    """Documents of one configured source."""
    if source.kind == "folder":
        return read_paths([Path(source.path or ".")], source.name, source.encoding)
    return [], [Rejected(source.location, f"source kind {source.kind!r} is not supported yet")]


def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def collect(
    config: Config, engine: Engine, only: list[str] | None = None, deadline: float | None = None
) -> tuple[list[Document], list[Rejected]]:
    """Documents from the given paths/URLs, or else from every enabled configured source.
    ``engine`` holds the fetch state of network sources (validators, seen items, health)."""
    got = gather(config, engine, only, deadline)
    return got.documents, got.rejected


def gather(
    config: Config, engine: Engine, only: list[str] | None = None, deadline: float | None = None
) -> collection.Collected:
    """``collect``, with the count of fetches the run's ``deadline`` (monotonic) left for the next run."""
    fetch = FetchSettings.from_mapping(config.sections.get("fetch"))
    out = collection.Collected()
    if only:
        out.documents, out.rejected = read_paths([Path(p) for p in only if not _is_url(p)])
        if urls := [p for p in only if _is_url(p)]:
            _add(out, collection.collect_urls(fetch, urls, engine, deadline=deadline))
        return out
    for source in config.sources:
        if source.enabled and source.kind == "folder":
            got, bad = read_source(source)
            out.documents += got
            out.rejected += bad
    network = [s for s in config.sources if s.enabled and s.kind in ("feed", "page")]
    sites = [s for s in config.sources if s.enabled and s.kind in ("site", "sitemap")]
    if not network and not sites:
        return out
    # One fetcher for the run: hosts are visited concurrently and politely, robots.txt read once per host.
    with Fetcher(fetch, deadline) as fetcher:
        if network:
            _add(out, collection.collect(fetch, network, engine, fetcher))
        if sites:
            from newsdigest import crawl

            _add(out, crawl.collect_sources(fetch, sites, engine, fetcher))
    return out


def _add(out: collection.Collected, got: collection.Collected) -> None:
    out.documents += got.documents
    out.rejected += got.rejected
    out.left += got.left
