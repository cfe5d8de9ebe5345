"""The watch profile at work: headline mentions qualify, passing mentions in long unrelated
texts do not, exclude terms exclude, a region scope ranks and filters; topics score alike."""

from newsdigest import relevance
from newsdigest.relevance import Profile

PROFILE = Profile.from_dict({"terms": {"产教融合": 2, "校企合作": 2, "技能人才": 2, "实训": 1}, "threshold": 3})
# About 5,600 characters on something else (a city's tourism season), with no profile term.
FILLER = "暑期以来，古城景区游客络绎不绝，夜游项目和非遗市集吸引了大量外地游客，周边民宿入住率持续走高。" * 120
NEWS = FILLER[:1500]  # a news item of typical length


def test_a_headline_mention_qualifies() -> None:
    result = relevance.score(PROFILE, "市职业学校深化产教融合", "学校负责人介绍了今年的招生计划。")
    assert result.relevant
    assert [(m.term, m.where, m.title) for m in result.matched] == [("产教融合", "title", 1)]


def test_a_passing_mention_in_a_long_unrelated_text_does_not() -> None:
    body = FILLER[:1500] + "当地还提到了产教融合和校企合作。" + FILLER[1500:]
    result = relevance.score(PROFILE, "古城暑期旅游火热", body)
    assert not result.relevant
    assert {m.term for m in result.matched} == {"产教融合", "校企合作"}  # found, and said so
    assert result.score < PROFILE.threshold


def test_the_same_mentions_in_a_short_news_item_do() -> None:
    result = relevance.score(PROFILE, "一所学校的新学期", "学校推进产教融合，与三家企业开展校企合作，共建实训车间。")
    assert result.relevant


def test_repeated_mentions_saturate() -> None:
    once = relevance.score(PROFILE, "", NEWS[:-5] + "产教融合。")
    many = relevance.score(PROFILE, "", NEWS[:-150] + "产教融合。" * 30)
    assert once.score == 2.0 and not once.relevant
    assert many.score < 2 * once.score  # thirty mentions weigh less than two terms once each


def test_a_short_brief_counts_its_mention_for_more() -> None:
    assert relevance.score(PROFILE, "", "市里召开会议，部署推进产教融合工作。").score == 4.0  # twice, at most


def test_an_excluded_term_excludes() -> None:
    profile = Profile.from_dict({"terms": {"产教融合": 2}, "exclude": ["招生广告"], "threshold": 3})
    result = relevance.score(profile, "深化产教融合 招生广告", "本校深化产教融合，欢迎报名。")
    assert result.score >= profile.threshold
    assert not result.relevant and result.excluded == ("招生广告",)


def test_a_region_scope_ranks_and_filters() -> None:
    title, body = "技师学院深化产教融合", "学校推进产教融合。"
    ranked = Profile.from_dict({"terms": {"产教融合": 2}, "regions": ["浙江省"]})
    inside = relevance.score(ranked, title, body, regions=("浙江", "杭州"))
    outside = relevance.score(ranked, title + "（更多报道）", body + "产教融合。", regions=("甘肃", "金昌"))
    assert inside.in_scope and outside.in_scope is False
    assert inside.relevant and outside.relevant  # without only = true, both qualify ...
    assert outside.score > inside.score
    assert sorted([outside, inside], key=relevance.rank_key) == [inside, outside]  # ... in-scope first
    only = Profile.from_dict({"terms": {"产教融合": 2}, "regions": ["浙江"], "only": True})
    assert relevance.score(only, title, body, regions=("浙江", "杭州")).relevant
    assert not relevance.score(only, title, body, regions=("甘肃", "金昌")).relevant


def test_a_county_scope_is_found_in_the_text() -> None:
    profile = Profile.from_dict({"terms": {"产教融合": 2}, "regions": ["余杭区"], "only": True})
    assert relevance.score(profile, "余杭推进产教融合", "", regions=("浙江", "杭州")).relevant


def test_longer_terms_are_counted_once() -> None:
    profile = Profile.from_dict({"terms": {"技能人才": 2, "高技能人才": 2}})
    result = relevance.score(profile, "", "培养高技能人才。")
    assert [(m.term, m.body) for m in result.matched] == [("高技能人才", 1)]


def test_the_default_profile_is_the_vocabulary_of_the_beat() -> None:
    default = Profile.from_dict(None)
    assert dict(default.terms)["产教融合"] == 2.0 and default.threshold == relevance.DEFAULT_THRESHOLD


def test_the_explanation_round_trips() -> None:
    result = relevance.score(PROFILE, "产教融合", "校企合作，校企合作。")
    assert relevance.Relevance.from_dict(result.as_dict()) == result


def test_one_stray_word_no_longer_makes_a_topic() -> None:
    taxonomy = [("技能人才", ("技能人才", "职业技能")), ("产教融合", ("产教融合", "校企合作"))]
    essay = FILLER + "文中提到一次职业技能。" + FILLER
    assert relevance.topics("下岗职工的社会资本与再就业", essay, taxonomy) == ()
    assert relevance.topics("校企合作育人才", "深化产教融合。", taxonomy) == ("产教融合",)


def test_the_shipped_configuration_spells_out_the_default(cfg) -> None:
    assert Profile.from_dict(cfg.profile) == Profile.from_dict(None)
