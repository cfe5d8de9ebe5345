"""The cleaner on the five seeds and on the shapes the issue generalises to."""

from pathlib import Path

import pytest

from newsdigest.clean import clean

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def seed(prefix: str) -> str:
    [path] = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text("utf-8")


def kinds(cleaned, kind: str) -> list[str]:
    return [r.text for r in cleaned.removed if r.kind == kind]


def test_001_link_farm_duplicates_and_credit() -> None:
    c = clean(seed("001"))
    assert len(kinds(c, "spam")) == 8
    assert any("为了精准赋能温州" in d for d in kinds(c, "duplicate"))
    assert any("牵头组建智能电气" in d for d in kinds(c, "duplicate"))
    text = "\n".join(c.paragraphs)
    assert text.count("牵头组建智能电气") == 1
    assert "徐成子" not in text and c.meta.source == "温州日报" and c.meta.authors == ("徐成子",)


def test_002_metadata_line_and_closing_byline() -> None:
    c = clean(seed("002"))
    assert str(c.meta.published) == "2025-06-04" and c.meta.source == "工人日报"
    assert c.meta.authors[0] == "陈丹丹"
    assert any("发布时间" in t for t in kinds(c, "metadata"))
    assert c.meta.title == "打破校社企边界,为职工、学子技能“充电”"
    assert not c.paragraphs[1].startswith("整合35家职校")  # the subtitle is no body paragraph
    assert "资源整合,打破“校社企”信息边界" in c.paragraphs  # a subhead stays alone


def test_003_captions_and_joined_paragraph() -> None:
    c = clean(seed("003"))
    captions = kinds(c, "caption")
    assert "就业形态创新创业论坛。" in captions and "在甘肃省有色冶金职业技术学院召开。" in captions
    assert c.meta.title == "职教赋能 人才强市" and c.meta.authors[0] == "刘伟业"
    assert (
        "深入推进产教融合、校企合作是职业教育发展的一条重要路径。2021年7月3日，金昌市产教融合联盟应运而生。"
        in c.paragraphs
    )


def test_004_chrome_and_metadata() -> None:
    c = clean(seed("004"))
    assert "媒体大医" in kinds(c, "chrome")
    assert str(c.meta.published) == "2024-05-17" and c.meta.source == "大连日报"
    assert "郑鸿" in c.meta.authors
    assert c.paragraphs[0] == "全省唯一市域产教联合体为金普新区产业发展提供人才支撑"


def test_000_print_layout_breaks_are_joined_but_subheads_are_not() -> None:
    c = clean(seed("000"))
    text = "\n".join(c.paragraphs)
    assert "学校与企业实现双向奔赴,教育链与产业链深度融合。" in text
    assert "重点打造智能制造、现代服务2个省级高水平专业群" in text
    assert "校企共育 专业群与产业链双向奔赴" in c.paragraphs
    assert "循环新经济筑基" in c.paragraphs
    assert "·资讯·" in kinds(c, "chrome")


@pytest.mark.parametrize(
    "row",
    [
        "梦见黑棺材是什么征兆 | 吃饭时头晕是什么原因 | 荨麻疹吃什么药管用 | 干事是什么意思",
        "贵州有什么烟hcv9jop1ns1r.cn｜今年42岁属什么生肖hcv9jop3ns0r.cn｜长期腹泻是什么原因0735v.com",
        "狗吐黄水吃什么药丨肝不好有些什么症状丨2月18日什么星座丨嘴唇上长痘是什么原因",
        "国产1级黄片毛片s级|成人网站视频在线观看免费|上司AV在线一区二区三区|亚洲无码成人视频在线观看",
        "相关搜索：学生宿舍 学生宿舍图片 学生宿舍价格",
    ],
)
def test_link_farm_rows_are_spam(row) -> None:
    c = clean("今天天气很好,我们去公园散步,看到很多人在锻炼身体。\n" + row)
    assert c.paragraphs == ("今天天气很好,我们去公园散步,看到很多人在锻炼身体。",)
    assert kinds(c, "spam")


def test_link_farm_glued_before_prose_on_one_line_leaves_the_prose() -> None:
    prose = "市人社局近日召开会议,部署今年技能人才培养工作,要求各地加快推进产教融合,扩大高技能人才队伍规模。"
    c = clean("什么是太岁| 孱弱是什么意思| 肌肉酸痛吃什么药| 杭州都有什么区| " + prose)
    assert c.paragraphs == (prose,)


@pytest.mark.parametrize(
    "line",
    [
        "专业方向 | 招生人数 | 就业率",
        "集成电路 | 120 | 97.5%",
        "这是什么原因?专家解释说,主要是气温变化太快。",
        "详情可登录www.example.gov.cn查询,或拨打0571-12345678咨询。",
        "学校开设机械、电子、汽修、烹饪等专业。",
    ],
)
def test_look_alikes_stay(line) -> None:
    assert clean(line).paragraphs == (line,)


@pytest.mark.parametrize(
    "line",
    [
        "首页 > 教育 > 职业教育",
        "当前位置：首页 > 新闻中心",
        "分享到：",
        "【打印本页】【关闭窗口】",
        "扫一扫在手机打开当前页",
        "上一篇：关于开展技能竞赛的通知",
        "下一篇:市人社局召开会议",
        "Copyright © 2024 某某日报社 版权所有",
        "浙ICP备12345678号",
        "浏览次数：1234",
        "【字体：大 中 小】",
    ],
)
def test_chrome_lines(line) -> None:
    c = clean(f"正文第一段讲述了这件事情的来龙去脉,内容很长很长。\n{line}")
    assert c.paragraphs == ("正文第一段讲述了这件事情的来龙去脉,内容很长很长。",)
    assert c.removed and c.removed[0].kind in ("chrome", "metadata")


@pytest.mark.parametrize(
    ("line", "published", "source"),
    [
        ("发布日期：2025/8/7 10:30", "2025-08-07", None),
        ("2025年6月4日 08:00", "2025-06-04", None),
        ("时间:2025-06-04  来源:合肥晚报", "2025-06-04", "合肥晚报"),
        ("【来源:合肥晚报】", None, "合肥晚报"),
        ("信息来源：《工人日报》2025年06月04日06版", "2025-06-04", "工人日报"),
    ],
)
def test_metadata_forms(line, published, source) -> None:
    c = clean(f"标题在这里\n{line}\n正文第一段讲述了这件事情的来龙去脉,内容很长很长。")
    assert (str(c.meta.published) if c.meta.published else None) == published
    assert c.meta.source == source
    assert line not in c.paragraphs


@pytest.mark.parametrize(
    ("text", "source", "author"),
    [
        ("市区新开了一座公园,市民纷纷前来游玩。(合肥晚报记者 吴海涛)", "合肥晚报", "吴海涛"),
        ("本报讯（记者 张三）市区新开了一座公园,市民纷纷前来游玩。", None, "张三"),
        ("作者：李四 王五\n市区新开了一座公园,市民纷纷前来游玩。", None, "李四"),
    ],
)
def test_credits_and_authors(text, source, author) -> None:
    c = clean(text)
    assert c.meta.source == source and author in c.meta.authors
    assert c.paragraphs == ("市区新开了一座公园,市民纷纷前来游玩。",)


def test_editor_line() -> None:
    c = clean("市区新开了一座公园,市民纷纷前来游玩。\n责任编辑：赵六")
    assert c.meta.editor == "赵六" and c.paragraphs == ("市区新开了一座公园,市民纷纷前来游玩。",)


def test_every_removed_block_has_a_kind() -> None:
    for prefix in ["000", "001", "002", "003", "004"]:
        assert all(r.kind and r.text for r in clean(seed(prefix)).removed)


def test_empty_and_blank() -> None:
    assert clean("").paragraphs == () and clean(" \n\u3000\n").paragraphs == ()


def test_seo_keyword_run_is_cut_but_spaced_forum_prose_stays() -> None:
    run = "北京装修公司排名 装修效果图大全 二手房装修报价 小户型装修设计 别墅装修风格 厨房装修注意事项 卫生间防水做法 客厅吊顶效果图"
    prose = "今天去了学校 老师说明天放假了 真的好开心啊 大家一起去玩吧 你们知道吗 我们班要去春游了 好久没出去玩了 期待明天的天气"
    cleaned = clean(f"学校今年新开了装修设计专业,首批招生一百人。\n{run}\n{prose}")
    text = "\n".join(cleaned.paragraphs)
    assert "装修效果图大全" not in text and any(r.kind == "spam" for r in cleaned.removed)
    assert prose in text and "学校今年新开了装修设计专业" in text
