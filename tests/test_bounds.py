"""Bounded memory per input: what reaches the HTML parsers is bounded, and a long page is cut
with one warning line; a page under the limit reaches them unchanged."""

from __future__ import annotations

import logging

from newsdigest import extract, pipeline
from newsdigest.models import Document

PAGE = (
    "<html><head><title>t</title><style>p{color:red}</style>"
    '<script type="application/ld+json">{"datePublished": "2024-05-06"}</script>'
    "<script>var a = '<p>not text</p>';</script></head><body><!-- a <p>comment</p> -->"
    "<p>第一段。</p><SCRIPT src=x></SCRIPT><p>第二段。</p></body></html>"
)


def test_scripts_styles_and_comments_are_dropped_json_ld_stays() -> None:
    light = extract.without_heavy(PAGE)
    assert "not text" not in light and "color:red" not in light and "comment" not in light
    assert '"datePublished": "2024-05-06"' in light
    assert "<p>第一段。</p>" in light and "<p>第二段。</p>" in light


def test_an_unclosed_script_or_comment_takes_the_rest_of_the_page() -> None:
    assert extract.without_heavy("<p>a</p><script>var x = 1; <p>b</p>") == "<p>a</p>"
    assert extract.without_heavy("<p>a</p><!-- <p>b</p>") == "<p>a</p>"
    assert extract.without_heavy("<p>a</p><script") == "<p>a</p>"
    # Many openings with no end: still one pass (each piece is searched for once).
    assert extract.without_heavy("<p>a</p>" + "<script" * 200_000) == "<p>a</p>"
    assert extract.without_heavy("<p>a</p>" + "<!--" * 200_000) == "<p>a</p>"


def test_a_short_page_reaches_the_parsers_unchanged() -> None:
    assert extract.bounded_html(PAGE, "x", limit=len(PAGE)) is PAGE


def test_a_long_page_loses_its_heavy_parts_then_is_cut_at_a_tag_with_one_warning(caplog) -> None:
    paragraphs = "".join(f"<p>第{i}段，产教融合。</p>" for i in range(2000))
    page = f"<html><body><script>{'x' * 50_000}</script>{paragraphs}</body></html>"
    with caplog.at_level(logging.WARNING, "newsdigest.extract"):
        assert extract.bounded_html(page, "big.html", limit=len(page) - 40_000) == extract.without_heavy(page)
    assert not caplog.records
    with caplog.at_level(logging.WARNING, "newsdigest.extract"):
        kept = extract.bounded_html(page, "big.html", limit=10_000)
    light = extract.without_heavy(page)
    assert len(kept) <= 10_000 and light.startswith(kept) and light[len(kept)] == "<"  # cut before a tag
    assert kept.startswith("<html><body><p>第0段")
    [record] = caplog.records
    assert record.getMessage().startswith("big.html: page cut to its first ")
    assert "limit 10,000" in record.getMessage()


def test_a_page_over_the_limit_still_gives_its_article(monkeypatch, caplog) -> None:
    monkeypatch.setattr(extract, "MAX_PAGE_CHARS", 20_000)
    body = "".join(f"<p>职业院校深化产教融合，第{i}家企业与学校共建实训基地，培养技能人才。</p>" for i in range(1500))
    page = f"<html><head><title>产教融合</title></head><body><div>{body}</div></body></html>"
    doc = Document(origin="long.html", data=page.encode(), content_type="text/html")
    with caplog.at_level(logging.WARNING, "newsdigest.extract"):
        [article] = pipeline.read_articles(doc)
    assert "第0家企业" in article.text and "第1499家企业" not in article.text
    assert any("long.html: page cut" in r.getMessage() for r in caplog.records)
