"""Regions resolve county → city → province; topics come from the taxonomy."""

from pathlib import Path

import pytest

from newsdigest import tag
from newsdigest.models import Topic


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("嘉兴平湖市曹桥街道新签约项目总投资20.6亿元。平湖市曹桥街道以“向新力”澎湃产业发展新动能。", ("浙江", "嘉兴")),
        ("在绍兴市越城区北海街道,古今交融。越城区北海街道聚焦产城人文融合。", ("浙江", "绍兴")),
        ("走进金华市技师学院东阳分院,与东阳、武义分院共建。金华市技师学院", ("浙江", "金华")),
        ("大连金普新区市域产教联合体建设推进会在大连召开。", ("辽宁", "大连")),
    ],
)
def test_regions_resolve_to_province_and_city(text: str, expected: tuple[str, str]) -> None:
    assert tag.tag("", text, ()).regions[:2] == expected


def test_common_words_are_not_places() -> None:
    # 合作 is 合作市 (甘南) and 资源 is 资源县 (桂林) in the gazetteer; in prose they are words.
    assert tag.tag("", "校企合作整合优质培训资源,深化校企合作,共享资源。", ()).regions == ()


def test_a_street_named_after_a_city_is_not_that_city() -> None:
    text = "越城区北海街道:聚焦产城人文融合。北海街道的底气来自商贸企业,北海街道迎恩门。绍兴市越城区。"
    assert tag.tag("", text, ()).regions[:2] == ("浙江", "绍兴")


def test_topics_and_keywords() -> None:
    taxonomy = (Topic("产教融合", ("产教融合", "校企合作")), Topic("区域经济", ("招商",)))
    result = tag.tag("深化产教融合", "学校深化校企合作,推进产教融合,开设订单班。", taxonomy)
    assert result.topics == ("产教融合",)
    assert "订单班" in result.keywords


def test_short_names() -> None:
    assert tag.short_name("广西壮族自治区") == "广西"
    assert tag.short_name("阿坝藏族羌族自治州") == "阿坝"
    assert tag.short_name("平湖市") == "平湖"


def test_tokenize_gives_jiebas_tokens() -> None:
    """tag.tokenize re-implements jieba's accurate mode for speed: same tokens as jieba.lcut."""
    from pathlib import Path

    import jieba

    seeds = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in seeds]
    texts += [
        "",
        " ",
        "\r\n\r\n",
        "。",
        "a",
        "中",
        "ＡＢＣ１２３ 3.14% C++ e-mail",
        "😀中華人民共和國\u3000｢引用｣——",
        "习近平在北京市朝阳区考察时强调",
        "荷塘月色颯颯钖铔",
        "abc中文def 123 。\n\t混合",
    ]
    tag.tokenize("")  # loads the dictionary and the gazetteer words jieba.lcut must see too
    for text in texts:
        assert tag.tokenize(text) == jieba.lcut(text)


def test_a_long_text_gives_jiebas_tokens_sharing_equal_ones() -> None:
    """A long text is cut into pieces where a token ends anyway (never inside \r\n or a
    word) and its equal tokens are one object: the same tokens, a tenth of the memory."""
    import jieba

    seed = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))[0]
    unit = seed.read_text(encoding="utf-8") + "\r\n产教融合abc 3.14%\r"
    text = unit * (2 * tag._LONG // len(unit) + 3) + "产教融合" * (tag._LONG // 3)  # and a piece with no break
    tokens = tag.tokenize(text)
    assert len(text) > 2 * tag._LONG
    assert tokens == jieba.lcut(text)
    assert len({id(t) for t in tokens}) == len(set(tokens))


def test_an_unwritable_jieba_cache_is_one_warning_line_not_a_traceback(tmp_path) -> None:
    import subprocess
    import sys

    code = (
        "import jieba; jieba.dt.tmp_dir = {!r}\n"
        "from newsdigest import tag\n"
        "print(tag.tokenize('校企合作共建产业学院'))".format(str(tmp_path / "missing" / "dir"))
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "产业学院" in done.stdout
    assert "Traceback" not in done.stderr
    assert [line for line in done.stderr.splitlines() if line.strip()] == [
        line for line in done.stderr.splitlines() if "jieba cannot write its dictionary cache" in line
    ]
    assert "jieba cannot write its dictionary cache" in done.stderr
