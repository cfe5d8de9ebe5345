"""Feed and page sources end to end against a real local HTTP server: configured sources,
full-text page fetches (a 404 and a flaky 500 among good pages), 429, a dead endpoint,
an HTML page where a feed should be, the second run's 304s, source health in the
store, ``newsdigest sources`` and ``newsdigest ingest URL``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from httpserver import LocalServer, Route

from newsdigest import collection, config, pipeline, sources, store
from newsdigest.fetch import FetchSettings
from newsdigest.store import fetchstate

DATA = Path(__file__).parent / "data"
PAGES = sorted((DATA / "html" / "cwced" / "original").glob("*.html"))[:3]
BIN = Path(sys.executable).parent / "newsdigest"


def _rss(base: str, links: list[str]) -> bytes:
    items = "".join(
        f"<item><title>第{i}条 产教融合新闻</title><link>{base}{link}</link><guid>{base}{link}</guid>"
        f"<description>&lt;p&gt;摘要{i}&lt;/p&gt;</description><pubDate>Mon, 0{i + 1} Jan 2024 08:00:00 +0800</pubDate></item>"
        for i, link in enumerate(links)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>测试</title>'
        f"<link>{base}/</link>{items}</channel></rss>"
    ).encode()


@pytest.fixture(scope="module")
def server():
    with LocalServer() as srv:
        links = ["/a/1.html", "/a/2.html", "/a/missing.html", "/a/flaky.html"]
        srv.add("/news.xml", body=_rss(srv.base, links), etag='"n1"', headers={"Content-Type": "application/rss+xml"})
        for link, page in zip(["/a/1.html", "/a/2.html"], PAGES, strict=False):
            srv.add(link, body=page.read_bytes(), headers={"Content-Type": "text/html"})
        srv.add("/a/flaky.html", body=PAGES[2].read_bytes(), fail_first=1, headers={"Content-Type": "text/html"})
        srv.add(
            "/3dm.xml",
            Route(
                body=(DATA / "feeds/zh_real/ksbot/3dm.xml").read_bytes(),
                gzip=True,
                last_modified="Sat, 01 Apr 2023 06:00:00 GMT",
                headers={"Content-Type": "application/rss+xml; charset=utf-8"},
            ),
        )
        srv.add(
            "/busy.xml",
            body=(DATA / "feeds/feedparser/docs/examples/examples/atom10.xml").read_bytes(),
            fail_first=1,
            fail_status=429,
            fail_headers={"Retry-After": "1"},
            etag='"b1"',
            headers={"Content-Type": "application/atom+xml"},
        )
        srv.add("/small.xml", body=(DATA / "feeds/feedparser/docs/examples/examples/rss20.xml").read_bytes())
        srv.add("/dead.xml", hang=True)
        srv.add(
            "/html-as-feed.xml",
            body=b"<!DOCTYPE html><html><body><p>error</p></body></html>",
            headers={"Content-Type": "text/html"},
            etag='"h1"',
        )  # an error is reported again next run
        srv.add("/page.html", body=PAGES[0].read_bytes(), headers={"Content-Type": "text/html"}, etag='"p1"')
        yield srv


def _config_file(tmp_path: Path, base: str) -> Path:
    text = f"""
[fetch]
timeout = 2.0
connect_timeout = 1.0
per_host_delay = 0.0
backoff = 0.01
retries = 2

[[sources]]
kind = "feed"
name = "news"
url = "{base}/news.xml"
full_text = true

[[sources]]
kind = "feed"
name = "3dm"
url = "{base}/3dm.xml"

[[sources]]
kind = "feed"
name = "busy"
url = "{base}/busy.xml"

[[sources]]
kind = "feed"
name = "dead"
url = "{base}/dead.xml"

[[sources]]
kind = "feed"
name = "not-a-feed"
url = "{base}/html-as-feed.xml"

[[sources]]
kind = "page"
name = "one page"
url = "{base}/page.html"

[[sources]]
kind = "feed"
name = "switched off"
url = "{base}/never.xml"
enabled = false
"""
    path = tmp_path / "newsdigest.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_two_runs_first_fetches_everything_second_gets_304(server, tmp_path):
    cfg = config.load(_config_file(tmp_path, server.base), tmp_path / "state", env={})
    engine = store.connect(cfg.store_url)
    docs, rejected = sources.collect(cfg, engine)
    reasons = {r.origin: r.reason for r in rejected}
    assert reasons == {
        f"{server.base}/a/missing.html": "article page: HTTP 404 Not Found",
        f"{server.base}/dead.xml": "timed out after 2 s",
        f"{server.base}/html-as-feed.xml": "an HTML page was served where a feed was expected",
    }
    by_source = {}
    for d in docs:
        by_source.setdefault(d.source, []).append(d)
    assert sorted(d.url for d in by_source["news"]) == [f"{server.base}/a/{n}.html" for n in ("1", "2", "flaky")]
    assert all(d.content_type == "text/html" for d in by_source["news"])
    assert len(by_source["3dm"]) == 20 and len(by_source["busy"]) == 1 and len(by_source["one page"]) == 1
    report = pipeline.ingest(engine, pipeline.Settings.from_config(cfg), docs, rejected)
    assert report.articles_new >= 20
    assert not server.requests("/never.xml")

    health = {h["name"]: h for h in fetchstate.health_report(engine, cfg.sources)}
    news = health["news"]
    assert (news["last_status"], news["items_seen"], news["items_new"], news["items_rejected"]) == ("ok", 4, 4, 1)
    assert news["rejects"] == [
        {"origin": f"{server.base}/a/missing.html", "reason": "article page: HTTP 404 Not Found"}
    ]
    assert health["dead"]["last_status"] == "error" and health["dead"]["last_success"] is None
    assert health["switched off"]["last_status"] == "never run" and health["switched off"]["enabled"] is False

    docs2, rejected2 = sources.collect(cfg, engine)
    assert docs2 == []
    assert {r.origin for r in rejected2} == {f"{server.base}/dead.xml", f"{server.base}/html-as-feed.xml"}
    assert server.requests("/news.xml")[-1]["If-None-Match"] == '"n1"'
    assert server.requests("/3dm.xml")[-1]["If-Modified-Since"] == "Sat, 01 Apr 2023 06:00:00 GMT"
    assert server.requests("/page.html")[-1]["If-None-Match"] == '"p1"'
    assert len(server.requests("/a/1.html")) == 1  # no page fetched twice
    again = pipeline.ingest(engine, pipeline.Settings.from_config(cfg), docs2, [])
    assert again.articles_new == 0
    health = {h["name"]: h for h in fetchstate.health_report(engine, cfg.sources)}
    assert health["news"]["last_status"] == "not_modified" and health["news"]["items_new"] == 0
    assert health["news"]["total_new"] == 4


def test_changed_feed_only_new_items_are_taken(tmp_path):
    cfg = config.load(None, tmp_path / "state", env={"NEWSDIGEST_FETCH_PER_HOST_DELAY": "0"})
    engine = store.connect(cfg.store_url)
    with LocalServer() as srv:
        body = _rss(srv.base, ["/x/1", "/x/2"])
        route = srv.add("/f.xml", body=body)
        source = config.Source("feed", "f", url=route)
        first = collection.collect(FetchSettings.from_mapping(cfg.sections.get("fetch")), [source], engine)
        pipeline.ingest(engine, pipeline.Settings.from_config(cfg), first.documents)  # seen once stored
        srv.routes["/f.xml"].body = _rss(srv.base, ["/x/1", "/x/2", "/x/3"])
        second = collection.collect(FetchSettings.from_mapping(cfg.sections.get("fetch")), [source], engine)
    assert len(first.documents) == 2
    assert [d.url for d in second.documents] == [f"{srv.base}/x/3"]
    assert second.health[0].seen == 3 and second.health[0].new == 1


def _cli(tmp_path: Path, cfg_file: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDIGEST_")}
    return subprocess.run(
        [str(BIN), "--state", str(tmp_path / "state"), "--config", str(cfg_file), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_cli_sources_and_ad_hoc_urls(server, tmp_path):
    cfg_file = tmp_path / "newsdigest.toml"
    cfg_file.write_text(
        '[fetch]\nper_host_delay = 0.0\nbackoff = 0.01\ntimeout = 2.0\n\n[[sources]]\nkind = "feed"\n'
        f'name = "news"\nurl = "{server.base}/news.xml"\nfull_text = true\n',
        encoding="utf-8",
    )
    adhoc = _cli(
        tmp_path,
        cfg_file,
        "ingest",
        f"{server.base}/small.xml",
        f"{server.base}/page.html",
        f"{server.base}/html-as-feed.xml",
    )
    assert adhoc.returncode == 0 and "Traceback" not in adhoc.stderr, adhoc.stderr
    assert "new articles: 0" not in adhoc.stdout
    ran = _cli(tmp_path, cfg_file, "ingest")
    assert ran.returncode == 0 and "Traceback" not in ran.stderr
    assert f"rejected: {server.base}/a/missing.html: article page: HTTP 404 Not Found" in ran.stderr
    listed = json.loads(_cli(tmp_path, cfg_file, "sources", "--format", "json").stdout)["sources"]
    names = [s["name"] for s in listed]
    assert names[0] == "news" and f"{server.base}/small.xml" in names
    kinds = {s["name"]: s["kind"] for s in listed}
    # Ad-hoc URLs are sniffed: HTML is a page, whatever the URL looks like.
    assert kinds[f"{server.base}/small.xml"] == "feed" and kinds[f"{server.base}/page.html"] == "page"
    assert kinds[f"{server.base}/html-as-feed.xml"] == "page"
    table = _cli(tmp_path, cfg_file, "sources")
    assert table.returncode == 0 and "news" in table.stdout
    assert "article page: HTTP 404 Not Found" in table.stdout


def test_run_artifact_lists_source_health_and_rejects():
    from newsdigest.flows.common import summary_markdown

    rows = [
        {
            "name": "news",
            "last_status": "ok",
            "items_seen": 4,
            "items_new": 4,
            "items_rejected": 1,
            "last_success": "2024-01-01T08:00:00",
            "last_error": None,
            "bozo": None,
        },
        {
            "name": "dead",
            "last_status": "error",
            "items_seen": 0,
            "items_new": 0,
            "items_rejected": 0,
            "last_success": None,
            "last_error": "timed out after 2 s",
            "bozo": None,
        },
    ]
    text = summary_markdown(
        "Ingest run",
        {
            "documents_in": 3,
            "sources": rows,
            "rejected": [{"origin": "http://x/a", "reason": "article page: HTTP 404 Not Found"}],
        },
    )
    assert "| news | ok | 4 | 4 | 1 | 2024-01-01T08:00:00 |  |" in text
    assert "| dead | error | 0 | 0 | 0 | – | timed out after 2 s |" in text
    assert "- `http://x/a`: article page: HTTP 404 Not Found" in text
    assert "**sources**" not in text
