"""How the list-page detector does: precision/recall on the fake site, and what it picks on real pages.

    .venv/bin/python scripts/listpage_check.py            # figures
    .venv/bin/python scripts/listpage_check.py --verbose  # and the block chosen on every real page
    .venv/bin/python scripts/listpage_check.py --runs     # and what three runs over the fake site fetch

The fake site (tests/fakesite.py) states its own expected links. The real pages are the
116 Chinese article pages of /work/shared/corpus/html (no list pages there): their lists
are related-news, hot-article and comment lists; the check reports which block wins on
each, so a reader can see it is a list of article links and not a menu or a footer.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fakesite import COLUMNS, TODAY, FakeSite  # noqa: E402

from newsdigest import decode, listpage  # noqa: E402

CORPUS = Path("/work/shared/corpus/html")
_CANONICAL = re.compile(
    r"""<(?:link[^>]+rel=["']canonical["'][^>]+href|meta[^>]+property=["']og:url["'][^>]+content)=["'](https?://[^"']+)""",
    re.I,
)
_ABS = re.compile(r"""href=["'](https?://[^/"']+)""", re.I)


def fake_site() -> tuple[float, float, int]:
    fake = FakeSite(base="http://127.0.0.1:1")
    files = fake.files()
    tp = fp = fn = 0
    for column in COLUMNS:
        for n in range(len(fake.pages(column))):
            path = f"/{column}/index.html" if n == 0 else f"/{column}/index_{n}.html"
            page = listpage.parse(files[path][0].decode(), fake.base + path, today=TODAY)
            got = {link.url.removeprefix(fake.base) for link in page.links}
            gold = fake.gold(column, n)
            tp, fp, fn = tp + len(got & gold), fp + len(got - gold), fn + len(gold - got)
    return tp / (tp + fp), tp / (tp + fn), tp + fn


def page_url(html: str) -> str:
    """Where the page lived: its canonical URL, else the host most of its absolute links go to."""
    if m := _CANONICAL.search(html):
        return m.group(1)
    hosts = Counter(_ABS.findall(html))
    return (hosts.most_common(1)[0][0] if hosts else "http://unknown.invalid") + "/page.html"


def real_pages(verbose: bool) -> Counter:
    tally: Counter = Counter()
    files = sorted(CORPUS.glob("cwced/original/*.html")) + sorted(CORPUS.glob("gne/*/*.html"))
    files += sorted(CORPUS.glob("trafilatura/*.html"))
    for file in files:
        try:
            html = decode.decode(file.read_bytes(), "text/html")
        except decode.DecodeError:
            tally["undecodable"] += 1
            continue
        page = listpage.parse(html, page_url(html))
        tally["pages"] += 1
        best = page.blocks[0] if page.blocks else None
        chrome_won = bool(page.links and best and best.chrome)
        tally["with a list"] += bool(page.links)
        tally["chrome block chosen"] += chrome_won
        if verbose and page.links and best:
            texts = " / ".join(link.text[:14] for link in page.links[:3])
            print(f"{file.name[:24]:24} {len(page.links):3} {best.score:6.1f} {best.path[-44:]:44} | {texts}")
    return tally


def runs() -> None:
    """Three runs of the fake site's three list pages: first, nothing new, three new articles."""
    import tempfile

    from httpserver import LocalServer

    from newsdigest import crawl, store
    from newsdigest.config import Source
    from newsdigest.fetch import Fetcher, FetchSettings

    fake = FakeSite()
    with tempfile.TemporaryDirectory() as tmp, LocalServer() as server:
        fake.serve(server)
        engine = store.connect(f"sqlite:///{tmp}/state.db")
        sources = [
            Source("site", name, url=server.url(f"/{col}/index.html"), max_pages=5) for col, name in COLUMNS.items()
        ]
        for label in ("first run", "second run, nothing new", "third run, 3 new articles in 工作动态"):
            if label.startswith("third"):
                fake.publish("xwzx", 3, TODAY)
                fake.serve(server)
            server.log.clear()
            with Fetcher(FetchSettings(per_host_delay=0)) as fetcher:
                got = crawl.collect_sources(fetcher.settings, sources, engine, fetcher)
            paths = [p for p, _ in server.log]
            conditional = sum(1 for _, h in server.log if "If-None-Match" in h)
            lists = [p for p in paths if "index" in p]
            print(
                f"{label}: {len(paths)} requests ({len(lists)} list pages, {conditional} conditional), "
                f"{len(got.documents)} articles: {' '.join(paths) if len(paths) < 12 else ''}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--runs", action="store_true")
    args = parser.parse_args()
    if args.runs:
        runs()
    precision, recall, gold = fake_site()
    print(f"fake site: precision {precision:.3f} recall {recall:.3f} over {gold} listed article links")
    if CORPUS.exists():
        tally = real_pages(args.verbose)
        print(
            f"real pages: {tally['pages']} read, {tally['with a list']} with a list of article links chosen, "
            f"{tally['chrome block chosen']} of them a nav/footer/pager block"
        )


if __name__ == "__main__":
    main()
