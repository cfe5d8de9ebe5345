"""The weekly digest: weeks, content, safety, size, determinism and the archive."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from conftest import ROOT, SEEDS
from digest_samples import article_row, insert_week, monday
from sqlalchemy import insert

from newsdigest import config, digest, pipeline, publish, sources, store
from newsdigest.store.schema import articles, documents

GMAIL_CLIP = 102 * 1024
W23 = monday(date(2025, 6, 2))  # 2025-06-01 16:00 UTC = Monday 2025-06-02 00:00 in Shanghai


def add(engine, *rows):
    with engine.begin() as conn:
        for row in rows:
            res = conn.execute(
                insert(documents).values(
                    origin=row["origin"],
                    sha256=row["content_hash"],
                    source="feeds",
                    first_seen=row["first_seen"],
                    status="ok",
                )
            )
            row["document_id"] = res.inserted_primary_key[0]
        conn.execute(insert(articles), list(rows))


def test_iso_week_is_the_shanghai_week_as_naive_utc():
    label, start, end = digest.iso_week("2025-W23")
    assert label == "2025-W23"
    assert (start, end) == (datetime(2025, 6, 1, 16), datetime(2025, 6, 8, 16))
    assert digest.iso_week("2025w1")[0] == "2025-W01"
    assert digest.iso_week(None, today=date(2025, 6, 8))[0] == "2025-W23"  # a Sunday
    assert digest.iso_week(None, today=date(2026, 1, 1))[0] == "2026-W01"
    assert digest.iso_week("2020-W53")[0] == "2020-W53"


@pytest.mark.parametrize("bad", ["2025-23", "W23", "2025-W54", "2025-W53", "next week", ""])
def test_iso_week_rejects_bad_values_in_one_line(bad):
    with pytest.raises(ValueError) as info:
        digest.iso_week(bad)
    assert "\n" not in str(info.value)


def test_a_week_holds_what_was_first_seen_in_it_and_shows_the_published_date(cfg, engine):
    late_sunday = article_row(1, W23 - timedelta(minutes=30), title="周日深夜收录的旧闻")  # 23:30 Shanghai, W22
    monday_early = article_row(2, W23 + timedelta(minutes=10), title="周一凌晨收录的报道")
    add(engine, late_sunday, monday_early)
    result = publish.build(cfg, engine, "2025-W23")
    assert "周一凌晨收录的报道" in result.html and "周日深夜收录的旧闻" not in result.html
    assert f"发布 {monday_early['published'].isoformat()}" in result.html
    assert "周日深夜收录的旧闻" in publish.build(cfg, engine, "2025-W22").html


def test_week_of_fifty_stories(cfg, engine):
    insert_week(engine, W23)
    result = publish.build(cfg, engine, "2025-W23")
    assert (result.stories, result.articles) == (50, 58)
    assert result.subject == "产教融合周报 2025-W23 · 50 条新闻"
    assert len(result.html.encode("utf-8")) < GMAIL_CLIP
    html = result.html
    assert "<style" not in html and 'style="' in html and ' class="' not in html
    for forbidden in ("<script", "<svg", "<img", "<link", "@import", "url("):
        assert forbidden not in html.lower()
    assert re.search(r"max-width: ?640px", html)
    heads = [h for h in ("产教融合", "技能人才", "职业教育", "区域经济") if f">{h} <span" in html]
    assert heads == ["产教融合", "技能人才", "职业教育", "区域经济"]  # taxonomy order
    # counts in the header: stories, articles, outlets, duplicates collapsed, spam and chrome blocks
    assert (
        "<b" in html and re.search(r"50</b>\s*条新闻（新 50 条）", html) and re.search(r"合并重复 <b[^>]*>8</b>", html)
    )
    spam = sum(i % 3 for i in range(50)) + sum(i % 3 for i in range(1000, 1008))
    assert re.search(rf"清除垃圾链接 <b[^>]*>{spam}</b>", html)
    # every title, linked to its original
    for i in range(50):
        assert f'href="https://news.example.cn/{i}.html"' in html
        assert f"（第{i + 1}期）" in result.text


def test_stories_rank_by_coverage_and_show_who_else_carried_them(cfg, engine):
    insert_week(engine, W23)
    text = publish.build(cfg, engine, "2025-W23").text
    section = text.split("== 产教融合")[1].split("==")[1]
    first = section.split("\n\n")[1]
    assert first.startswith("1. 杭州") and "2 篇报道" in first and "同时刊发：中国青年报 (1)" in first


def test_titles_are_escaped_and_only_http_links_are_kept(cfg, engine):
    seen = W23 + timedelta(hours=3)
    add(
        engine,
        article_row(1, seen, title="<script>alert(1)</script>校企合作", url="javascript:alert(1)"),
        article_row(2, seen, title="本地文件", url="file:///etc/passwd"),
        article_row(3, seen, title="正常链接", url="http://example.cn/a?x=1&y=2"),
    )
    html = publish.build(cfg, engine, "2025-W23").html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;校企合作" in html
    assert "javascript:" not in html and "file://" not in html
    assert 'href="http://example.cn/a?x=1&amp;y=2"' in html


def test_a_story_from_an_earlier_week_is_marked_and_not_counted_new(cfg, engine):
    first = article_row(1, W23 - timedelta(days=3))
    reprint = article_row(2, W23 + timedelta(days=1), story=first["id"], outlet="人民网")
    add(engine, first, reprint)
    result = publish.build(cfg, engine, "2025-W23")
    assert "持续报道" in result.html and "（新 0 条）" in result.text


def test_coverage_appendix_gives_reasons(cfg, engine):
    insert_week(engine, W23)
    result = publish.build(cfg, engine, "2025-W23")
    for text in (result.html, result.text):
        assert "broken.html: cannot decode: not UTF-8/GB18030 (quarantined)" in text
        assert "rss: fetch error: HTTP 503" in text
        assert "重复：《杭州：市域产教联合体建设推进会召开，校企合作共建…》并入 新华网 的同题报道" in text
    assert "feeds：抓取 59 · 报道 58 · 新故事 50" in result.text


def test_keyword_chart_compares_with_the_previous_week():
    week = [digest_article(("人才", "技能")), digest_article(("人才",))]
    before = [
        digest_article(("技能",)),
        digest_article(("技能",)),
        digest_article(("技能",)),
        digest_article(("技能",)),
    ]
    bars = digest.keyword_bars(week, before)
    assert [(b.keyword, b.now, b.before, b.now_pct, b.before_pct) for b in bars] == [
        ("人才", 2, 0, 50, 0),
        ("技能", 1, 4, 25, 100),
    ]


def digest_article(keywords):
    from newsdigest.models import StoredArticle

    return StoredArticle(
        id="x",
        origin="o",
        part=0,
        title="t",
        body=("b",),
        published=None,
        first_seen=W23,
        source=None,
        authors=(),
        regions=(),
        topics=(),
        keywords=keywords,
        summary="",
        story="x",
    )


def test_rendering_is_deterministic_and_the_archive_links_every_week(cfg, engine, state):
    insert_week(engine, W23)
    add(engine, article_row(7000, W23 - timedelta(days=2), title="上周的报道"))
    first = publish.build(cfg, engine, "2025-W23")
    before = {p.name: p.read_bytes() for p in first.paths}
    publish.build(cfg, engine, "2025-W22")
    again = publish.build(cfg, engine, "2025-W23")
    assert {p.name: p.read_bytes() for p in again.paths[:2]} == {
        k: before[k] for k in ("2025-W23.html", "2025-W23.txt")
    }
    index = (state / "digests" / "index.html").read_text(encoding="utf-8")
    assert index.index('href="2025-W23.html"') < index.index('href="2025-W22.html"')
    assert 'href="2025-W22.txt"' in index and "产教融合周报 2025-W23 · 50 条新闻" in index
    assert sorted(p.name for p in (state / "digests").iterdir()) == [
        "2025-W22.html",
        "2025-W22.txt",
        "2025-W23.html",
        "2025-W23.txt",
        "index.html",
    ]


def test_subject_is_configurable(state, engine):
    cfg = config.load(ROOT / "newsdigest.toml", state, env={"NEWSDIGEST_DIGEST_SUBJECT": "[{week}] {count} stories"})
    insert_week(engine, W23, stories=3, reprints=0)
    assert publish.build(cfg, engine, "2025-W23").subject == "[2025-W23] 3 stories"


def test_an_empty_week_still_renders(cfg, engine):
    result = publish.build(cfg, engine, "2025-W23")
    assert result.stories == 0 and "本周没有收录新的报道" in result.html and "本周没有收录新的报道" in result.text


def test_seeds_digest(cfg, engine):
    docs, rejected = sources.collect(cfg, engine, [str(SEEDS)])
    pipeline.ingest(engine, pipeline.Settings.from_config(cfg), docs, rejected)
    result = publish.build(cfg, engine, None)
    assert result.articles == len(store.load_articles(engine)) and result.stories >= 1
    assert len(result.html.encode("utf-8")) < GMAIL_CLIP
    for a in store.load_articles(engine):
        assert a.title in result.text


def test_a_huge_week_keeps_the_email_under_the_clipping_size_and_the_archive_whole(cfg, engine):
    insert_week(engine, W23, stories=160, reprints=0)
    result = publish.build(cfg, engine, "2025-W23")
    archived = result.html_path.read_text(encoding="utf-8")
    assert len(archived.encode("utf-8")) > GMAIL_CLIP and "（第160期）" in archived
    assert len(result.html.encode("utf-8")) < GMAIL_CLIP
    assert "未在邮件中列出，见归档 2025-W23.html" in result.html and "（第1期）" in result.html
    assert re.search(r">产教融合 <span[^>]*>40 条</span>", result.html)  # the heading counts every story


def test_the_email_stays_under_its_budget_whatever_the_week_holds_and_the_archive_keeps_all(cfg, engine):
    from newsdigest.store.schema import rejects

    insert_week(engine, W23, stories=400, reprints=300)
    seen = W23 + timedelta(hours=5)
    with engine.begin() as conn:
        conn.execute(
            insert(rejects),
            [
                {
                    "origin": f"https://spam{i % 40}.example.cn/{i}.html",
                    "source": None,
                    "reason": "no article text found",
                    "at": seen,
                }
                for i in range(4000)
            ],
        )
    result = publish.build(cfg, engine, "2025-W23")
    for part in (result.html, result.text):
        assert len(part.encode("utf-8")) <= digest.EMAIL_BUDGET
    assert "见存档页" in result.text and "见存档页" in result.html
    archive = result.html_path.read_text(encoding="utf-8")
    assert archive.count("no article text found") == 4000
    assert not list(result.html_path.parent.glob("*.tmp"))
