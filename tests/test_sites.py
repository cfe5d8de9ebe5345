"""Site and sitemap sources against a realistic fake Chinese government site on a local server
(``fakesite``): article links found on list pages, pagination, robots.txt, conditional GETs,
incremental second runs, sitemaps (index, gzip children, Google News)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fakesite import COLUMNS, DISALLOWED, TODAY, FakeSite
from httpserver import LocalServer, Route

from newsdigest import collection, crawl, listpage, pipeline, store
from newsdigest.config import Source
from newsdigest.fetch import Fetcher, FetchSettings
from newsdigest.store import fetchstate

FAST = FetchSettings(timeout=10, per_host_delay=0, retries=1, backoff=0.01, concurrency=8)


@pytest.fixture
def site():
    fake = FakeSite()
    with LocalServer() as server:
        fake.serve(server)
        yield fake, server


def _paths(server: LocalServer) -> list[str]:
    return [p for p, _ in server.log]


def _run(cfg, engine, *sources: Source) -> collection.Collected:
    """Collect, then store the documents: their targets are marked seen, and the list pages'
    validators kept, only in the transaction that stores them."""
    with Fetcher(FAST) as fetcher:
        got = crawl.collect_sources(FAST, list(sources), engine, fetcher)
    pipeline.ingest(engine, pipeline.Settings.from_config(cfg), got.documents)
    return got


def _site_sources(server: LocalServer, max_pages: int = 5) -> list[Source]:
    return [
        Source(kind="site", name=name, url=server.url(f"/{col}/index.html"), max_pages=max_pages)
        for col, name in COLUMNS.items()
    ]


def test_list_page_links_have_precision_one_and_full_recall_with_their_dates():
    fake = FakeSite(base="http://127.0.0.1:1")
    files = fake.files()
    tp = fp = fn = 0
    for column in COLUMNS:
        for n, items in enumerate(fake.pages(column)):
            path = f"/{column}/index.html" if n == 0 else f"/{column}/index_{n}.html"
            page = listpage.parse(files[path][0].decode(), fake.base + path, today=TODAY)
            got = {link.url.removeprefix(fake.base) for link in page.links}
            gold = fake.gold(column, n)
            tp, fp, fn = tp + len(got & gold), fp + len(got - gold), fn + len(gold - got)
            dates = {link.url.removeprefix(fake.base): link.date for link in page.links}
            assert all(dates[a.path] == a.day for a in items)
            later = [fake.base + p for p in fake.list_url_paths() if p.startswith(f"/{column}/")][n + 1 :]
            assert list(page.pages) == later
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision == 1.0
    assert recall >= 0.98


def test_other_common_list_shapes_picture_links_month_day_dates_and_bare_anchors():
    today = date(2026, 1, 5)
    rows = "".join(
        f'<li><a href="/c/{800 + i}.shtml"><img src="p.jpg"></a><a href="/c/{800 + i}.shtml">县融媒体中心第{i}条新闻标题较长</a>'
        f"<em>[12-{20 + i}]</em></li>"
        for i in range(6)
    )
    bare = "".join(
        f'<a href="/zx/content_{4000 + i}.htm">学院召开第{i}次产教融合推进会议</a> 2025/12/0{i + 1}<br>'
        for i in range(5)
    )
    html = '<html><body><ul class="menu"><li><a href="/">首页</a></li><li><a href="/zx/">资讯</a></li><li><a href="/gk/">公开</a></li></ul>'
    first = listpage.parse(html + f"<ul>{rows}</ul></body></html>", "http://x.cn/c/", today=today)
    assert [link.url for link in first.links] == [f"http://x.cn/c/{800 + i}.shtml" for i in range(6)]
    assert first.links[0].text == "县融媒体中心第0条新闻标题较长" and first.links[0].date == date(2025, 12, 20)
    second = listpage.parse(html + f"<div>{bare}</div></body></html>", "http://x.cn/zx/", today=today)
    assert [link.date for link in second.links] == [date(2025, 12, i + 1) for i in range(5)]
    inside = "".join(
        f'<p><a href="/xw/{9000 + i}.html"><b>市政府常务会议研究部署第{i}项工作</b><i>01-0{i + 1}</i></a></p>'
        for i in range(4)
    )
    third = listpage.parse(html + f"<div>{inside}</div></body></html>", "http://x.cn/xw/", today=today)
    assert [link.date for link in third.links] == [date(2026, 1, i + 1) for i in range(4)]


def test_hanweb_lists_shipped_as_cdata_records_for_a_script_are_read():
    records = "".join(
        f"<record><![CDATA[<li><a href='/art/2025/11/{10 + i}/art_1229_{5600 + i}.html' title='t'>"
        f"市人社局召开第{i}次就业创业工作推进会</a><span>2025-11-{10 + i}</span></li>]]></record>"
        for i in range(8)
    )
    html = (
        '<html><body><ul class="nav"><li><a href="/">首页</a></li><li><a href="/col/col1/">新闻</a></li>'
        '<li><a href="/col/col2/">公开</a></li></ul><div id="4416"><script type="text/xml"><datastore>'
        f"<nextgroup><![CDATA[<a href='/module/jpage/dataproxy.jsp?page=1'></a>]]></nextgroup><recordset>{records}"
        "</recordset></datastore></script></div></body></html>"
    )
    page = listpage.parse(html, "http://rsj.x.gov.cn/col/col1229/index.html", today=date(2025, 12, 1))
    assert [link.url for link in page.links] == [
        f"http://rsj.x.gov.cn/art/2025/11/{10 + i}/art_1229_{5600 + i}.html" for i in range(8)
    ]
    assert page.links[0].date == date(2025, 11, 10)


def test_home_page_blocks_nav_footer_and_friendly_links_score_below_article_lists():
    fake = FakeSite(base="http://127.0.0.1:1")
    page = listpage.parse(fake.files()["/"][0].decode(), fake.base + "/", today=TODAY)
    best = page.blocks[0]
    assert best.path.endswith("div.home-box/ul")
    chrome = [b for b in page.blocks if "nav" in b.path or "footer" in b.path or "yqlj" in b.path]
    assert len(chrome) == 3
    assert all(b.score < 0.1 * best.score for b in chrome)


def test_first_run_fetches_every_listed_article_and_nothing_else(site, cfg, engine):
    fake, server = site
    got = _run(cfg, engine, *_site_sources(server))
    fetched = set(_paths(server))
    gold = {a.path for a in fake.all_articles()}
    allowed = gold - {p for p in gold if p.startswith(DISALLOWED)}
    assert allowed <= fetched
    # Nav, footer, friendly links, sidebar and pager links are never fetched as articles.
    assert fetched <= allowed | set(fake.list_url_paths()) | {"/robots.txt"}
    assert {d.origin.removeprefix(server.base) for d in got.documents} == allowed
    refused = [r for r in got.rejected if DISALLOWED in r.origin]
    assert [r.reason for r in refused] == ["article page: disallowed by robots.txt"]
    assert server.requests("/robots.txt") and len(server.requests("/robots.txt")) == 1
    health = {h.name: h for h in got.health}
    assert health["工作动态"].seen == health["工作动态"].new == len(fake.articles["xwzx"])


def test_one_run_reads_robots_txt_once_for_feed_and_site_sources_of_a_host(site, tmp_path):
    from newsdigest import config, sources

    _fake, server = site
    toml = tmp_path / "newsdigest.toml"
    toml.write_text(
        f'[fetch]\nper_host_delay = 0.0\n\n[[sources]]\nkind = "feed"\nname = "rss"\nurl = "{server.url("/rss.xml")}"\n'
        f'\n[[sources]]\nkind = "site"\nname = "通知公告"\nurl = "{server.url("/tzgg/")}"\nmax_pages = 1\n',
        encoding="utf-8",
    )
    cfg = config.load(toml, tmp_path / "state", env={})
    docs, _rejected = sources.collect(cfg, store.connect(cfg.store_url))
    assert len(docs) == 10 + 15
    assert len(server.requests("/robots.txt")) == 1


def test_second_run_with_nothing_new_costs_one_conditional_get_per_site(site, cfg, engine):
    _fake, server = site
    source = _site_sources(server)[0]
    _run(cfg, engine, source)
    server.log.clear()
    got = _run(cfg, engine, source)
    assert _paths(server) == ["/robots.txt", "/xwzx/index.html"]
    assert "If-None-Match" in server.requests("/xwzx/index.html")[0]
    assert got.documents == [] and got.health[0].status == "not_modified"


def test_second_run_after_new_articles_fetches_only_those(site, cfg, engine):
    fake, server = site
    source = _site_sources(server)[0]
    _run(cfg, engine, source)
    new = fake.publish("xwzx", 3, TODAY)
    fake.serve(server)
    server.log.clear()
    got = _run(cfg, engine, source)
    assert _paths(server)[:2] == ["/robots.txt", "/xwzx/index.html"]
    assert sorted(_paths(server)[2:]) == sorted(a.path for a in new)
    assert got.health[0].new == 3


def test_more_new_articles_than_a_page_follows_the_next_page(site, cfg, engine):
    fake, server = site
    source = _site_sources(server, max_pages=2)[0]
    _run(cfg, engine, source)
    new = fake.publish("xwzx", 25, TODAY)
    fake.serve(server)
    server.log.clear()
    got = _run(cfg, engine, source)
    assert "/xwzx/index_1.html" in _paths(server) and "/xwzx/index_2.html" not in _paths(server)
    assert {d.origin.removeprefix(server.base) for d in got.documents} == {a.path for a in new}


def test_list_date_is_the_published_date_when_the_page_shows_none(site, cfg, engine):
    fake, server = site
    source = Source(kind="site", name="政策文件", url=server.url("/zcwj/"), max_pages=1)
    got = _run(cfg, engine, source)
    pipeline.ingest(engine, pipeline.Settings.from_config(cfg), got.documents, got.rejected)
    published = {a.origin.removeprefix(server.base): a.published for a in store.load_articles(engine)}
    undated = [a for a in fake.articles["zcwj"] if not a.shows_date and not a.path.startswith(DISALLOWED)]
    assert undated
    assert all(published[a.path] == a.day for a in fake.articles["zcwj"] if a.path in published)


def test_health_report_and_run_summary_cover_site_and_sitemap_sources(site, cfg, engine):
    from newsdigest.flows.common import summary_markdown

    _fake, server = site
    sources = [
        Source(kind="site", name="工作动态", url=server.url("/xwzx/"), max_pages=1),
        Source(kind="sitemap", name="news", url=server.url("/news_sitemap.xml")),
    ]
    _run(cfg, engine, *sources)
    rows = {r["name"]: r for r in fetchstate.health_report(engine, cfg.sources)}
    assert rows["工作动态"]["kind"] == "site" and rows["工作动态"]["items_new"] == 20
    assert rows["news"]["kind"] == "sitemap" and rows["news"]["last_status"] == "ok"
    text = summary_markdown("Ingest run", {"sources": list(rows.values())})
    assert "| 工作动态 | ok | 20 | 20 | 0 |" in text
    assert "| news | ok |" in text


def test_include_and_exclude_patterns_filter_article_links(site, cfg, engine):
    _fake, server = site
    month = f"{TODAY:%Y%m}"
    source = Source(kind="site", name="x", url=server.url("/xwzx/"), max_pages=1, exclude=f"/{month}/")
    got = _run(cfg, engine, source)
    assert got.documents and all(f"/{month}/" not in d.origin for d in got.documents)


def test_a_page_with_no_article_list_is_a_one_line_source_error(site, cfg, engine):
    _fake, server = site
    server.add(
        "/empty.html",
        Route(body="<html><body><p>维护中</p></body></html>".encode(), headers={"Content-Type": "text/html"}),
    )
    got = _run(cfg, engine, Source(kind="site", name="empty", url=server.url("/empty.html")))
    assert got.health[0].status == "error"
    assert got.health[0].error == "no list of article links found on the page"
    rows = {r["name"]: r for r in fetchstate.health_report(engine, cfg.sources)}
    assert rows["empty"]["kind"] == "site" and rows["empty"]["last_status"] == "error"
    feed = _run(cfg, engine, Source(kind="site", name="feed", url=server.url("/rss.xml")))
    assert feed.health[0].error == 'no list of article links found on the page (it serves a feed: use kind = "feed")'


def _at_one(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 1, tzinfo=UTC)


# --- sitemaps -----------------------------------------------------------------------


def test_sitemap_index_with_gzip_children_gives_recent_urls_then_nothing(site, cfg, engine):
    fake, server = site
    source = Source(kind="sitemap", name="sitemap", url=server.url("/sitemap_index.xml"), max_age_days=7)
    got = _run(cfg, engine, source)
    since = datetime.now(UTC) - timedelta(days=7)  # lastmod is 09:00 Beijing time, 01:00 UTC
    recent = {a.path for c in ("xwzx", "tzgg") for a in fake.articles[c] if _at_one(a.day) >= since}
    assert recent and {d.origin.removeprefix(server.base) for d in got.documents} == recent
    assert server.requests("/sitemaps/xwzx.xml.gz")
    server.log.clear()
    got = _run(cfg, engine, source)
    assert got.documents == [] and got.health[0].status == "not_modified"
    assert _paths(server) == ["/robots.txt", "/sitemap_index.xml"]


def test_news_sitemap_titles_and_dates_travel_with_the_articles(site, cfg, engine):
    fake, server = site
    source = Source(kind="sitemap", name="news", url=server.url("/news_sitemap.xml"), max_age_days=30)
    got = _run(cfg, engine, source)
    by_path = {a.path: a for a in fake.all_articles()}
    assert got.documents
    for doc in got.documents:
        article = by_path[doc.origin.removeprefix(server.base)]
        assert doc.title_hint == article.title and doc.listed_date == article.day


# --- robots.txt ---------------------------------------------------------------------


def test_robots_txt_is_read_once_per_host_and_refuses_disallowed_paths():
    with LocalServer() as server:
        server.add("/robots.txt", body=b"User-agent: newsdigest\nDisallow: /private/\n\nUser-agent: *\nDisallow: /\n")
        server.add("/private/a.html", body=b"<p>secret</p>")
        server.add("/public/a.html", body=b"<p>news</p>")
        with Fetcher(FAST) as fetcher:
            got = fetcher.get_many([server.url("/private/a.html"), server.url("/public/a.html")] * 3)
        assert [g.error for g in got[:2]] == ["disallowed by robots.txt", None]
        assert not got[0].transient
        assert len(server.requests("/robots.txt")) == 1
        assert not server.requests("/private/a.html")


def test_robots_txt_missing_allows_and_failing_refuses_for_this_run():
    with LocalServer() as missing, LocalServer() as failing:
        missing.add("/a.html", body=b"ok")
        failing.add("/robots.txt", status=503)
        failing.add("/a.html", body=b"ok")
        with Fetcher(FAST) as fetcher:
            assert fetcher.get(missing.url("/a.html")).error is None
            refused = fetcher.get(failing.url("/a.html"))
        assert refused.error == "robots.txt unavailable (HTTP 503): not fetching this run"
        assert refused.transient and not failing.requests("/a.html")


def test_robots_can_be_turned_off():
    with LocalServer() as server:
        server.add("/robots.txt", body=b"User-agent: *\nDisallow: /\n")
        server.add("/a.html", body=b"ok")
        with Fetcher(FetchSettings(per_host_delay=0, robots=False)) as fetcher:
            assert fetcher.get(server.url("/a.html")).error is None
        assert not server.requests("/robots.txt")


def test_site_and_sitemap_options_load_and_bad_ones_are_one_line_errors(tmp_path):
    from newsdigest import config

    good = tmp_path / "good.toml"
    good.write_text(
        '[[sources]]\nkind = "site"\nname = "动态"\nurl = "http://x.gov.cn/xwzx/"\nmax_pages = 2\nexclude = "/zt/"\n'
        '[[sources]]\nkind = "sitemap"\nname = "sm"\nurl = "http://x.gov.cn/sitemap.xml"\nmax_age_days = 3\n',
        encoding="utf-8",
    )
    site_src, sitemap_src = config.load(good, tmp_path, env={}).sources
    assert (site_src.kind, site_src.max_pages, site_src.exclude) == ("site", 2, "/zt/")
    assert (sitemap_src.kind, sitemap_src.max_age_days) == ("sitemap", 3)
    bad = tmp_path / "bad.toml"
    bad.write_text('[[sources]]\nkind = "site"\nname = "s"\nurl = "http://x/"\ninclude = "(["\n', encoding="utf-8")
    with pytest.raises(config.ConfigError, match="include is not a valid pattern"):
        config.load(bad, tmp_path, env={})


# --- discover -----------------------------------------------------------------------


def _newsdigest(state, config_file, *args: str, delay: str = "0") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDIGEST_")}
    env["NEWSDIGEST_FETCH_PER_HOST_DELAY"] = delay
    exe = str(Path(sys.executable).parent / "newsdigest")
    cmd = [exe, "--state", str(state), "--config", str(config_file), *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)


def test_discover_prints_the_feed_sitemaps_and_list_pages_then_they_ingest(site, tmp_path):
    fake, server = site
    config_file = tmp_path / "newsdigest.toml"
    config_file.write_text("[fetch]\nper_host_delay = 0.0\n", encoding="utf-8")
    found = _newsdigest(tmp_path / "state", config_file, "discover", server.url("/"))
    assert found.returncode == 0, found.stderr
    blocks = tomllib.loads(found.stdout)["sources"]
    by_kind = {}
    for block in blocks:
        by_kind.setdefault(block["kind"], []).append(block["url"].removeprefix(server.base))
    assert by_kind == {
        "feed": ["/rss.xml"],
        "sitemap": ["/sitemap_index.xml", "/news_sitemap.xml"],
        "site": ["/xwzx/index.html", "/tzgg/index.html", "/zcwj/index.html"],
    }
    counts = re.findall(r"^# list page: (\d+) articles", found.stdout, re.M)
    assert [int(c) for c in counts] == [len(fake.articles[c]) for c in ("xwzx", "tzgg", "zcwj")]
    assert "6 sources found" in found.stderr
    # Pasted into a configuration, the list pages ingest; a second run takes nothing again.
    sites = "\n".join(b for b in found.stdout.split("\n\n") if 'kind = "site"' in b)
    config_file.write_text("[fetch]\nper_host_delay = 0.0\n\n" + sites, encoding="utf-8")
    first = _newsdigest(tmp_path / "state", config_file, "ingest")
    assert first.returncode == 0, first.stderr
    assert "new articles: 91" in first.stdout  # every listed article but the one robots.txt disallows
    server.log.clear()
    again = _newsdigest(tmp_path / "state", config_file, "ingest")
    assert "documents: 0" in again.stdout
    assert sorted(_paths(server)) == ["/robots.txt", "/tzgg/index.html", "/xwzx/index.html", "/zcwj/index.html"]


def test_discover_on_an_unreachable_site_is_one_line(tmp_path):
    config_file = tmp_path / "newsdigest.toml"
    config_file.write_text("[fetch]\nretries = 0\n", encoding="utf-8")
    with LocalServer() as server:
        url = server.url("/")
    got = _newsdigest(tmp_path / "state", config_file, "discover", url)
    assert got.returncode == 1
    assert got.stderr.startswith("error:") and len(got.stderr.strip().splitlines()) == 1


def test_undated_sitemap_urls_are_a_baseline_on_the_first_run_then_new_ones_are_fetched(site, cfg, engine):
    fake, server = site
    articles = fake.articles["xwzx"]

    def serve(items) -> None:
        urls = "".join(f"<url><loc>{server.base}{a.path}</loc></url>" for a in items)
        body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()
        server.add("/plain.xml", body=body, headers={"Content-Type": "application/xml"})

    serve(articles[3:])
    source = Source(kind="sitemap", name="plain", url=server.url("/plain.xml"))
    first = _run(cfg, engine, source)
    assert first.documents == [] and first.health[0].seen == len(articles) - 3
    serve(articles)
    second = _run(cfg, engine, source)
    assert {d.origin.removeprefix(server.base) for d in second.documents} == {a.path for a in articles[:3]}


def test_a_list_date_is_used_only_when_the_page_shows_no_date():
    from newsdigest.models import Document

    page = "<html><head><title>通知</title></head><body><h1>关于开展职业院校技能大赛的通知</h1>"
    page += (
        "<div class='content'>"
        + "<p>各县（区）教育局要高度重视，认真组织，于规定时间内报送相关材料。</p>" * 6
        + "</div></body></html>"
    )
    listed = date(2025, 11, 20)
    doc = Document(
        origin="http://x.cn/a/notice.html",
        data=page.encode(),
        content_type="text/html",
        url="http://x.cn/a/notice.html",
        listed_date=listed,
    )
    assert pipeline.read_articles(doc)[0].published == listed
    dated = page.replace("<h1>", "<p>发布时间：2025-11-18</p><h1>")
    shown = Document(
        origin="http://x.cn/a/n2.html",
        data=dated.encode(),
        content_type="text/html",
        url="http://x.cn/a/n2.html",
        listed_date=listed,
    )
    assert pipeline.read_articles(shown)[0].published == date(2025, 11, 18)


def test_an_old_article_that_failed_for_now_is_taken_by_the_next_run_although_page_one_is_known(site, cfg, engine):
    """An article on page 3 fails (500, retried) on the first run; every newer one is stored. The
    next run must still page down to it: the newer pages' last links were not marked seen."""
    fake, server = site
    source = _site_sources(server)[0]  # 工作动态: 57 articles on three list pages
    old = fake.articles["xwzx"][45].path
    server.routes[old].fail_first = 2  # both attempts of the first run
    first = _run(cfg, engine, source)
    assert [r.origin for r in first.rejected] == [server.url(old)] and "(will retry)" in first.rejected[0].reason
    second = _run(cfg, engine, source)
    assert [d.origin for d in second.documents if d.origin == server.url(old)] == [server.url(old)]
    stored = {a.origin.removeprefix(server.base) for a in store.load_articles(engine)}
    assert stored == {a.path for a in fake.articles["xwzx"]}
    with engine.connect() as conn:
        documents = conn.exec_driver_sql("SELECT count(*) FROM documents").scalar()
    assert documents == len(fake.articles["xwzx"])  # the newer links fetched again are not doubled


def test_a_later_list_page_failed_for_now_is_read_by_the_next_run(site, cfg, engine):
    """Page 2 of a first run fails (500, retried); page 1's articles are stored. Page 1 must not
    answer the next run with a 304, and its last link must not end the paging: the links of
    pages 2 and 3 were never read."""
    fake, server = site
    source = _site_sources(server)[0]  # 工作动态: 57 articles on three list pages
    server.routes["/xwzx/index_1.html"].fail_first = 2  # both attempts of the first run
    first = _run(cfg, engine, source)
    assert any("index_1.html" in r.origin for r in first.rejected)
    _run(cfg, engine, source)
    stored = {a.origin.removeprefix(server.base) for a in store.load_articles(engine)}
    assert stored == {a.path for a in fake.articles["xwzx"]}
    pages = [source.url, server.url("/xwzx/index_1.html"), server.url("/xwzx/index_2.html")]
    assert list(fetchstate.get_validators(engine, pages)) == [source.url]  # later pages are read in full
