"""Wall time of fetching N feeds x M items from a local server: first run, then a second run
against unchanged feeds (conditional requests, all 304).

    .venv/bin/python scripts/bench_fetch.py                 # 50 feeds x 20 items, fetch stage only
    .venv/bin/python scripts/bench_fetch.py --pipeline      # also ingest the documents (decode, clean, tag, store)
    .venv/bin/python scripts/bench_fetch.py --delay 1.0     # with the default politeness delay per host

All feeds live on one host (127.0.0.1), so per_host_delay and per_host_concurrency bound
the first run: with a delay D, N feeds take at least N*D seconds.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from httpserver import LocalServer  # noqa: E402

from newsdigest import config, pipeline, sources, store  # noqa: E402

PARAGRAPH = (
    "记者从省人力资源和社会保障厅获悉，第{f}批产教融合项目第{i}项已在本市落地，"
    "职业院校与企业共建产业学院，开设订单班，培养高技能人才。"
)


def feed_body(base: str, f: int, items: int) -> bytes:
    entries = []
    for i in range(items):
        text = "".join(f"<p>{PARAGRAPH.format(f=f, i=i)}第{k}段。</p>" for k in range(8))
        entries.append(
            f"<item><title>第{f}号源 第{i}条 产教融合新闻</title><link>{base}/f{f}/a{i}.html</link>"
            f"<guid>{base}/f{f}/a{i}.html</guid><pubDate>Mon, 01 Jan 2024 08:00:00 +0800</pubDate>"
            f"<description>{escape(text)}</description></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>源{f}</title>'
        f"<link>{base}/</link>{''.join(entries)}</channel></rss>"
    ).encode()


def run(cfg: config.Config, with_pipeline: bool) -> tuple[float, int, int]:
    engine = store.connect(cfg.store_url)
    start = time.perf_counter()
    docs, rejected = sources.collect(cfg, engine)
    if with_pipeline:
        pipeline.ingest(engine, pipeline.Settings.from_config(cfg), docs, rejected)
    return time.perf_counter() - start, len(docs), len(rejected)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--delay", type=float, default=0.0, help="per_host_delay in seconds")
    parser.add_argument("--concurrency", type=int, default=2, help="per_host_concurrency")
    parser.add_argument("--pipeline", action="store_true", help="also run the ingest pipeline on the documents")
    args = parser.parse_args()
    with LocalServer() as srv, tempfile.TemporaryDirectory() as tmp:
        lines = [f"[fetch]\nper_host_delay = {args.delay}\nper_host_concurrency = {args.concurrency}\n"]
        for f in range(args.feeds):
            srv.add(
                f"/feed{f}.xml",
                body=feed_body(srv.base, f, args.items),
                etag=f'"e{f}"',
                headers={"Content-Type": "application/rss+xml; charset=utf-8"},
            )
            lines.append(f'[[sources]]\nkind = "feed"\nname = "feed{f}"\nurl = "{srv.base}/feed{f}.xml"\n')
        cfg_file = Path(tmp) / "newsdigest.toml"
        cfg_file.write_text("\n".join(lines), encoding="utf-8")
        cfg = config.load(cfg_file, Path(tmp) / "state", env={})
        store.connect(cfg.store_url)  # migrations are not part of the measurement
        first, docs1, rej1 = run(cfg, args.pipeline)
        second, docs2, rej2 = run(cfg, args.pipeline)
        answered_304 = sum(1 for p, h in srv.log if "If-None-Match" in h and p.startswith("/feed"))
    what = "fetch + ingest pipeline" if args.pipeline else "fetch stage (sources.collect)"
    print(
        f"{args.feeds} feeds x {args.items} items, {what}, per_host_delay={args.delay}, "
        f"per_host_concurrency={args.concurrency}"
    )
    print(f"first run:  {first:7.2f} s  documents={docs1} rejected={rej1}")
    print(f"second run: {second:7.2f} s  documents={docs2} rejected={rej2} conditional requests={answered_304}")


if __name__ == "__main__":
    main()
