"""What the five seeds must give, end to end: ingest into a fresh store, then read back.

The table is the foundation issue's acceptance table, row by row.
"""

from pathlib import Path

import pytest
from conftest import SEEDS

from newsdigest import pipeline, sources, store

# from-file prefix, title contains, (province, city), published, source, an author
TABLE = [
    ("000", "金华市技师学院", ("浙江", "金华"), None, None, "李晟瞳"),
    ("000", "杭州第一技师学院", ("浙江", "杭州"), None, None, "朱炜"),
    ("000", "北海街道", ("浙江", "绍兴"), None, None, "孙金良"),
    ("000", "曹桥街道", ("浙江", "嘉兴"), None, None, "孔玉叶"),
    ("001", "", ("浙江", "温州"), None, "温州日报", "徐成子"),
    ("002", "打破校社企边界", ("浙江", "宁波"), "2025-06-04", "工人日报", "陈丹丹"),
    ("003", "职教赋能", ("甘肃", "金昌"), None, None, "刘伟业"),
    ("004", "全省唯一市域产教联合体", ("辽宁", "大连"), "2024-05-17", "大连日报", "郑鸿"),
]
FORBIDDEN = ["hcv9jop", "0735v.com", "梦见黑棺材", "当前位置", "本文被阅次数", "浏览量:", "最后更新", "▲"]


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    from conftest import ROOT

    from newsdigest import config

    state = tmp_path_factory.mktemp("seeds-state")
    cfg = config.load(ROOT / "newsdigest.toml", state, env={})
    engine = store.connect(cfg.store_url)
    docs, rejected = sources.collect(cfg, [str(SEEDS)])
    pipeline.ingest(cfg, engine, docs, rejected)
    return store.load_articles(engine)


def test_eight_articles(stored) -> None:
    assert len(stored) == 8
    assert [Path(a.origin).name[:3] for a in stored] == [row[0] for row in TABLE]


@pytest.mark.parametrize("row", TABLE, ids=[f"{r[0]}-{r[1] or 'derived'}" for r in TABLE])
def test_seed_table_row(stored, row) -> None:
    prefix, title, region, published, source, author = row
    candidates = [a for a in stored if Path(a.origin).name.startswith(prefix) and title in a.title]
    assert len(candidates) == 1, [a.title for a in stored]
    article = candidates[0]
    assert article.regions[:2] == region
    assert (article.published.isoformat() if article.published else None) == published
    assert article.source == source
    assert author in article.authors
    assert article.summary and article.title


def test_derived_title_for_001_is_short_and_from_its_text(stored) -> None:
    [article] = [a for a in stored if Path(a.origin).name.startswith("001")]
    assert 6 <= len(article.title) <= 40
    assert article.title not in {"技能强链“教育链”对准“产业链”"}  # a subheading is no title


def test_no_noise_survives(stored) -> None:
    text = "\n".join("\n".join((a.title, *a.body, a.summary, *a.authors, a.source or "")) for a in stored)
    for needle in FORBIDDEN:
        assert needle not in text, needle
