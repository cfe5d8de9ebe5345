"""Who is in the news: organisations and people, merged across the forms the text gives."""

from pathlib import Path

from newsdigest import entities, pipeline, sources

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def names(title: str, body: str, kind: str | None = None) -> list[str]:
    return [e.name for e in entities.extract(title, body) if kind is None or e.kind == kind]


def test_organisations_by_suffix_and_people_by_role() -> None:
    text = "金华市技师学院与金川集团、宁波莱弗特医疗科技有限公司合作。学校党委书记、校长刘云斌表示，将扩大订单班。"
    found = names("", text)
    assert {"金华市技师学院", "金川集团", "宁波莱弗特医疗科技有限公司", "刘云斌"} <= set(found)
    assert "学校" not in found and "订单班" not in found


def test_a_stated_short_form_is_merged_into_the_full_name() -> None:
    body = "杭州第一技师学院（以下简称“杭州一技”）与企业共建实训基地。杭州一技今年新增两个专业。"
    (org,) = [e for e in entities.extract("杭州一技举办开放日", body) if e.kind == entities.ORG]
    assert org.name == "杭州第一技师学院" and org.aliases == ("杭州一技",)
    assert org.mentions == 3  # the full name once, the short form in the title and the body


def test_words_that_end_like_organisations_are_not_organisations() -> None:
    assert names("", "优化空间布局，形成新格局，餐厅和大厅都已改造。", entities.ORG) == []


def test_ordinary_words_tagged_as_names_are_not_people() -> None:
    # jieba tags 师生 and 金昌 (a city) as names: without a role or speech verb they are not people.
    assert names("", "金昌市组织师生参观，高水平建设实训基地。", entities.PERSON) == []


def test_the_seeds_name_their_schools_and_companies() -> None:
    docs, _ = sources.read_paths([SEEDS])
    found = {n for d in docs for a in pipeline.read_articles(d) for n in names(a.title, a.text)}
    assert {"金华市技师学院", "杭州第一技师学院", "金川集团", "温州技师学院", "大连理工大学"} <= found
