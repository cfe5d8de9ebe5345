"""Print pages split into their articles; a single article never splits."""

from test_clean import seed

from newsdigest.clean import clean
from newsdigest.split import split


def test_000_is_four_articles_with_their_bylines() -> None:
    pieces = split(clean(seed("000")))
    # Their titles and authors are in seeds/000_….expect.toml (checked by test_seeds.py).
    assert len(pieces) == 4 and all(p.meta.title and len(p.meta.authors) == 2 for p in pieces)
    assert all(len(p.paragraphs) > 10 for p in pieces)
    assert pieces[0].paragraphs[0].startswith("5月,金华市技师学院人声鼎沸")
    banner = [r.text for p in pieces for r in p.removed if r.kind == "banner"]
    assert banner == ["深化产教融合 赋能区域经济"]
    body = "\n".join(x for p in pieces for x in p.paragraphs)
    assert "深化产教融合 赋能区域经济" not in body
    assert not any(" ".join(p.meta.authors) in body for p in pieces)


def test_single_articles_never_split() -> None:
    for prefix in ["001", "002", "003", "004"]:
        page = clean(seed(prefix))
        assert split(page) == [page]


def test_generic_print_page_with_banner_line() -> None:
    body = "这是一篇报道的正文,内容讲述了当地产业发展的情况,以及未来的打算。"
    text = "\n".join(
        [
            "乡村振兴 共同富裕",
            "某县:特色产业带富一方",
            "王小明 李华",
            body,
            body.replace("报道", "文章"),
            "某镇:数字经济激活新动能",
            "陈大文 周强",
            "另一篇文章的正文从这里开始,讲述了数字经济的发展。",
        ]
    )
    pieces = split(clean(text))
    assert [p.meta.title for p in pieces] == ["某县:特色产业带富一方", "某镇:数字经济激活新动能"]
    assert pieces[1].meta.authors == ("陈大文", "周强")
    assert [r.kind for r in pieces[0].removed] == ["banner"]
