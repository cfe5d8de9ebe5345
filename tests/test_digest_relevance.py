"""The digest holds the relevant stories: ranked, with who is in them; off-profile articles
stay stored, are counted per source, and are listed (collapsed) in the archive only."""

from __future__ import annotations

import re
from datetime import date, timedelta

from conftest import SEEDS
from digest_samples import add_rows, article_row, monday
from sqlalchemy import inspect, text

from newsdigest import config, pipeline, publish, relevance, selection, sources, store
from newsdigest.stories import group_stories

GMAIL_CLIP = 102 * 1024
W23 = monday(date(2025, 6, 2))
# General news of a regional paper: city life, weather, traffic, markets (no watch term).
GENERAL = (
    "市气象台预计，本周后期有一次明显降雨过程，气温将下降五到七摄氏度，市民出行请注意交通安全。"
    "地铁部门表示，雨天高峰时段将加密班次。与此同时，市区多个农贸市场蔬菜价格小幅上涨，"
    "其中叶菜类涨幅较大。商务部门称，将加强市场监测，保障节日期间供应充足、价格基本稳定。"
) * 3


def general_rows(count: int, seen, start: int = 5000) -> list[dict]:
    return [
        article_row(start + i, seen, title=f"本周天气与菜价：第{i + 1}期城市生活提示", body=GENERAL, keywords=("天气",))
        for i in range(count)
    ]


def test_five_hundred_general_articles_and_twenty_relevant_ones(cfg, engine) -> None:
    seen = W23 + timedelta(hours=2)
    relevant = [article_row(i, seen) for i in range(20)]
    add_rows(engine, relevant + general_rows(500, seen))
    result = publish.build(cfg, engine, "2025-W23")
    assert len(result.html.encode("utf-8")) < GMAIL_CLIP
    assert result.stories == 20 and result.articles == 520
    for row in relevant:
        assert row["title"] in result.html and row["title"] in result.text
    assert "城市生活提示" not in result.html and "城市生活提示" not in result.text
    assert re.search(r"与关注主题无关 <b[^>]*>500</b> 篇", result.html)
    assert "feeds：抓取 520 · 报道 520 · 新故事 520 · 无关 500" in result.text  # the coverage appendix
    archive = result.html_path.read_text(encoding="utf-8")
    assert "<details>" in archive and "未列入邮件的报道 500 条" in archive
    assert "第500期城市生活提示" in archive and "score 0 (below the threshold)" in archive


def test_the_seeds_all_stay_with_their_schools_and_companies_in_the_entity_table(cfg, engine) -> None:
    docs, rejected = sources.collect(cfg, engine, [str(SEEDS)])
    pipeline.ingest(engine, pipeline.Settings.from_config(cfg), docs, rejected)
    stored = store.load_articles(engine)
    assert len(stored) == 8 and all(a.relevance.relevant for a in stored)
    result = publish.build(cfg, engine, None)
    who = result.text.split("== 谁在新闻里")[1].split("\n==")[0]
    for a in stored:
        assert a.title in result.text
        orgs = [e.name for e in a.entities if e.kind == "org"]
        assert not orgs or any(name in who for name in orgs), a.title  # each story's schools or companies
    for name in ("金华市技师学院", "杭州第一技师学院", "金川集团", "温州技师学院", "大连职业技术学院"):
        assert name in who and name in result.html


def test_stories_rank_by_relevance_then_coverage_then_recency(cfg, engine) -> None:
    seen = W23 + timedelta(hours=2)
    strong = article_row(1, seen, title="产教融合：技师学院校企合作", body="产教融合。校企合作。技能人才。")
    weak = article_row(2, seen, title="一所学校的新学期")  # relevant by its body alone
    carried = article_row(3, seen, title="另一所学校的新学期")
    reprint = article_row(4, seen, title="另一所学校的新学期", story=carried["id"], outlet="人民网")
    older = article_row(5, seen, title="第三所学校的新学期")
    older["published"] = weak["published"] - timedelta(days=3)
    add_rows(engine, [strong, weak, carried, reprint, older])
    judge = relevance.judge(relevance.Profile.from_dict(cfg.profile))
    stories = group_stories(store.load_articles(engine))
    ranked = selection.rank(stories, judge, lambda s: s.origin.published)
    assert [s.origin.title for s in ranked] == [strong["title"], carried["title"], weak["title"], older["title"]]


def test_a_changed_profile_rescores_stored_articles(cfg, engine, state) -> None:
    docs, rejected = sources.collect(cfg, engine, [str(SEEDS)])
    pipeline.ingest(engine, pipeline.Settings.from_config(cfg), docs, rejected)
    narrow = {**cfg.sections, "profile": {"terms": {"曹桥街道": 2}}}
    other = config.Config(cfg.base_dir, state, narrow, cfg.topics, cfg.sources)
    result = publish.build(other, engine, None)
    assert result.stories == 1  # not the stored judgements: those of the profile in force
    assert "平湖市曹桥街道以“向新力”澎湃产业发展新动能" in result.text


def test_an_old_database_gains_the_relevance_columns(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = store.connect(url)
    with engine.begin() as conn:  # as a database made before m0005 would be
        for column in ("relevance", "relevance_detail", "entities"):
            conn.execute(text(f"ALTER TABLE articles DROP COLUMN {column}"))
        conn.execute(text("DELETE FROM schema_version WHERE version = 5"))
    assert "relevance" not in {c["name"] for c in inspect(engine).get_columns("articles")}
    store.migrate(engine)
    assert {"relevance", "relevance_detail", "entities"} <= {c["name"] for c in inspect(engine).get_columns("articles")}


def test_a_region_scope_ranks_in_scope_stories_first_and_only_filters(cfg, engine, state) -> None:
    seen = W23 + timedelta(hours=2)
    home = article_row(0, seen, title="杭州：学校推进产教融合")  # tagged 浙江 杭州
    away = article_row(4, seen, title="青岛：产教融合与校企合作双推进", body="产教融合。校企合作。技能人才。")
    add_rows(engine, [home, away])

    def digest_with(profile: dict) -> str:
        sections = {**cfg.sections, "profile": {**cfg.profile, **profile}}
        return publish.build(
            config.Config(cfg.base_dir, state, sections, cfg.topics, cfg.sources), engine, "2025-W23"
        ).text

    unscoped = digest_with({})
    assert unscoped.index(away["title"]) < unscoped.index(home["title"])  # the higher score first
    scoped = digest_with({"regions": ["浙江省"]})
    assert scoped.index(home["title"]) < scoped.index(away["title"])  # in scope first
    assert away["title"] not in digest_with({"regions": ["浙江"], "only": True})
