"""HTML pages: trafilatura's text, then the same cleaner; dates from the page."""

import json
from datetime import date
from pathlib import Path

from newsdigest import decode
from newsdigest.clean import clean
from newsdigest.extract import html_to_text

DATA = Path(__file__).resolve().parent / "data" / "html"

PAGE = """<html><head><title>市技师学院举行技能大赛</title>
<meta property="article:published_time" content="2024-05-17"></head><body>
<div class="nav">首页 > 新闻 > 教育</div>
<article><h1>市技师学院举行技能大赛</h1>
<p>作者：张三　来源：大连日报　发布时间：2024-05-17</p>
<p>近日,市技师学院举行第十届技能大赛,来自全市的三百余名选手参加了比赛,比赛设机械、电子等十个项目。</p>
<p>▲比赛现场。</p>
<p>学院负责人表示,将继续深化产教融合,为区域经济发展培养更多高技能人才,让学生毕业就能上岗。</p>
<p>梦见蛇是什么意思 | 吃什么补血最快 | 为什么会失眠 | 头疼是什么原因</p>
</article><div class="footer">Copyright © 2024 版权所有 辽ICP备12345678号</div></body></html>"""


def test_html_text_cleaned_with_metadata() -> None:
    text, found = html_to_text(PAGE, "https://example.org/a.html")
    assert found.published == date(2024, 5, 17) and found.source == "大连日报" and "张三" in found.authors
    assert found.title == "市技师学院举行技能大赛"
    cleaned = clean(text)
    body = "\n".join(cleaned.paragraphs)
    assert "近日,市技师学院举行第十届技能大赛" in body and "为区域经济发展培养更多高技能人才" in body
    assert "▲" not in body and "什么意思" not in body
    assert {r.kind for r in cleaned.removed} >= {"caption", "spam"}


def test_date_from_htmldate_when_text_has_none() -> None:
    html = PAGE.replace("发布时间：2024-05-17", "")
    _, found = html_to_text(html, None)
    assert found.published == date(2024, 5, 17)


def test_trafilatura_eval_pages_keep_with_and_drop_without() -> None:
    cases = json.loads((DATA / "trafilatura" / "evaldata_zh_subset.json").read_text("utf-8"))
    url, case = next((u, c) for u, c in cases.items() if "xinhuanet.com.c_" in c["file"])
    text, _ = html_to_text(decode.decode((DATA / "trafilatura" / case["file"]).read_bytes()), url)
    body = "\n".join(clean(text).paragraphs)
    assert all(s in body for s in case["with"])
    assert not any(s in body for s in case["without"])


def test_empty_html() -> None:
    text, _found = html_to_text("<html><body></body></html>", None)
    assert clean(text).paragraphs == ()


THREAD = """<html><body><table><tr><td><a href="/">首页</a> | <a href="/bbs">论坛</a> | <a href="/blog">博客</a></td></tr>
<tr><td class="post-body">{first}</td></tr><tr><td>由海姑娘张贴 @ 2005-06-14 03:25:55</td></tr>
<tr><td class="post-body">{second}</td></tr>
<tr><td class="comment">{comment}</td></tr></table></body></html>"""


def test_table_layout_thread_gives_its_first_post() -> None:
    first = "湘菜粤菜兵分两路，新鲜的是，湘菜浓妆淡抹，粤菜却是明艳照人。鸡汤煨长寿笋，味鲜醇厚，吃起来相当清爽。"
    second = "我真的累了。当斑竹半年来，没有功劳也有苦劳，而一切都怪我太认真。" * 6
    html = THREAD.format(first=first, second=second, comment="写得真好，顶一下，支持楼主，期待下一篇文章。" * 3)
    text, _ = html_to_text(html, None)
    assert first in text and "我真的累了" not in text and "顶一下" not in text


def test_page_without_html_root_still_gives_text() -> None:
    body = "承蒙开心就好的邀请，很高兴入住博客堂。作为微软技术的知名社区，博客堂是一个做技术blog的好地方。"
    html = (
        f'<text id="x"><form><div id="main"><div class="post"><h2>很高兴入住博客堂</h2><p>{body}</p></div></div></form>'
    )
    text, _ = html_to_text(html, None)
    assert body in text


def test_magazine_issue_month_when_the_page_has_no_day() -> None:
    body = "<p>中国的民主运动走过了漫长的道路，我们需要回顾过去，总结经验，面向未来，继续前进。</p>" * 4
    html = f"<html><body><h1>论民主</h1><p>胡平</p>{body}<p>——《北京之春》1998年3月号</p></body></html>"
    _, found = html_to_text(html, None)
    assert found.published == date(1998, 3, 1)


def test_no_date_guessed_from_scripts_or_sidebar_years() -> None:
    body = "<p>我们需要回顾过去，总结经验，面向未来，继续前进，这是一篇没有日期的文章。</p>" * 4
    html = (
        f"<html><body><script>//2006-10-23: ad channel</script>{body}"
        "<div>Copyright 2005-2006 All rights reserved</div></body></html>"
    )
    _, found = html_to_text(html, None)
    assert found.published is None


def test_author_under_the_heading_and_forum_posters() -> None:
    body = "<p>人心不会熄灭，但它可能蒙上灰烬而不再燃烧。灰烬本来是燃烧的产物，但它也会窒息火焰。</p>" * 4
    _, found = html_to_text(f"<html><body><h2>犬儒病(上)</h2><p>胡平</p>{body}</body></html>", None)
    assert found.authors == ("胡平",)
    _, found = html_to_text(f"<html><body>{body}<p>由海姑娘张贴 @ 2005-03-21 01:20:44 (359)</p></body></html>", None)
    assert found.authors == ("海姑娘",)
    _, found = html_to_text(f"<html><body><p>Journals by Subject</p>{body}</body></html>", None)
    assert found.authors == ()
    _, found = html_to_text(f"<html><body><p>发布时间 2005/05/17 22:11:42 by 眉间尺</p>{body}</body></html>", None)
    assert found.authors == ("眉间尺",)


def test_meta_author_only_when_a_real_name() -> None:
    body = "<p>淘宝网物流配送存在的问题很多，本文分析了原因，并提出了对策和建议，供同行参考。</p>" * 4
    head = '<head><meta name="author" content="{}"></head>'
    _, found = html_to_text(f"<html>{head.format('赵  培')}<body>{body}</body></html>", None)
    assert found.authors == ("赵培",)
    _, found = html_to_text(f"<html>{head.format('大汉网络')}<body>{body}</body></html>", None)
    assert found.authors == ()


def test_the_date_nearest_above_the_body_is_the_articles() -> None:
    body = "<p>我们需要回顾过去，总结经验，面向未来，继续前进，这是一篇讨论教育改革的文章。</p>" * 4
    html = f"<html><body><div>今天是2006年1月5日 星期四</div><h1>教育改革的路</h1><p>2003年5月</p>{body}</body></html>"
    _, found = html_to_text(html, None)
    assert found.published == date(2003, 5, 1)


def test_a_list_of_stamped_links_after_the_body_gives_no_date() -> None:
    body = "<p>我们需要回顾过去，总结经验，面向未来，继续前进，这是一篇没有日期的小说章节。</p>" * 4
    chapters = "".join(f"<p>第{i}章 归来 2005-0{i}-1{i} 10:2{i}:00</p>" for i in range(1, 6))
    _, found = html_to_text(f"<html><body><h1>归来</h1>{body}{chapters}</body></html>", None)
    assert found.published is None


def test_us_stamp_with_am_pm_is_month_first() -> None:
    body = "<p>我们需要回顾过去，总结经验，面向未来，继续前进，这是一篇讨论教育改革的文章。</p>" * 4
    _, found = html_to_text(f"<html><body><h1>题目</h1><p>9/17/2004 5:54:13 AM</p>{body}</body></html>", None)
    assert found.published == date(2004, 9, 17)
