"""Rebuild labelled.jsonl: the real articles of the labelled set with their labels.

    .venv/bin/python tests/data/relevance/make_labels.py /path/to/shared/corpus

Reads the 116 shared-corpus pages through the pipeline's own extraction (as the articles
were read when labelled), the seeds, and the Chinese items of the shared feeds; writes each
article's title and body with the label given by reading it (``LABELS`` below: every
article not listed there was read and judged off-profile). The synthetic articles live in
synthetic_relevant.txt / synthetic_other.txt beside this file.
"""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

import feedparser

from newsdigest import pipeline, sources
from newsdigest.models import Document

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
# Articles on the watch subject (everything else was read and judged off-profile), and
# notes on the borderline ones either way.
LABELS = {
    "html/cwced/original/9890f458-7af7-4e96-a507-6eb1b359d675.html#0": (
        True,
        "a province upgrading its manufacturing (green factories, industrial parks): regional industry",
    ),
}
NOTES = {
    "html/cwced/original/91bdf33e-0e9e-4495-a0fa-aba45ff43fef.html#0": "a vocational college's party paper-cutting event: the college is incidental",
    "html/gne/zyyfy/1.html#0": "a hospital pharmacy's in-house skills contest: not vocational training or industry",
    "html/cwced/original/36efbc69-53dd-4d58-9e67-0353e2a1a7ec.html#0": "party secretaries' new-year meetings on work style and business environment: politics, no industry or education subject",
    "html/gne/gzggw/1.html#0": "a county's fixed-asset investment statistics: macro figures, no industry subject",
    "html/cwced/original/d232c5df-4a6a-47f7-8c63-2dd47719ffe7.html#0": "provincial tax relief: fiscal policy",
}
_TAG = re.compile(r"<[^>]+>")


def _pages(corpus: Path) -> list[dict]:
    base = corpus / "html"
    files = sorted(base.glob("cwced/original/*.html")) + sorted(base.glob("gne/*/*.html"))
    files += sorted(base.glob("trafilatura/*.html"))
    out = []
    for path in files:
        doc = Document(origin=str(path), data=path.read_bytes(), content_type="text/html")
        for a in pipeline.process(doc).articles:
            key = f"html/{path.relative_to(base)}#{a.part}"
            out.append({"id": key, "kind": "page", "title": a.title, "body": a.text})
    return out


def _seeds() -> list[dict]:
    docs, _ = sources.read_paths([ROOT / "seeds"])
    out = []
    for doc in docs:
        for a in pipeline.process(doc).articles:
            key = f"seeds/{Path(doc.origin).name}#{a.part}"
            out.append({"id": key, "kind": "seed", "title": a.title, "body": a.text, "relevant": True})
    return out


def _feed_items(corpus: Path) -> list[dict]:
    base = corpus / "feeds"
    out, titles = [], set()
    for path in sorted(base.glob("zh_real/*/*.xml")):
        for entry in feedparser.parse(path.read_bytes()).entries:
            raw = entry.content[0].get("value") if entry.get("content") else entry.get("summary", "")
            lines = html.unescape(_TAG.sub("\n", raw or "")).splitlines()
            body = "\n".join(s.strip() for s in lines if s.strip())
            title = (entry.get("title") or "").strip()
            if title in titles:  # the same post in a blog's Atom and RSS feeds
                continue
            titles.add(title)
            key = f"feeds/{path.relative_to(base)}#{entry.get('id') or entry.get('link') or title}"
            out.append({"id": key, "kind": "feed", "title": title, "body": body})
    return out


def main(corpus: Path) -> None:
    items = _pages(corpus) + _seeds() + _feed_items(corpus)
    with (HERE / "labelled.jsonl").open("w", encoding="utf-8") as fh:
        for item in items:
            label, note = LABELS.get(item["id"], (item.get("relevant", False), NOTES.get(item["id"], "")))
            item.update(relevant=label, note=note)
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")
    print(f"{len(items)} articles, {sum(i['relevant'] for i in items)} relevant")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent.parent / "shared" / "corpus")
