"""Feeds served by a real local HTTP server: RSS 2.0, Atom, RDF, JSON Feed, the feedparser
ill-formed and encoding suites (their ``Header:`` comments sent as response headers), the
real Chinese feeds, and an HTML page served where a feed was expected."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import feedparser
import pytest
from httpserver import LocalServer, Route

from newsdigest import collection, feeds
from newsdigest.config import Source
from newsdigest.fetch import Fetcher, FetchSettings
from newsdigest.store import fetchstate

FEEDS = Path(__file__).parent / "data" / "feeds"
START = datetime(2025, 9, 1, tzinfo=UTC)
FAST = FetchSettings(timeout=10, per_host_delay=0, retries=1, backoff=0.01, concurrency=8)
FEED_FILES = sorted(p for p in FEEDS.rglob("*") if p.suffix in {".xml", ".rdf", ".atom", ".rss", ".json", ".html"})


@pytest.fixture(scope="module")
def server():
    with LocalServer() as srv:
        for path in FEED_FILES:
            # As feedparser's own test server does: application/xml unless the file's Header: says otherwise.
            default = {".json": "application/feed+json", ".html": "text/html"}.get(path.suffix, "application/xml")
            srv.add_file("/" + path.relative_to(FEEDS).as_posix(), path, default)
        yield srv


@pytest.fixture
def fetcher():
    with Fetcher(FAST) as f:
        yield f


def _collect(cfg, engine, fetcher, *sources: Source) -> collection.Collected:
    return collection.collect(FAST, list(sources), engine, fetcher)


def _feed(server, rel: str, **kw) -> Source:
    return Source(kind="feed", name=rel, url=server.url("/" + rel), **kw)


def test_every_shared_feed_gives_items_or_a_one_line_reason(server, fetcher, cfg, engine):
    sources = [_feed(server, p.relative_to(FEEDS).as_posix()) for p in FEED_FILES]
    got = _collect(cfg, engine, fetcher, *sources)
    health = {h.name: h for h in got.health}
    assert len(health) == len(FEED_FILES)
    for h in health.values():
        assert h.status in {"ok", "error"}, h
        assert h.status == "ok" or (h.error and "\n" not in h.error)
    errors = {name for name, h in health.items() if h.status == "error"}
    assert errors == {
        "feedparser/illformed/rss_empty_document.xml",
        "miniflux/encoding__utf8-meta-after-1024.html",
        "miniflux/xml__iso88591_utf8_mismatch.xml",
    }
    assert "HTML page" in health["miniflux/encoding__utf8-meta-after-1024.html"].error
    assert health["feedparser/illformed/aaa_illformed.xml"].bozo.startswith("SAXParseException")
    assert all(r.reason and "\n" not in r.reason for r in got.rejected)
    stored = {h["name"]: h for h in fetchstate.load_health(engine)}
    assert stored["miniflux/xml__iso88591_utf8_mismatch.xml"]["last_error"].startswith("not a feed")


def _expectation(data: bytes) -> tuple[str | None, str | None]:
    head = data[:2000].decode("latin-1")
    expect = re.search(r"^Expect:\s*(.+?)\s*$", head, re.M)
    skip = re.search(r"^SkipUnless:\s*(.+?)\s*$", head, re.M)
    return (expect.group(1) if expect else None), (skip.group(1) if skip else None)


SUITE = [p for p in FEED_FILES if "feedparser" in p.parts and _expectation(p.read_bytes())[0]]


@pytest.mark.parametrize("path", SUITE, ids=lambda p: p.relative_to(FEEDS / "feedparser").as_posix())
def test_feedparser_expectations_hold_over_http(path: Path, server, fetcher):
    """The suite's own expectations, on bytes and headers as they arrive over our fetch."""
    expect, skip_unless = _expectation(path.read_bytes())
    if skip_unless:
        try:
            eval(skip_unless)
        except Exception:
            pytest.skip(f"needs {skip_unless}")
    got = fetcher.get(server.url("/" + path.relative_to(FEEDS).as_posix()))
    assert got.error is None and got.body == path.read_bytes()
    result = feedparser.parse(got.body, response_headers=got.headers)
    assert eval(expect, {"feedparser": feedparser}, result), expect


def test_rss_atom_rdf_and_json_items_become_text_documents(server, fetcher, cfg, engine):
    names = [
        "feedparser/docs/examples/examples/rss20.xml",
        "feedparser/docs/examples/examples/atom10.xml",
        "feedparser/docs/examples/examples/rss10.rdf",
        "trafilatura/feed.json",
    ]
    got = _collect(cfg, engine, fetcher, *(_feed(server, n) for n in names))
    by_source = {}
    for d in got.documents:
        by_source.setdefault(d.source, []).append(d)
    assert [len(by_source[n]) for n in names] == [1, 1, 1, 25]
    rss = by_source[names[0]][0]
    assert rss.title_hint == "First item title" and rss.content_type.startswith("text/plain")
    assert rss.origin == rss.url == "http://example.org/item/1"
    assert rss.published_hint.isoformat() == "2002-09-05"
    text = rss.data.decode("utf-8")
    assert "Watch out for" in text and "<" not in text  # item HTML reduced to text
    assert by_source[names[2]][0].title_hint == "First of all"


def test_chinese_feeds_decode_and_keep_their_text(server, fetcher, cfg, engine):
    names = [
        "zh_real/ksbot/3dm.xml",
        "zh_real/rodel_reader/Rss_meituan.xml",
        "zh_real/rodel_reader/Atom_v2ex.xml",
        "zh_real/rodel_reader/Rss_ruanyifeng.xml",
        "zh_real/rodel_reader/Atom_ruanyifeng.xml",
        "feedparser/illformed/chardet/gb2312.xml",
    ]
    got = _collect(cfg, engine, fetcher, *(_feed(server, n) for n in names))
    health = {h.name: h for h in got.health}
    assert health["zh_real/ksbot/3dm.xml"].seen == 20
    assert health["zh_real/rodel_reader/Atom_v2ex.xml"].seen == 50
    first = next(d for d in got.documents if d.source == "zh_real/ksbot/3dm.xml")
    assert first.title_hint == "《英雄联盟》格斗游戏“Project L”将登陆PS系主机"
    assert "拳头公司基于《英雄联盟》开发的格斗游戏项目" in first.data.decode("utf-8")
    assert first.published_hint.isoformat() == "2023-04-01"
    # Legacy GB2312 bytes without any declaration still come out as Chinese.
    gb = [r for r in got.rejected if r.origin.endswith("gb2312.xml") or "gb2312" in r.origin]
    assert gb and gb[0].reason == "feed item has no text (title only)"
    # Both ruanyifeng feeds carry the same posts: the second copy of a link is skipped.
    ruan = [d.url for d in got.documents if "ruanyifeng" in (d.source or "")]
    assert len(ruan) == len(set(ruan))


def test_gb2312_title_only_item_is_read_as_chinese():
    data = (FEEDS / "feedparser/illformed/chardet/gb2312.xml").read_bytes()
    parsed = feeds.parse(data, "http://x/gb2312.xml")
    assert parsed.items[0].title == "不归移民漫画系列：专业工作"


def test_html_page_served_as_feed_is_rejected(fetcher, cfg, engine):
    page = "<!DOCTYPE html><html><head><title>出错了</title></head><body><p>页面不存在</p></body></html>"
    with LocalServer() as srv:
        srv.add("/rss", Route(body=page.encode(), headers={"Content-Type": "text/html; charset=utf-8"}))
        srv.add("/xmlish", Route(body=page.encode(), headers={"Content-Type": "application/rss+xml"}))
        got = _collect(
            cfg, engine, fetcher, Source("feed", "a", url=srv.url("/rss")), Source("feed", "b", url=srv.url("/xmlish"))
        )
    assert not got.documents
    assert [r.reason for r in got.rejected] == ["an HTML page was served where a feed was expected"] * 2


def test_item_html_is_never_passed_on_as_html():
    text = feeds.fragment_text(
        "<p>第一段<script>alert(1)</script>文字</p><p>第二\n段 &amp; <b>粗</b></p><img src=x onerror=y>"
    )
    assert text == "第一段文字\n\n第二段 & 粗"


def test_canonical_link_drops_tracking_and_fragment():
    assert (
        feeds.canonical_link("HTTP://News.Example.CN/a/1.html?utm_source=rss&id=3#top")
        == "http://news.example.cn/a/1.html?id=3"
    )


def test_gbk_page_with_a_few_broken_bytes_is_decoded_not_rejected():
    """Real cwced pages: GB2312-declared (and undeclared) GBK with cut characters."""
    from newsdigest import decode

    pages = Path(__file__).parent / "data" / "html" / "cwced" / "original"
    declared = decode.decode((pages / "b70f455d-50d6-4c8c-a450-07d8e5ca2e06.html").read_bytes(), "text/html")
    assert "艺术史研究" in declared and declared.count("\ufffd") < 20
    undeclared = decode.decode((pages / "6dc2d508-abb9-467c-bbea-1fedfcec5f9d.html").read_bytes(), "text/html")
    assert decode.quality_problem(undeclared) is None


def test_a_feed_of_many_items_is_read_up_to_max_items_newest_and_the_rest_reported(cfg, engine):
    from newsdigest.fetch import FetchSettings

    items = "".join(
        f"<item><title>第{i}条</title><link>http://news.example.cn/{i}</link>"
        f"<pubDate>Mon, 01 Sep 2025 {i // 60:02d}:{i % 60:02d}:00 +0800</pubDate><description>短讯{i}</description></item>"
        for i in range(1200)
    )
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()
    with LocalServer() as server:
        url = server.add("/many.xml", body=body, headers={"Content-Type": "application/rss+xml"})
        with Fetcher(FetchSettings(per_host_delay=0, max_items=100)) as fetcher:
            got = collection.collect(fetcher.settings, [Source(kind="feed", name="many", url=url)], engine, fetcher)
    assert len(got.documents) == 100 and {d.title_hint for d in got.documents} == {
        f"第{i}条" for i in range(1100, 1200)
    }
    assert any("1100 older items left for later runs" in r.reason for r in got.rejected)


def test_a_feed_declaring_entities_is_refused_in_one_line(cfg, engine):
    from newsdigest import feeds

    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY e "'
        + "产教".encode() * 5000
        + b'">]><rss version="2.0"><channel><item><title>x</title><description>'
        + b"&e;" * 5000
        + b"</description></item></channel></rss>"
    )
    with pytest.raises(feeds.FeedError, match="declares its own XML entities"):
        feeds.parse(bomb, "http://x.cn/feed")


def test_a_feed_of_100000_items_is_spooled_and_its_newest_items_kept(cfg, engine):
    """Over [fetch] max_bytes (12 MB here, limit 10 MB) a feed body goes to a temporary file
    and is read in one bounded pass; dates in no order, the newest max_items stay."""
    import random

    order = list(range(100_000))
    random.Random(3).shuffle(order)  # item i is i minutes after the start: the newest are the largest i
    items = "".join(
        f"<item><title>第{i}条</title><link>http://news.example.cn/{i}</link>"
        f"<pubDate>{format_datetime(START + timedelta(minutes=i))}</pubDate><description>短讯{i}</description></item>"
        for i in order
    )
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()
    assert len(body) > FetchSettings().max_bytes
    with LocalServer() as server:
        url = server.add("/big.xml", body=body, headers={"Content-Type": "application/rss+xml"})
        with Fetcher(FetchSettings(per_host_delay=0)) as fetcher:
            got = collection.collect(fetcher.settings, [Source(kind="feed", name="big", url=url)], engine, fetcher)
    assert {d.title_hint for d in got.documents} == {f"第{i}条" for i in range(99_500, 100_000)}
    assert [r.reason for r in got.rejected] == ["99500 older items left for later runs (max_items 500)"]


def test_a_spooled_real_feed_gives_the_items_it_gives_in_memory(server):
    """Real feeds over a tiny in-memory limit: spooled, read in a pass, the same items."""
    import io

    for path in [*sorted((FEEDS / "zh_real").rglob("*.xml")), FEEDS / "trafilatura" / "feed1.atom"]:
        body = path.read_bytes()
        at_once = feeds.parse(body, "http://x.cn/feed", "application/xml", max_items=5)
        spooled = feeds.parse(io.BytesIO(body), "http://x.cn/feed", "application/xml", max_items=5)
        assert spooled.items == at_once.items and spooled.left == at_once.left, path.name
        assert len(spooled.items) == min(5, len(spooled.items) + spooled.left)


def test_a_spooled_html_page_or_entity_feed_is_refused_in_one_line():
    import io

    with pytest.raises(feeds.FeedError, match="an HTML page over the in-memory limit"):
        feeds.parse(io.BytesIO(b"<!DOCTYPE html><html><body>x</body></html>"), "http://x.cn/feed")
    bomb = b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY e "xx">]><rss version="2.0"><channel></channel></rss>'
    with pytest.raises(feeds.FeedError, match="declares its own XML entities"):
        feeds.parse(io.BytesIO(bomb), "http://x.cn/feed")
