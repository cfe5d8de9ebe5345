"""Where the memory of one ingest goes: RSS after each import and table load, then the peak of
each processing stage on one large input (Linux: /proc/self/status; the peak is reset before
each stage through /proc/self/clear_refs).

    .venv/bin/python scripts/memory.py            # the 8 MB HTML page of `make chaos`
    .venv/bin/python scripts/memory.py --text     # a 2.8 MB synthetic text (just under 1,000,000 characters)

Figures are of this process alone; `scripts/chaos.py --only inputs` gives the whole command's
peak (what issue 11's 300 MB target is about).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))


def _status() -> dict[str, float]:
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def step(name: str, fn: Callable[[], Any], last: list[float]) -> Any:
    """Run one step; print RSS after it, its growth, and the peak while it ran."""
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # resets the peak (VmHWM) to the current RSS
    before, began = _status()["VmRSS"], time.perf_counter()
    result = fn()
    gc.collect()
    now = _status()
    print(
        f"{name:44s} RSS {now['VmRSS']:5.0f} MB ({now['VmRSS'] - last[0]:+4.0f})  "
        f"peak {now['VmHWM']:5.0f} (+{now['VmHWM'] - before:3.0f})  {time.perf_counter() - began:5.1f} s",
        flush=True,
    )
    last[0] = now["VmRSS"]
    return result


def _input(text: bool) -> Any:
    import synth

    from newsdigest.models import Document

    if text:
        data = "\n\n".join(d.text() for d in synth.corpus(9000, seed=5)).encode()[:2_800_000]
        return Document(origin="big.txt", data=data)
    body = "".join(f"<p>{d.text()}</p>" for d in synth.corpus(2500, seed=4))
    data = f"<html><body><div>{body}</div></body></html>".encode()[:8_000_000]
    return Document(origin="page.html", data=data, content_type="text/html")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--text", action="store_true", help="a long plain text instead of the 8 MB page")
    args = parser.parse_args()
    last = [_status()["VmRSS"]]
    print(f"{'start':44s} RSS {last[0]:5.0f} MB")
    step("import newsdigest.cli", lambda: __import__("newsdigest.cli"), last)
    step("import newsdigest.store (SQLAlchemy)", lambda: __import__("newsdigest.store"), last)
    step("import newsdigest.pipeline (numpy, lxml, …)", lambda: __import__("newsdigest.pipeline"), last)
    step(
        "import trafilatura, feedparser, jieba",
        lambda: [__import__(m) for m in ("trafilatura", "feedparser", "jieba")],
        last,
    )
    from newsdigest import config, decode, dedupe, extract, lexicon, pipeline, tag

    step("lexicon.load (jieba's three tables)", lexicon.load, last)
    step("tag: gazetteer and jieba's extra words", lambda: tag.tokenize(""), last)
    settings = pipeline.Settings.from_config(config.load(ROOT / "newsdigest.toml", Path("/tmp")))
    doc = _input(args.text)
    print(f"-- input: {doc.origin}, {len(doc.data):,} bytes")
    text = step("decode", lambda: decode.decode(doc.data, doc.content_type), last)
    if doc.content_type:
        light = step("extract.bounded_html", lambda: extract.bounded_html(text, doc.origin), last)
        text = step("extract.html_to_text", lambda: extract.html_to_text(light, None)[0], last)
    [article, *_] = step("clean, split, meta", lambda: pipeline.articles_from_text(text, "x", pipeline.Meta()), last)
    print(f"-- article: {len(article.text):,} characters")
    step("tag.tokenize", lambda: len(tag.tokenize(article.text)), last)
    step("tag.tag", lambda: tag.tag(article.title, article.text, settings.topics), last)
    step("dedupe.fingerprint", lambda: dedupe.fingerprint(article.text, settings.dedupe), last)
    step("pipeline.process (every stage, once more)", lambda: pipeline.process(doc, settings), last)


if __name__ == "__main__":
    main()
