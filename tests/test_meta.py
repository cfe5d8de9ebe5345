"""Final metadata of each seed article, as the pipeline resolves it."""

from datetime import date

import pytest
from test_clean import seed

from newsdigest.clean import clean
from newsdigest.meta import finalize, parse_byline, parse_credit, parse_date, parse_fields
from newsdigest.models import Cleaned, Meta
from newsdigest.split import split


def articles(prefix: str) -> list[tuple[Meta, tuple[str, ...]]]:
    page = clean(seed(prefix))
    return [finalize(piece, page.meta, Meta()) for piece in split(page)]


def test_001_title_is_derived_from_the_lead_not_the_subheading() -> None:
    [(info, body)] = articles("001")
    assert 6 <= len(info.title) <= 30 and info.title in body[0]
    assert info.title != "技能强链“教育链”对准“产业链”"


def test_002_authors_order_and_title_out_of_body() -> None:
    [(info, body)] = articles("002")
    assert info.authors[0] == "陈丹丹"
    assert body[0].startswith("宁波市职业技能培训港")


def test_precedence_piece_over_page_over_hints() -> None:
    piece = Cleaned(("标题", "正文。"), meta=Meta(title="标题", authors=("甲乙",)))
    info, body = finalize(
        piece,
        Meta(source="页报", authors=("丙丁",), published=date(2024, 1, 2)),
        Meta(source="提示", published=date(2020, 1, 1), title="提示标题"),
    )
    assert info.title == "标题" and body == ("正文。",)
    assert info.authors == ("甲乙",) and info.source == "页报" and info.published == date(2024, 1, 2)


def test_hint_title_used_when_text_has_none() -> None:
    info, body = finalize(Cleaned(("正文第一段。",)), Meta(), Meta(title="订阅标题"))
    assert info.title == "订阅标题" and body == ("正文第一段。",)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("2025-06-04", date(2025, 6, 4)),
        ("2025/8/7 10:00", date(2025, 8, 7)),
        ("2025年6月4日", date(2025, 6, 4)),
        ("2025-13-40", None),
        ("无日期", None),
    ],
)
def test_parse_date(text, want) -> None:
    assert parse_date(text) == want


def test_bylines_and_credits() -> None:
    assert parse_byline("记者 陈丹丹 通讯员 田荣华 胡亦军") == ("陈丹丹", "田荣华", "胡亦军")
    assert parse_byline("光明日报记者 王建宏 张文攀") == ("王建宏", "张文攀")
    assert parse_byline("校企共育 专业群与产业链双向奔赴") is None
    assert parse_byline("职教赋能 人才强市") is None
    assert parse_credit("正文。(温州日报 徐成子)")[1] == Meta(source="温州日报", authors=("徐成子",))
    assert parse_credit("正文(见附件)") is None


def test_labelled_authors_beyond_chinese_names() -> None:
    assert parse_fields("作者:zboygirl 阅读(1660) 评论(5) 编辑 发表于:2005-07-31 12:30").authors == ("zboygirl",)
    assert parse_fields("作者： 放飞&心情").authors == ("放飞&心情",)
    assert parse_fields("文：眉间尺").authors == ("眉间尺",)
    assert parse_fields("执笔人：闵乐夫 赵兰波").authors == ("闵乐夫", "赵兰波")
    assert parse_fields("来源: 尹娟").authors == ("尹娟",)
    assert parse_fields("[ 黄宇 ] 来源：[ 国际金融报 ]").authors == ("黄宇",)
    assert parse_fields("来源：新华网").authors == ()


def test_bylines_with_outlet_or_compiler_words() -> None:
    assert parse_byline("新华网黑龙江频道 记者 伊琳 李清芬") == ("伊琳", "李清芬")
    assert parse_byline("整合 新华日报·交汇点记者 徐睿翔") == ("徐睿翔",)
    assert parse_byline("顶端新闻·河南商报记者马俊峰/文受访者供图") == ("马俊峰",)
    assert parse_byline("第A04版：小记者训练营") is None
